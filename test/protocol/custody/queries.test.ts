import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkReleaseRequest, isRecorded, orderIds, orderView, ownShare, recordedEnvelope, roleOrder } from '../../../protocol/custody/index.ts'
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
