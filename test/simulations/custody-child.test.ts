// simulations/nodes/custody-child.ts through spawn.ts: a node process announces itself, answers
// control requests, and stops cleanly — on `stop`, and when its stdin ends (the simulation that
// spawned it died), so that no node process outlives its parent.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initHome } from '../../node/index.ts'
import type { NodeStats } from '../../simulations/nodes/control.ts'
import type { DownHow } from '../../simulations/nodes/host.ts'
import { CustodyChild } from '../../simulations/nodes/spawn.ts'

test('a node process stops cleanly when its stdin ends (its parent is gone)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-child-'))
  const signal = AbortSignal.timeout(60_000)
  let spawned: CustodyChild | undefined
  try {
    const home = await initHome(join(dir, 'n0'), { name: 'n0', roles: ['fiduciary'], services: ['custody'], listen: ['/ip4/127.0.0.1/tcp/0'] })
    const child = new CustodyChild(home.paths.dir, ['--fast', '--pool-size', '1', '--pool-idle-ms', '1000'], { execArgv: ['--max-semi-space-size=1'] })
    spawned = child
    const ready = await child.ready(signal)
    assert.is(ready.identity, home.keys.identity.cid.toString())
    assert.is(child.killable, true)
    assert.ok(child.pid !== undefined && child.pid > 0)
    const stats = await child.control<NodeStats>({ cmd: 'stats' }, signal)
    assert.equal([stats.outbox, stats.connections], [0, 0])
    const down = new Promise<DownHow>((resolve) => { child.onDown(resolve) })
    child.process.stdin.end()
    assert.is(await down, 'stopped', 'exit status 0 after the node stopped, not a kill')
    assert.is(child.exited, true)
  } finally {
    // A child still running after a failure waits for its stdin to end, and its pipes keep this
    // process alive: it would never exit.
    await spawned?.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
