import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { CID } from 'multiformats/cid'
import { silentLogger } from '../../../node/logger.ts'
import { UnclaimedEnvelopes } from '../../../node/services/unclaimed.ts'
import { seal, type DecodedEnvelope } from '../../../protocol/index.ts'
import type { KeyedEffect } from '../../../protocol/state/effects.ts'
import { testNode } from '../../fixtures/identities.ts'

const alice = await testNode('unclaimed-alice')
const bob = await testNode('unclaimed-bob')
const envelope = (type: string): DecodedEnvelope => seal(alice.sender, [bob.identity], type, { type })

function fakeLog (pending: KeyedEffect[]): EventTarget & { pending: () => KeyedEffect[], markDone: (keys: readonly string[]) => Promise<void>, done: string[] } {
  const log = new EventTarget() as EventTarget & { pending: () => KeyedEffect[], markDone: (keys: readonly string[]) => Promise<void>, done: string[] }
  log.done = []
  log.pending = () => pending
  log.markDone = async (keys) => { log.done.push(...keys) }
  return log
}

const open = (key: string, e: DecodedEnvelope): KeyedEffect => ({ key, seq: 1, effect: { type: 'envelope.open', envelope: e.cid } }) as unknown as KeyedEffect

test('envelope.open effects of types no service claims are marked done, at start and on append; claimed ones and other effects are left alone', async () => {
  const custody = envelope('custody/order')
  const junk = envelope('test/flood')
  const later = envelope('nobody/here')
  const missing = envelope('test/missing')
  const stored = new Map<string, DecodedEnvelope>([custody, junk, later].map((e) => [e.cid.toString(), e]))
  const log = fakeLog([open('a:0', custody), open('b:0', junk), { key: 'c:0', seq: 2, effect: { type: 'custody.generate-share' } } as unknown as KeyedEffect, open('d:0', missing)])
  const service = new UnclaimedEnvelopes({ log: log as never, readEnvelope: async (cid: CID) => stored.get(cid.toString()), logger: silentLogger() }, { claims: [(t) => t.startsWith('custody/')] })
  await service.start()
  log.dispatchEvent(new CustomEvent('log:append', { detail: { entry: {}, effects: [open('e:0', later), open('f:0', custody)] } }))
  await service.idle()
  await service.stop()
  assert.equal(log.done.sort(), ['b:0', 'e:0'])
  assert.is(service.closed, 2)
})

test('after stop, appends are no longer considered', async () => {
  const log = fakeLog([])
  const service = new UnclaimedEnvelopes({ log: log as never, readEnvelope: async () => envelope('x/y'), logger: silentLogger() }, { claims: [] })
  await service.start()
  await service.stop()
  log.dispatchEvent(new CustomEvent('log:append', { detail: { entry: {}, effects: [open('z:0', envelope('x/y'))] } }))
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(log.done, [])
})

test.run()
