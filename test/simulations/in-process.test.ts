// simulations/nodes/in-process.ts: simulation nodes in the test's own process, on one shared
// crypto pool — they introduce themselves, answer control requests, cannot be killed, and a clean
// stop reports 'stopped' and leaves the shared pool running. Then runner.ts in that mode: five
// nodes, twenty custody orders, a clean restart, a partition and a delay, every invariant holding,
// memory reported per node and per added node; kill faults refused before anything starts.
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
import { runSim } from '../../simulations/sim/runner.ts'

test('two in-process nodes on one pool: introduced, controlled, not killable; a stop says so and leaves the pool running', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-inproc-'))
  const pool = new CryptoPool({ size: 1, curves: [] })
  const signal = AbortSignal.timeout(60_000)
  try {
    const homes = await Promise.all([0, 1].map(async (i) => await initHome(join(dir, `n${i}`), { name: `n${i}`, roles: ['principal'], services: ['custody'], listen: ['/ip4/127.0.0.1/tcp/0'] })))
    const a = new InProcessNode(homes[0]?.paths.dir as string, { fast: true }, pool)
    const ra = await a.ready(signal)
    const b = new InProcessNode(homes[1]?.paths.dir as string, { fast: true, bootstrap: [ra.addr] }, pool)
    const rb = await b.ready(signal)
    assert.is(ra.identity, homes[0]?.keys.identity.cid.toString())
    assert.match(ra.api, /^http:\/\/127\.0\.0\.1:\d+/)
    await a.knows([rb.identity], signal)
    await b.knows([ra.identity], signal)
    assert.ok(pool.running, 'the first node started the shared pool')
    assert.equal([a.pid, a.killable], [undefined, false])

    const stats = await b.control<NodeStats>({ cmd: 'stats' }, signal)
    assert.is(stats.connections, 1)
    assert.equal(await b.control({ cmd: 'gate', peers: [ra.peerId] }, signal), { denied: 1 })
    assert.is((await b.control<NodeStats>({ cmd: 'stats' }, signal)).connections, 0, 'the gate hung up on the peer')
    await rejects(a.kill(), (e: Error) => e.name === 'NotKillableError')

    const downs: DownHow[] = []
    a.onDown((how) => downs.push(how))
    await a.stop()
    await a.stop()
    assert.equal(downs, ['stopped'])
    assert.is(a.exited, true)
    await rejects(a.control({ cmd: 'stats' }, signal), /stopped/)
    assert.ok(pool.running, 'stopping a node does not stop the shared pool')
    await b.stop()
    assert.ok(pool.running)
  } finally {
    await pool.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

test('runSim in process: 5 nodes, 20 orders, restart + partition + delay — every invariant holds, memory per node reported', async () => {
  const r = await runSim({
    nodes: 5, fiduciaries: 1, orders: 20, scenario: 'custody', faults: ['restart', 'partition', 'delay'], seed: 7,
    concurrency: 8, orderTimeoutMs: 60_000, mode: 'in-process', signal: AbortSignal.timeout(150_000)
  })
  assert.equal(r.invariants.filter((i) => !i.ok).map((i) => `${i.name}: ${i.failures.join('; ')}`), [])
  assert.ok(r.ok)
  assert.is(r.options.mode, 'in-process')
  assert.is(r.summary.completed, 20)
  assert.is(r.invariants.find((i) => i.name === 'logs-audit')?.checked, 5)
  assert.equal(r.faults.map((f) => f.kind).sort(), ['delay', 'partition', 'restart'])
  for (const f of r.faults) assert.ok(f.error === undefined && f.startMs !== undefined && f.endMs !== undefined, `fault ${f.kind} went as planned`)
  const restart = r.faults.find((f) => f.kind === 'restart')
  assert.ok(r.timeline.some((e) => e.node === restart?.nodes[0] && e.what === 'down' && e.how === 'stopped'), 'the restart is a clean stop')
  assert.ok(r.timeline.some((e) => e.node === restart?.nodes[0] && e.what === 'up'), 'and the node came back')
  const m = r.memory
  assert.ok(m.samples.length > 0 && m.samples.every((s) => s.nodes <= 5 && s.rss === s.maxRss), 'one process sampled, with the nodes it runs')
  assert.ok(m.baselineRssMiB !== null && m.baselineRssMiB > 30, 'the process before any node')
  assert.ok(m.marginalPerNodeMiB !== null && m.marginalPerNodeMiB > 0 && m.marginalPerNodeMiB < m.rssPerNodeMiB, `marginal ${m.marginalPerNodeMiB ?? 'null'} < amortized ${m.rssPerNodeMiB}`)
})

test('nodes no order names (more nodes than orders) have empty logs, and that is not a failure', async () => {
  const r = await runSim({ nodes: 7, fiduciaries: 1, orders: 1, scenario: 'custody', faults: [], seed: 2, concurrency: 1, orderTimeoutMs: 60_000, mode: 'in-process', signal: AbortSignal.timeout(120_000) })
  assert.equal(r.invariants.filter((i) => !i.ok).map((i) => `${i.name}: ${i.failures.join('; ')}`), [])
  assert.ok(r.ok)
  assert.is(r.invariants.find((i) => i.name === 'logs-audit')?.checked, 7, 'every home audited, the four idle ones too')
})

test('kill faults are refused in process, before anything starts', async () => {
  await rejects(runSim({ nodes: 3, fiduciaries: 1, orders: 2, scenario: 'custody', faults: ['kill'], seed: 1, concurrency: 1, orderTimeoutMs: 10_000, mode: 'in-process' }),
    (e: Error) => e.name === 'SimOptionsError' && /kill faults need each node in its own process/.test(e.message))
})

test.run()
