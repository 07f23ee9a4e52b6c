import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decideFiduciary, type FiduciaryOrder, type ReleaseShareEffect, type SendEffect } from '../../../protocol/custody/index.ts'
import { deepFreeze } from '../state/entries.ts'
import { addresses, applied, B, F, facts, fPop, handles, ids, ignored, order, refused, stage, W } from './orders.ts'

const Fi = ids.fiduciary
const at = (...steps: Parameters<typeof stage>[2]): FiduciaryOrder => deepFreeze(stage(decideFiduciary, Fi, steps))
const received = (): FiduciaryOrder => at(facts.order())
const generated = (): FiduciaryOrder => at(facts.order(), facts.share('fiduciary'))
const committed = (): FiduciaryOrder => at(facts.order(), facts.share('fiduciary'), facts.fiduciaryKey())
const releasing = (): FiduciaryOrder => at(facts.order(), facts.share('fiduciary'), facts.fiduciaryKey(), facts.releaseRequest())

test('order → generate a share; share → send its key and proof to the principal; the sent key commits', () => {
  const first = applied(decideFiduciary(undefined, facts.order(), Fi))
  assert.equal(first.effects, [{ type: 'custody.generate-share', order, role: 'fiduciary' }])
  assert.ok(first.order.principal.equals(ids.principal))
  ignored(decideFiduciary(undefined, { ...facts.order(), fiduciary: ids.mallory }, Fi))
  refused(decideFiduciary(received(), facts.order(), Fi), 'DuplicateMessageError')
  const share = applied(decideFiduciary(received(), facts.share('fiduciary'), Fi))
  assert.equal(share.order.share, { handle: handles.f, publicKey: F, pop: fPop })
  const send = share.effects[0] as SendEffect
  assert.equal([send.type, send.role, send.message, send.to.map(String), send.prev.map(String)], ['custody.send', 'fiduciary', 'custody/fiduciary-key', [String(ids.principal)], [String(order)]])
  assert.equal(send.body, { v: 1, publicKey: F, pop: fPop })
  ignored(decideFiduciary(received(), facts.share('beneficiary'), Fi))
  refused(decideFiduciary(generated(), facts.share('fiduciary'), Fi), 'DuplicateMessageError')
  refused(decideFiduciary(undefined, facts.share('fiduciary'), Fi), 'UnknownOrderError')
  assert.is(generated().status, 'pending')
  assert.is(committed().status, 'committed')
  refused(decideFiduciary(generated(), facts.fiduciaryKey(Fi, B), Fi), 'KeyMismatchError')
  refused(decideFiduciary(committed(), facts.fiduciaryKey(), Fi), 'DuplicateMessageError')
})

test('address: from the principal, same terms, built on this fiduciary\'s key', () => {
  refused(decideFiduciary(committed(), facts.address(ids.mallory), Fi), 'UnauthorizedSenderError')
  refused(decideFiduciary(committed(), facts.address(ids.principal, { beneficiary: ids.mallory }), Fi), 'TermsMismatchError')
  refused(decideFiduciary(committed(), facts.address(ids.principal, { network: 'testnet' }), Fi), 'TermsMismatchError')
  refused(decideFiduciary(committed(), facts.address(ids.principal, { fiduciaryKey: B }), Fi), 'KeyMismatchError')
  refused(decideFiduciary(undefined, facts.address(), Fi), 'UnknownOrderError')
  const o = applied(decideFiduciary(committed(), facts.address(), Fi)).order
  assert.equal(o.wallet, { walletKey: W, ...addresses })
  refused(decideFiduciary(o, facts.address(), Fi), 'DuplicateMessageError')
})

test('release authorization: each failed condition is its own typed refusal', () => {
  refused(decideFiduciary(undefined, facts.releaseRequest(), Fi), 'UnknownOrderError')
  refused(decideFiduciary(committed(), facts.releaseRequest(ids.mallory), Fi), 'UnauthorizedSenderError')
  refused(decideFiduciary(committed(), facts.releaseRequest(ids.beneficiary), Fi), 'UnauthorizedSenderError')
  refused(decideFiduciary(committed(), facts.releaseRequest(ids.principal, { beneficiary: ids.mallory }), Fi), 'WrongBeneficiaryError')
  refused(decideFiduciary(received(), facts.releaseRequest(), Fi), 'OrderNotCommittedError')
  refused(decideFiduciary(generated(), facts.releaseRequest(), Fi), 'OrderNotCommittedError')
  const withAddress = applied(decideFiduciary(committed(), facts.address(), Fi)).order
  refused(decideFiduciary(withAddress, facts.releaseRequest(ids.principal, { walletKey: B }), Fi), 'KeyMismatchError')
  refused(decideFiduciary(releasing(), facts.releaseRequest(), Fi), 'DuplicateMessageError')
})

test('an authorized request releases the share behind its handle to the order\'s beneficiary, once', () => {
  const r = applied(decideFiduciary(committed(), facts.releaseRequest(), Fi))
  assert.is(r.order.status, 'releasing')
  const release = r.effects[0] as ReleaseShareEffect
  assert.equal([release.type, release.handle, String(release.beneficiary)], ['custody.release-share', handles.f, String(ids.beneficiary)])
  assert.equal(release.publicKey, F)
  assert.equal(release.prev.map(String), [String(r.order.envelopes['custody/release-request'])])
  const sent = applied(decideFiduciary(r.order, facts.release(), Fi))
  assert.is(sent.order.status, 'released')
  const notice = sent.effects[0] as SendEffect
  assert.equal([notice.message, notice.to.map(String)], ['custody/released', [String(ids.principal)]])
  refused(decideFiduciary(sent.order, facts.releaseRequest(), Fi), 'AlreadyReleasedError')
  refused(decideFiduciary(sent.order, facts.release(), Fi), 'AlreadyReleasedError')
  refused(decideFiduciary(committed(), facts.release(), Fi), 'OrderStateError')
  refused(decideFiduciary(r.order, facts.release(Fi, { publicKey: B }), Fi), 'KeyMismatchError')
  refused(decideFiduciary(r.order, facts.release(Fi, { beneficiary: ids.mallory }), Fi), 'WrongBeneficiaryError')
  ignored(decideFiduciary(r.order, facts.release(ids.mallory), Fi))
  const announced = applied(decideFiduciary(sent.order, facts.released(), Fi)).order
  refused(decideFiduciary(announced, facts.released(), Fi), 'DuplicateMessageError')
})

test.run()
