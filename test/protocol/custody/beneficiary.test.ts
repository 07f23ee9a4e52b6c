import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decideBeneficiary, type BeneficiaryOrder, type SendEffect } from '../../../protocol/custody/index.ts'
import { deepFreeze } from '../state/entries.ts'
import { addresses, applied, B, bPop, F, facts, handles, ids, ignored, order, refused, stage, W } from './orders.ts'

const Be = ids.beneficiary
const at = (...steps: Parameters<typeof stage>[2]): BeneficiaryOrder => deepFreeze(stage(decideBeneficiary, Be, steps))
const committed = (): BeneficiaryOrder => at(facts.order(), facts.share('beneficiary'), facts.beneficiaryKey())
const published = (): BeneficiaryOrder => at(facts.order(), facts.share('beneficiary'), facts.beneficiaryKey(), facts.address())

test('order → generate a share; share → send its key and proof to the principal', () => {
  const first = applied(decideBeneficiary(undefined, facts.order(), Be))
  assert.equal(first.effects, [{ type: 'custody.generate-share', order, role: 'beneficiary' }])
  ignored(decideBeneficiary(undefined, { ...facts.order(), beneficiary: ids.mallory }, Be))
  const share = applied(decideBeneficiary(first.order, facts.share('beneficiary'), Be))
  const send = share.effects[0] as SendEffect
  assert.equal([send.message, send.to.map(String)], ['custody/beneficiary-key', [String(ids.principal)]])
  assert.equal(send.body, { v: 1, publicKey: B, pop: bPop })
  assert.is(committed().status, 'committed')
  refused(decideBeneficiary(committed(), facts.beneficiaryKey(), Be), 'DuplicateMessageError')
})

test('address: from the principal, same terms, built on this beneficiary\'s key; records the fiduciary key and wallet', () => {
  refused(decideBeneficiary(committed(), facts.address(ids.fiduciary), Be), 'UnauthorizedSenderError')
  refused(decideBeneficiary(committed(), facts.address(ids.principal, { fiduciary: ids.mallory }), Be), 'TermsMismatchError')
  refused(decideBeneficiary(committed(), facts.address(ids.principal, { beneficiaryKey: F }), Be), 'KeyMismatchError')
  refused(decideBeneficiary(at(facts.order()), facts.address(), Be), 'KeyMismatchError')
  refused(decideBeneficiary(undefined, facts.address(), Be), 'UnknownOrderError')
  const o = published()
  assert.is(o.status, 'published')
  assert.equal(o.fiduciaryKey, F)
  assert.equal(o.wallet, { walletKey: W, ...addresses })
  refused(decideBeneficiary(o, facts.address(), Be), 'DuplicateMessageError')
})

test('release: only from the order\'s fiduciary, of its published key, after the address; recorded with the imported handles', () => {
  refused(decideBeneficiary(published(), facts.release(ids.mallory), Be), 'UnauthorizedSenderError')
  refused(decideBeneficiary(published(), facts.release(ids.principal), Be), 'UnauthorizedSenderError')
  refused(decideBeneficiary(committed(), facts.release(), Be), 'PrematureMessageError')
  refused(decideBeneficiary(published(), facts.release(ids.fiduciary, { publicKey: B }), Be), 'KeyMismatchError')
  refused(decideBeneficiary(published(), facts.release(ids.fiduciary, { beneficiary: ids.mallory }), Be), 'WrongBeneficiaryError')
  refused(decideBeneficiary(undefined, facts.release(), Be), 'UnknownOrderError')
  // Before the import, the service asks with `beforeImport`; the reducer never records a release without it.
  const pending = facts.release(ids.fiduciary, { imported: null })
  refused(decideBeneficiary(published(), pending, Be), 'OrderStateError')
  const asked = applied(decideBeneficiary(published(), pending, Be, { beforeImport: true }))
  assert.equal(asked.effects, [])
  const r = applied(decideBeneficiary(published(), facts.release(), Be))
  assert.is(r.order.status, 'redeemed')
  assert.equal(r.order.imported, { share: handles.share, wallet: handles.wallet })
  const send = r.effects[0] as SendEffect
  assert.equal([send.message, send.to.map(String)], ['custody/redeemed', [String(ids.principal)]])
  assert.equal(send.body, { v: 1, walletKey: W })
  refused(decideBeneficiary(r.order, facts.release(), Be), 'DuplicateMessageError')
  const announced = applied(decideBeneficiary(r.order, facts.redeemed(), Be)).order
  refused(decideBeneficiary(announced, facts.redeemed(), Be), 'DuplicateMessageError')
})

test.run()
