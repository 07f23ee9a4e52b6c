import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import { CUSTODY_EFFECTS, distinct, isCustodyEffect, sendEffect } from '../../../protocol/custody/index.ts'
import { ids, order } from './orders.ts'

test('sendEffect names each recipient and prev link once, in first-seen order, and is DAG-CBOR (it goes to the outbox)', () => {
  const e = sendEffect('principal', order, 'custody/address', [ids.beneficiary, ids.fiduciary, ids.beneficiary], [order, order], { v: 1 })
  assert.equal(e.to.map(String), [ids.beneficiary, ids.fiduciary].map(String))
  assert.equal(e.prev.map(String), [String(order)])
  assert.equal(dagCbor.decode(dagCbor.encode(e)), e)
  assert.equal(distinct([ids.principal, ids.principal, ids.principal]).map(String), [String(ids.principal)])
})

test('isCustodyEffect knows exactly the custody effect types', () => {
  for (const type of Object.values(CUSTODY_EFFECTS)) assert.ok(isCustodyEffect({ type }))
  for (const type of ['envelope.open', 'custody', 'custody.sendx', '']) assert.not.ok(isCustodyEffect({ type }))
})

test.run()
