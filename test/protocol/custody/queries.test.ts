import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CUSTODY_EFFECTS, checkReleaseRequest, custodyEffectSettled, isRecorded, orderIds, orderView, ownShare, recordedEnvelope, roleOrder } from '../../../protocol/custody/index.ts'
import { createOrder, requestRelease, World, type Party } from './world.ts'

test('orderView merges the roles a node plays; recordedEnvelope / isRecorded / ownShare answer from the slices', async () => {
  const { world, parties } = await World.create('p', 'b', 'f')
  const [P, B, F] = parties as [Party, Party, Party]
  const order = createOrder(world, P, B, F)
  world.run()
  const p = orderView(P.state, order)
  assert.ok(p !== undefined)
  assert.equal(p.roles, ['principal'])
  assert.equal(p.statuses, { principal: 'published' })
  assert.ok(p.id.equals(order))
  assert.equal(p.wallet, roleOrder(P.state, 'principal', order.toString())?.wallet)
  assert.equal(p.beneficiaryKey, roleOrder(B.state, 'beneficiary', order.toString())?.share?.publicKey)
  assert.equal(p.fiduciaryKey, roleOrder(F.state, 'fiduciary', order.toString())?.share?.publicKey)
  assert.is(orderView(P.state, B.id), undefined)
  const f = orderView(F.state, order)
  assert.equal([f?.roles, f?.statuses], [['fiduciary'], { fiduciary: 'committed' }])
  assert.equal(f?.wallet, p.wallet)
  assert.ok(ownShare(F.state, order, 'fiduciary') !== null)
  assert.is(ownShare(F.state, order, 'beneficiary'), null)
  const sent = recordedEnvelope(F.state, 'fiduciary', order, 'custody/fiduciary-key')
  assert.ok(sent !== undefined && F.sent.has(sent.toString()))
  const envelope = F.sent.get(sent.toString())
  assert.ok(envelope !== undefined && isRecorded(F.state, envelope) && isRecorded(P.state, envelope))
  assert.not.ok(isRecorded(B.state, envelope))
})

test('custodyEffectSettled: true exactly when the slice records the work (share generated, message sent, share released)', async () => {
  const { world, parties } = await World.create('p', 'b', 'f')
  const [P, B, F] = parties as [Party, Party, Party]
  const order = createOrder(world, P, B, F)
  world.run()
  const share = (role: 'beneficiary' | 'fiduciary') => ({ type: CUSTODY_EFFECTS.generateShare, order, role })
  assert.ok(custodyEffectSettled(F.state, share('fiduciary')))
  assert.not.ok(custodyEffectSettled(F.state, share('beneficiary')))
  assert.ok(custodyEffectSettled(B.state, share('beneficiary')))
  const send = (role: 'principal' | 'fiduciary', message: 'custody/fiduciary-key' | 'custody/release') => ({ type: CUSTODY_EFFECTS.send, role, order, message, to: [P.id], prev: [], body: {} })
  assert.ok(custodyEffectSettled(F.state, send('fiduciary', 'custody/fiduciary-key')))
  assert.not.ok(custodyEffectSettled(P.state, send('fiduciary', 'custody/fiduciary-key')), 'another node\'s slice does not settle it')
  const f = roleOrder(F.state, 'fiduciary', order)
  const release = { type: CUSTODY_EFFECTS.releaseShare, order, handle: f?.share?.handle ?? '', publicKey: f?.share?.publicKey ?? new Uint8Array(33), beneficiary: B.id, request: order }
  assert.not.ok(custodyEffectSettled(F.state, release as never), 'not released yet')
  requestRelease(world, P, order)
  world.run()
  assert.ok(custodyEffectSettled(F.state, release as never), 'released')
})

test('checkReleaseRequest: the principal\'s rules for a request it would send now', async () => {
  const { world, parties } = await World.create('p', 'b', 'f')
  const [P, B, F] = parties as [Party, Party, Party]
  world.hold = (d) => d.envelope.header.type === 'custody/fiduciary-key'
  const order = createOrder(world, P, B, F)
  world.run()
  assert.is(checkReleaseRequest(P.state, order, P.id)?.name, 'OrderStateError')
  assert.is(checkReleaseRequest(P.state, B.id, P.id)?.name, 'UnknownOrderError')
  world.hold = () => false
  world.network.push(...world.held.splice(0))
  world.run()
  assert.is(checkReleaseRequest(P.state, order, P.id), null)
  requestRelease(world, P, order)
  assert.is(checkReleaseRequest(P.state, order, P.id)?.name, 'DuplicateMessageError')
})

test('orderIds: every order in any role, each once, by creation time (the principal\'s clock) then id', async () => {
  const { world, parties } = await World.create('p', 'b', 'f')
  const [P, B, F] = parties as [Party, Party, Party]
  const first = createOrder(world, P, B, F)
  const second = createOrder(world, P, P, F)
  B.clock = P.clock + 100
  const third = createOrder(world, B, P, P)
  world.run()
  assert.equal(orderIds(P.state), [first, second, third].map(String))
  assert.equal(orderIds(F.state), [first, second].map(String))
  assert.equal(orderIds(B.state), [first, third].map(String))
  B.clock = 0
  const early = createOrder(world, B, P, P)
  world.run()
  assert.equal(orderIds(P.state), [early, first, second, third].map(String))
})

test.run()
