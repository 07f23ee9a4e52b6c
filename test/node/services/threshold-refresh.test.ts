// Proactive refresh and re-sharing of threshold custody on whole nodes over loopback TCP. A refresh
// keeps the group key, the wallet key and the address, gives every holder a new share, destroys
// the old one, and old shares no longer interpolate with new ones; a reshare moves the key to a
// new set of fiduciaries (one replaced) without moving funds, and the new set releases it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import type { CID } from 'multiformats/cid'
import { equalBytes, fromHex, toHex } from '../../../crypto/index.ts'
import { interpolate } from '../../../crypto/threshold/index.ts'
import { orderOf } from '../../../protocol/threshold/reduce.ts'
import { exportedKey, published, redeemed, roundEnded, startThresholdNetwork, stopAll, thresholdOf, type CustodyNode } from './threshold-harness.ts'

let nodes: CustodyNode[] = []
let P: CustodyNode, B: CustodyNode, F1: CustodyNode, F2: CustodyNode, F3: CustodyNode, F4: CustodyNode
const within = (): AbortSignal => AbortSignal.timeout(30_000)
const id = (n: CustodyNode): CID => n.node.identity.cid

test.before(async () => {
  nodes = await startThresholdNetwork(['principal', 'beneficiary', 'f1', 'f2', 'f3', 'f4'])
  ;[P, B, F1, F2, F3, F4] = nodes as [CustodyNode, CustodyNode, CustodyNode, CustodyNode, CustodyNode, CustodyNode]
})

test.after(async () => { await stopAll(nodes) })

interface Held { readonly index: number, readonly handle: string, readonly share: Uint8Array }

async function heldShare (f: CustodyNode, order: CID): Promise<Held> {
  const s = orderOf(thresholdOf(f).state, order)?.share
  if (s == null) throw new Error(`${f.node.home.config.name} holds no share`)
  return { index: s.index, handle: s.handle, share: await f.services.keystore?.use(s.handle, (x) => Uint8Array.from(x)) as Uint8Array }
}

const keyOf = (shares: readonly Held[]): string => toHex(secp256k1.getPublicKey(interpolate(shares.map((s) => ({ index: s.index, share: s.share }))), true))

async function gone (f: CustodyNode, handle: string): Promise<boolean> {
  return await (f.services.keystore?.use(handle, () => false) as Promise<boolean>).then((x) => x, (err: Error) => err.name === 'UnknownHandleError')
}

test('refresh: same group key, wallet key and address; new shares; old shares destroyed and useless with new ones; release still redeems the same key', async () => {
  const o = await thresholdOf(P).create({ beneficiary: id(B), fiduciaries: [F1, F2, F3].map(id), threshold: 2, network: 'regtest' })
  const v = await thresholdOf(P).waitFor(o.id, published, { signal: within() })
  const y = toHex(v.wallet?.groupKey as Uint8Array)
  const fs = [F1, F2, F3]
  for (const f of fs) await thresholdOf(f).waitFor(o.id, (x) => x.statuses.fiduciary === 'holding', { signal: within() })
  const old = await Promise.all(fs.map(async (f) => await heldShare(f, o.id)))
  assert.is(keyOf([old[0], old[1]] as Held[]), y)

  const asked = await thresholdOf(P).refresh(o.id)
  assert.is(asked.statuses.principal, 'refreshing')
  const after = await thresholdOf(P).waitFor(o.id, roundEnded(1), { signal: within() })
  assert.equal(after.history.map((h) => [h.round, h.kind, h.qualified]), [[0, 'dkg', true], [1, 'refresh', true]])
  assert.is(toHex(after.epoch?.commitments[0] as Uint8Array), y, 'the group key is unchanged')
  assert.equal(after.wallet, v.wallet, 'the address is unchanged')
  assert.ok(!equalBytes(after.epoch?.commitments[1] as Uint8Array, v.epoch?.commitments[1] as Uint8Array), 'the polynomial is new')
  for (const f of fs) {
    await thresholdOf(f).waitFor(o.id, (x) => x.epoch?.round === 1 && x.statuses.fiduciary === 'holding', { signal: within() })
    await thresholdOf(f).settled(o.id)
  }
  const fresh = await Promise.all(fs.map(async (f) => await heldShare(f, o.id)))
  for (let k = 0; k < 3; k++) {
    assert.ok(!equalBytes((fresh[k] as Held).share, (old[k] as Held).share), `share ${k + 1} changed`)
    assert.ok(await gone(fs[k] as CustodyNode, (old[k] as Held).handle), `old share ${k + 1} destroyed`)
  }
  assert.is(keyOf([fresh[0], fresh[2]] as Held[]), y, 'new shares interpolate to the group key')
  assert.is.not(keyOf([old[0], fresh[1]] as Held[]), y, 'an old share with a new one does not')
  assert.is.not(keyOf([fresh[0], old[2]] as Held[]), y, 'a new share with an old one does not')

  await thresholdOf(P).requestRelease(o.id)
  await thresholdOf(B).waitFor(o.id, redeemed, { signal: within() })
  const key = fromHex(await exportedKey(B, o.id))
  assert.is(toHex(secp256k1.getPublicKey(key, true)), toHex(v.wallet?.walletKey as Uint8Array))
})

