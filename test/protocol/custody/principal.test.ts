import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { decidePrincipal, type PrincipalOrder, type SendEffect } from '../../../protocol/custody/index.ts'
import { deepFreeze } from '../state/entries.ts'
import { addresses, applied, B, bPop, F, facts, fPop, ids, ignored, order, refused, stage, W } from './orders.ts'

const P = ids.principal
const created = (): PrincipalOrder => deepFreeze(stage(decidePrincipal, P, [facts.order()]))
const keyed = (): PrincipalOrder => deepFreeze(stage(decidePrincipal, P, [facts.order(), facts.beneficiaryKey(), facts.fiduciaryKey()]))
const published = (): PrincipalOrder => deepFreeze(stage(decidePrincipal, P, [facts.order(), facts.beneficiaryKey(), facts.fiduciaryKey(), facts.address()]))
const requested = (): PrincipalOrder => deepFreeze(stage(decidePrincipal, P, [facts.order(), facts.beneficiaryKey(), facts.fiduciaryKey(), facts.address(), facts.releaseRequest()]))

test('order: the principal records its own orders once; others\' orders are not its business', () => {
  const o = created()
  assert.is(o.status, 'pending')
  assert.equal([o.beneficiaryKey, o.fiduciaryKey, o.wallet], [null, null, null])
  assert.ok(o.envelopes['custody/order']?.equals(order) === true)
  refused(decidePrincipal(o, facts.order(), P), 'DuplicateMessageError')
  ignored(decidePrincipal(undefined, facts.order(ids.mallory), P))
})

test('keys: accepted only from the named party, once; both in → the address of W = B + F is sent to both parties', () => {
  const o = created()
  refused(decidePrincipal(o, facts.beneficiaryKey(ids.mallory), P), 'UnauthorizedSenderError')
  refused(decidePrincipal(o, facts.fiduciaryKey(ids.beneficiary), P), 'UnauthorizedSenderError')
  refused(decidePrincipal(undefined, facts.fiduciaryKey(), P), 'UnknownOrderError')
  ignored(decidePrincipal(undefined, facts.fiduciaryKey(P), P)) // our own key as fiduciary of someone else's order
  const one = applied(decidePrincipal(o, facts.beneficiaryKey(), P))
  assert.equal(one.effects, [], 'no address with one key')
  assert.equal(one.order.beneficiaryKey, { publicKey: B, pop: bPop })
  refused(decidePrincipal(one.order, facts.beneficiaryKey(), P), 'DuplicateMessageError')
  refused(decidePrincipal(one.order, facts.beneficiaryKey(ids.beneficiary, F), P), 'OrderStateError')
  const two = applied(decidePrincipal(one.order, facts.fiduciaryKey(), P))
  assert.is(two.order.status, 'pending', 'published only once the address is sent')
  assert.is(two.effects.length, 1)
  const send = two.effects[0] as SendEffect
  assert.is(send.type, 'custody.send')
  assert.is(send.message, 'custody/address')
  assert.equal(send.to.map(String), [ids.beneficiary, ids.fiduciary].map(String))
  assert.equal(send.prev.map(String), [one.order.envelopes['custody/beneficiary-key'], two.order.envelopes['custody/fiduciary-key']].map(String))
  assert.equal(send.body, { v: 1, network: 'mainnet', beneficiary: ids.beneficiary, beneficiaryKey: B, beneficiaryPop: bPop, fiduciary: ids.fiduciary, fiduciaryKey: F, fiduciaryPop: fPop, walletKey: W, ...addresses })
})

test('keys that add up to infinity (B = −F) are refused rather than thrown', () => {
  const one = applied(decidePrincipal(created(), facts.beneficiaryKey(), P))
  const minusB = secp256k1.Point.fromBytes(B).negate().toBytes(true)
  refused(decidePrincipal(one.order, facts.fiduciaryKey(ids.fiduciary, minusB), P), 'KeyMismatchError')
})

test('address: only its own, only after both keys, only made of the recorded keys', () => {
  refused(decidePrincipal(created(), facts.address(), P), 'OrderStateError')
  refused(decidePrincipal(keyed(), facts.address(P, { fiduciaryKey: B }), P), 'KeyMismatchError')
  ignored(decidePrincipal(keyed(), facts.address(ids.mallory), P))
  const o = applied(decidePrincipal(keyed(), facts.address(), P)).order
  assert.is(o.status, 'published')
  assert.equal(o.wallet, { walletKey: W, ...addresses })
  refused(decidePrincipal(o, facts.address(), P), 'DuplicateMessageError')
})

test('release request: after the address, to the order\'s beneficiary and wallet, once', () => {
  refused(decidePrincipal(keyed(), facts.releaseRequest(), P), 'OrderStateError')
  refused(decidePrincipal(published(), facts.releaseRequest(P, { beneficiary: ids.mallory }), P), 'WrongBeneficiaryError')
  refused(decidePrincipal(published(), facts.releaseRequest(P, { walletKey: B }), P), 'KeyMismatchError')
  refused(decidePrincipal(undefined, facts.releaseRequest(), P), 'UnknownOrderError')
  ignored(decidePrincipal(published(), facts.releaseRequest(ids.mallory), P))
  const o = applied(decidePrincipal(published(), facts.releaseRequest(), P)).order
  assert.is(o.status, 'release-requested')
  refused(decidePrincipal(o, facts.releaseRequest(), P), 'DuplicateMessageError')
})

test('released / redeemed: only from the fiduciary / beneficiary, after the request; redeemed is final whatever arrives last', () => {
  refused(decidePrincipal(published(), facts.released(), P), 'OrderStateError')
  refused(decidePrincipal(requested(), facts.released(ids.mallory), P), 'UnauthorizedSenderError')
  refused(decidePrincipal(requested(), facts.released(ids.fiduciary, { beneficiary: ids.mallory }), P), 'TermsMismatchError')
  refused(decidePrincipal(requested(), facts.redeemed(ids.fiduciary), P), 'UnauthorizedSenderError')
  refused(decidePrincipal(requested(), facts.redeemed(ids.beneficiary, B), P), 'KeyMismatchError')
  refused(decidePrincipal(published(), facts.redeemed(), P), 'OrderStateError')
  const redeemed = applied(decidePrincipal(requested(), facts.redeemed(), P)).order
  assert.is(redeemed.status, 'redeemed')
  const both = applied(decidePrincipal(redeemed, facts.released(), P)).order
  assert.is(both.status, 'redeemed')
  refused(decidePrincipal(both, facts.released(), P), 'DuplicateMessageError')
  refused(decidePrincipal(both, facts.redeemed(), P), 'DuplicateMessageError')
  const released = applied(decidePrincipal(requested(), facts.released(), P)).order
  assert.is(released.status, 'released')
})

test.run()
