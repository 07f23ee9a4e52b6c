// node/services/mpin-challenges.ts: pending pass-1 challenges are usable once, expire, are
// forgotten, and are bounded — on a fake clock, no sleeps.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ChallengeStore } from '../../../node/services/mpin-challenges.ts'

const named = (fn: () => unknown): string => {
  try {
    fn()
    return 'ok'
  } catch (err) {
    return (err as Error).name
  }
}

test('a challenge is taken once: a replay is ChallengeUsedError, an unknown id UnknownChallengeError', () => {
  let now = 1_000
  const store = new ChallengeStore<string>({ ttlMs: 100, now: () => now })
  const a = store.issue('login a')
  assert.is(a.expires, 1_100)
  assert.match(a.id, /^[A-Za-z0-9_-]{22}$/)
  now = 1_099
  assert.is(store.take(a.id), 'login a')
  assert.is(named(() => store.take(a.id)), 'ChallengeUsedError')
  assert.is(named(() => store.take('AAAAAAAAAAAAAAAAAAAAAA')), 'UnknownChallengeError')
  assert.is.not(store.issue('x').id, store.issue('y').id)
})

test('expiry: taken at or after its lifetime is ChallengeExpiredError (and spent); forgotten after two lifetimes', () => {
  let now = 0
  const store = new ChallengeStore<number>({ ttlMs: 100, now: () => now })
  const a = store.issue(1)
  const b = store.issue(2)
  now = 100
  assert.is(named(() => store.take(a.id)), 'ChallengeExpiredError')
  assert.is(named(() => store.take(a.id)), 'ChallengeUsedError')
  assert.is(store.size, 2)
  now = 200
  assert.is(store.size, 0)
  assert.is(named(() => store.take(b.id)), 'UnknownChallengeError')
})

test('bounded: at most `max` remembered; room comes back when old ones are forgotten', () => {
  let now = 0
  const store = new ChallengeStore<number>({ ttlMs: 10, max: 3, now: () => now })
  for (let i = 0; i < 3; i++) store.issue(i)
  assert.is(named(() => store.issue(3)), 'TooManyChallengesError')
  now = 19
  assert.is(named(() => store.issue(3)), 'TooManyChallengesError', 'spent and expired ones still count until forgotten')
  now = 20
  assert.is(named(() => store.issue(3)), 'ok')
  assert.is(store.size, 1)
  assert.throws(() => new ChallengeStore({ ttlMs: 0 }), RangeError)
  assert.throws(() => new ChallengeStore({ max: 0 }), RangeError)
})

test.run()