test('reshare: replacing a fiduciary (f3 → f4) keeps the wallet; f3\'s share is destroyed, f4 holds one, and the new set releases the same key', async () => {
  const o = await thresholdOf(P).create({ beneficiary: id(B), fiduciaries: [F1, F2, F3].map(id), threshold: 2, network: 'regtest' })
  const v = await thresholdOf(P).waitFor(o.id, published, { signal: within() })
  await thresholdOf(F3).waitFor(o.id, (x) => x.statuses.fiduciary === 'holding', { signal: within() })
  const oldF3 = await heldShare(F3, o.id)
  await thresholdOf(P).reshare(o.id, { fiduciaries: [F1, F2, F4].map(id), threshold: 2 })
  const after = await thresholdOf(P).waitFor(o.id, roundEnded(1), { signal: within() })
  assert.is(after.history.at(-1)?.qualified, true, after.round.reason ?? '')
  assert.equal(after.epoch?.fiduciaries.map(String), [F1, F2, F4].map((f) => id(f).toString()))
  assert.equal(after.wallet, v.wallet)
  assert.is(toHex(after.epoch?.commitments[0] as Uint8Array), toHex(v.wallet?.groupKey as Uint8Array))
  const atF4 = await thresholdOf(F4).waitFor(o.id, (x) => x.statuses.fiduciary === 'holding', { signal: within() })
  assert.equal(atF4.wallet?.walletKey, v.wallet?.walletKey, 'the new fiduciary learned the wallet from the reshare')
  assert.is(atF4.index, 3)
  for (const f of [F1, F2]) await thresholdOf(f).waitFor(o.id, (x) => x.epoch?.round === 1 && x.statuses.fiduciary === 'holding', { signal: within() })
  const shares = [await heldShare(F1, o.id), await heldShare(F4, o.id)]
  assert.is(keyOf(shares), toHex(v.wallet?.groupKey as Uint8Array))
  assert.is.not(keyOf([shares[0] as Held, { ...oldF3, index: 2 }]), toHex(v.wallet?.groupKey as Uint8Array))
  await thresholdOf(F3).waitFor(o.id, (x) => x.statuses.fiduciary === 'out', { signal: within() })
  await thresholdOf(F3).settled(o.id)

  await thresholdOf(P).requestRelease(o.id)
  await thresholdOf(B).waitFor(o.id, redeemed, { signal: within() })
  const key = fromHex(await exportedKey(B, o.id))
  assert.is(toHex(secp256k1.getPublicKey(key, true)), toHex(v.wallet?.walletKey as Uint8Array))
  assert.ok(await gone(F3, oldF3.handle), 'the replaced fiduciary destroyed its share')
})

test.run()
