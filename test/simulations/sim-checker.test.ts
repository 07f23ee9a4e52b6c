// The invariant checker catches a broken network: a test hook makes one principal lose one
// delivery for good (acknowledged, never recorded — the sender forgets it), and the simulation
// must name the invariant that breaks, the envelope and the node, and fail.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runSim } from '../../simulations/sim/runner.ts'

test('one delivery lost for good is reported: envelopes-agree fails, naming the envelope and the node; the run is not ok', async () => {
  const r = await runSim({
    nodes: 3, fiduciaries: 1, orders: 3, scenario: 'custody', faults: [], seed: 5,
    concurrency: 3, orderTimeoutMs: 30_000, signal: AbortSignal.timeout(120_000),
    // The principal stops counting on the fiduciary's `released` once the beneficiary says
    // `redeemed`, so losing it does not stall the order: only the checker can see it.
    testHooks: { dropDelivery: 'custody/released' }
  })
  assert.is(r.ok, false)
  assert.equal(r.invariants.filter((i) => !i.ok).map((i) => i.name), ['envelopes-agree'])
  const broken = r.invariants.find((i) => i.name === 'envelopes-agree')
  assert.is(broken?.failureCount, 1)
  const principal = r.roles.indexOf('principal')
  const fiduciary = r.roles.indexOf('fiduciary')
  assert.match(broken?.failures[0] ?? '', new RegExp(`^envelope \\S+ \\(custody/released\\) sent by node${fiduciary} never reached node${principal}: it is not in that recipient's log$`))
  // Everything else still holds: the orders completed and the logs audit.
  assert.is(r.summary.completed, 3)
  for (const i of r.invariants) if (i.name !== 'envelopes-agree') assert.ok(i.ok, i.name)
})

test.run()
