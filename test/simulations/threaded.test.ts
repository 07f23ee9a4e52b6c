// simulations/nodes/threaded.ts and thread-worker.ts: nodes in a worker thread of the test's
// process, next to one in the main thread — introduced to each other, controlled through the
// thread, not killable, stopped as asked; a node that cannot start is reported 'exited'; closing
// the thread stops what still runs on it. Then runner.ts with the nodes spread over two threads.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CryptoPool } from '../../crypto/index.ts'
import { initHome } from '../../node/index.ts'
import type { NodeStats } from '../../simulations/nodes/control.ts'
import type { DownHow } from '../../simulations/nodes/host.ts'
import { InProcessNode } from '../../simulations/nodes/in-process.ts'
import { NodeThread } from '../../simulations/nodes/threaded.ts'
import { runSim } from '../../simulations/sim/runner.ts'

test('nodes in a worker thread: introduced to a main-thread node, controlled, stopped; a bad home fails its start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-threaded-'))
  const pool = new CryptoPool({ size: 1, curves: [], idleTimeoutMs: 1_000 })
  const thread = new NodeThread({ poolSize: 1, poolIdleTimeoutMs: 1_000 })
  const signal = AbortSignal.timeout(60_000)
  let main: InProcessNode | undefined
  try {
    const homes = await Promise.all([0, 1, 2].map(async (i) => await initHome(join(dir, `n${i}`), { name: `n${i}`, roles: ['principal'], services: ['custody'], listen: ['/ip4/127.0.0.1/tcp/0'] })))
    main = new InProcessNode(homes[0]?.paths.dir as string, { fast: true }, pool)
    const rm0 = await main.ready(signal)
    const a = thread.start(homes[1]?.paths.dir as string, { fast: true, bootstrap: [rm0.addr] })
    const b = thread.start(homes[2]?.paths.dir as string, { fast: true, bootstrap: [rm0.addr] })
    const [ra, rb] = await Promise.all([a.ready(signal), b.ready(signal)])
    assert.is(ra.identity, homes[1]?.keys.identity.cid.toString())
    assert.is(rb.identity, homes[2]?.keys.identity.cid.toString())
    await Promise.all([a.knows([rm0.identity], signal), b.knows([rm0.identity], signal), (main as InProcessNode).knows([ra.identity, rb.identity], signal)])
    assert.equal([a.pid, a.killable], [undefined, false])
    assert.is((await a.control<NodeStats>({ cmd: 'stats' }, signal)).connections, 1)
    await rejects(a.control({ cmd: 'drop' }, signal), /drop needs a message type/, 'a failure in the thread comes back with its message')
    await rejects(a.kill(), (e: Error) => e.name === 'NotKillableError')

    const downs: DownHow[] = []
    a.onDown((how) => downs.push(how))
    await a.stop()
    assert.equal(downs, ['stopped'])
    await rejects(a.control({ cmd: 'stats' }, signal), /stopped/)
    assert.is((await b.control<NodeStats>({ cmd: 'stats' }, signal)).connections, 1, 'the other node on the thread runs on')

    const bad = thread.start(join(dir, 'no-such-home'), { fast: true })
    const badDown = new Promise<DownHow>((resolve) => { bad.onDown(resolve) })
    await rejects(bad.ready(signal), /no-such-home|ENOENT|not found/i)
    assert.is(await badDown, 'exited')

    const bDown = new Promise<DownHow>((resolve) => { b.onDown(resolve) })
    await thread.close()
    assert.is(await bDown, 'stopped', 'closing the thread stops the nodes still on it')
  } finally {
    await main?.stop()
    await thread.close()
    await pool.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

test('runSim in process over two threads: 6 nodes, 12 orders, a restart and a partition — every invariant holds', async () => {
  const r = await runSim({
    nodes: 6, fiduciaries: 1, orders: 12, scenario: 'custody', faults: ['restart', 'partition'], seed: 3,
    concurrency: 6, orderTimeoutMs: 60_000, mode: 'in-process', threads: 2, signal: AbortSignal.timeout(150_000)
  })
  assert.equal(r.invariants.filter((i) => !i.ok).map((i) => `${i.name}: ${i.failures.join('; ')}`), [])
  assert.ok(r.ok)
  assert.is(r.summary.completed, 12)
  assert.is(r.summary.unexpectedExits, 0)
  assert.is(r.invariants.find((i) => i.name === 'logs-audit')?.checked, 6)
  assert.equal(r.faults.map((f) => f.kind).sort(), ['partition', 'restart'])
  for (const f of r.faults) assert.ok(f.error === undefined && f.endMs !== undefined, `fault ${f.kind} went as planned`)
})

test.run()
