// simulations/sim/plan.ts and random.ts: a seed names a plan; options that cannot make a
// simulation are refused by name.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { counterparts, makePlan, type SimOptions } from '../../simulations/sim/plan.ts'
import { SeededRandom } from '../../simulations/sim/random.ts'

const base: SimOptions = { nodes: 8, fiduciaries: 2, orders: 40, scenario: 'custody', faults: ['kill', 'partition', 'delay', 'restart'], seed: 42, concurrency: 4, orderTimeoutMs: 60_000 }

test('the same seed gives the same plan; another seed another one', () => {
  const a = makePlan(base, ['custody'])
  assert.equal(makePlan(base, ['custody']), a)
  const b = makePlan({ ...base, seed: 43 }, ['custody'])
  assert.not.equal(JSON.stringify(b), JSON.stringify(a))
})

test('SeededRandom: same seed, same sequence; ranges hold; shuffle is a permutation', () => {
  const x = new SeededRandom(7)
  const y = new SeededRandom(7)
  const xs = Array.from({ length: 100 }, () => x.nextUint32())
  assert.equal(Array.from({ length: 100 }, () => y.nextUint32()), xs)
  assert.is(new Set(xs).size, 100)
  const r = new SeededRandom(0)
  for (let i = 0; i < 1000; i++) {
    const v = r.int(3, 9)
    assert.ok(v >= 3 && v <= 9 && Number.isInteger(v), `int out of range: ${v}`)
    const f = r.next()
    assert.ok(f >= 0 && f < 1)
  }
  assert.equal(r.shuffle([1, 2, 3, 4, 5, 6]).sort(), [1, 2, 3, 4, 5, 6])
  assert.throws(() => r.pick([]), (e: Error) => e.name === 'RangeError')
})

test('roles: the asked number of fiduciaries, the rest split into principals and beneficiaries; orders take one of each', () => {
  const plan = makePlan(base, ['custody'])
  const count = (role: string): number => plan.roles.filter((r) => r === role).length
  assert.is(count('fiduciary'), 2)
  assert.is(count('principal'), 3)
  assert.is(count('beneficiary'), 3)
  assert.is(plan.orders.length, 40)
  for (const o of plan.orders) {
    assert.is(plan.roles[o.principal], 'principal')
    assert.is(plan.roles[o.beneficiary], 'beneficiary')
    assert.is(o.fiduciaries.length, 1)
    assert.is(plan.roles[o.fiduciaries[0] as number], 'fiduciary')
    assert.is(o.kind, 'custody')
    assert.ok(['mainnet', 'testnet', 'signet', 'regtest'].includes(o.network))
  }
  const peers = counterparts(plan)
  for (const o of plan.orders) {
    const f = o.fiduciaries[0] as number
    assert.ok(peers[o.principal]?.has(o.beneficiary) === true && peers[o.beneficiary]?.has(f) === true && peers[f]?.has(o.principal) === true)
  }
})

test('faults: one per listed kind by default, in order of their trigger, within the run, on real nodes', () => {
  const plan = makePlan(base, ['custody'])
  assert.equal(plan.faults.map((f) => f.kind).sort(), ['delay', 'kill', 'partition', 'restart'])
  assert.equal(plan.faults.map((f) => f.index), [0, 1, 2, 3])
  for (let i = 1; i < plan.faults.length; i++) assert.ok((plan.faults[i - 1]?.atOrder as number) <= (plan.faults[i]?.atOrder as number))
  for (const f of plan.faults) {
    assert.ok(f.atOrder >= 4 && f.atOrder <= 28, `fault at order ${f.atOrder}`)
    assert.ok(f.nodes.length >= 1 && f.nodes.every((n) => n >= 0 && n < 8))
    if (f.kind === 'partition') assert.ok(f.nodes.length <= 4, 'one side is at most half of the nodes')
    else assert.is(f.nodes.length, 1)
    if (f.kind === 'delay') assert.ok((f.delayMs as number) >= 100 && (f.delayMs as number) <= 400)
  }
  assert.is(makePlan({ ...base, faultCount: 9 }, ['custody']).faults.length, 9)
  assert.is(makePlan({ ...base, faults: [] }, ['custody']).faults.length, 0)
})

test('options that cannot make a simulation are refused with SimOptionsError naming the option', () => {
  const refused = (o: Partial<SimOptions>, word: string): void => {
    assert.throws(() => makePlan({ ...base, ...o }, ['custody']), (e: Error) => e.name === 'SimOptionsError' && e.message.includes(word), word)
  }
  refused({ nodes: 2 }, '--nodes')
  refused({ fiduciaries: 7 }, '--fiduciaries')
  refused({ fiduciaries: 0 }, '--fiduciaries')
  refused({ orders: 0 }, '--orders')
  refused({ seed: -1 }, '--seed')
  refused({ faults: ['flood' as 'kill'] }, '--faults')
  refused({ faults: [], faultCount: 2 }, '--fault-count')
  refused({ scenario: 'safeguard' }, 'safeguard') // when the nodes do not run it
  // mixed draws among what is available
  assert.ok(makePlan({ ...base, scenario: 'mixed' }, ['custody']).orders.every((o) => o.kind === 'custody'))
})

test('safeguard and M-Pin orders: n-of-k fiduciaries with a threshold and a secret; every fiduciary as a D-TA', () => {
  const plan = makePlan({ ...base, fiduciaries: 4, scenario: 'mixed' }, ['custody', 'safeguard', 'mpin'])
  const F = plan.roles.flatMap((r, i) => r === 'fiduciary' ? [i] : [])
  const kinds = new Set(plan.orders.map((o) => o.kind))
  assert.equal([...kinds].sort(), ['custody', 'mpin', 'safeguard'], 'mixed draws every kind')
  for (const o of plan.orders) {
    if (o.kind === 'safeguard') {
      assert.ok(o.fiduciaries.length >= 1 && o.fiduciaries.length <= 3)
      assert.is(new Set(o.fiduciaries).size, o.fiduciaries.length)
      assert.ok(o.fiduciaries.every((f) => F.includes(f)))
      assert.ok((o.threshold as number) >= 1 && (o.threshold as number) <= o.fiduciaries.length)
      assert.match(o.secret as string, /^[0-9a-f]{64}$/)
    } else if (o.kind === 'mpin') {
      assert.equal(o.fiduciaries, F)
      assert.is(o.secret, undefined)
    }
  }
  const secrets = plan.orders.flatMap((o) => o.secret === undefined ? [] : [o.secret])
  assert.is(new Set(secrets).size, secrets.length, 'a secret per deposit')
})

test.run()
