// Fixtures for the custody rule tests: deterministic test keys (never use for anything real),
// facts at each stage of one order, and a helper that asserts a refusal by error name.
import * as assert from 'uvu/assert'
import type { CID } from 'multiformats/cid'
import { combinePublicKeys, createProofOfPossession, secp256k1PublicKey, sha256, walletAddresses } from '../../../crypto/index.ts'
import {
  CUSTODY_FACTS, shareContext, type AddressFact, type CustodyEffect, type CustodyFact, type Decision, type KeyFact, type OrderFact, type RedeemedFact,
  type ReleasedFact, type ReleaseFact, type ReleaseRequestFact, type ShareFact
} from '../../../protocol/custody/index.ts'
import { cidOf, ids } from '../state/facts.ts'

export { cidOf, ids }

const enc = new TextEncoder()
export const scalar = (label: string): Uint8Array => sha256(enc.encode(`milagro test custody rules/${label}`))

export const order = cidOf({ order: 'rules' })
export const b = scalar('b')
export const f = scalar('f')
export const B = secp256k1PublicKey(b)
export const F = secp256k1PublicKey(f)
export const W = combinePublicKeys(B, F)
export const bPop = createProofOfPossession(b, shareContext(order, 'beneficiary', ids.beneficiary))
export const fPop = createProofOfPossession(f, shareContext(order, 'fiduciary', ids.fiduciary))
export const addresses = walletAddresses(W, 'mainnet')
export const handles = {
  b: 'ks1:secp256k1:AAAAAAAAAAAAAAAAAAAAAA',
  f: 'ks1:secp256k1:AQEBAQEBAQEBAQEBAQEBAQ',
  share: 'ks1:secp256k1:AgICAgICAgICAgICAgICAg',
  wallet: 'ks1:secp256k1:AwMDAwMDAwMDAwMDAwMDAw'
}

let t = 1_700_000_000_000
const env = (label: string): CID => cidOf({ envelope: label, n: t })
const base = (label: string, from: CID): { order: CID, envelope: CID, from: CID, time: number } => ({ order, envelope: env(label), from, time: ++t })

export const facts = {
  order: (from: CID = ids.principal): OrderFact => ({ kind: CUSTODY_FACTS.order, order, envelope: order, from, time: t, beneficiary: ids.beneficiary, fiduciary: ids.fiduciary, network: 'mainnet' }),
  share: (role: 'beneficiary' | 'fiduciary'): ShareFact => ({ kind: CUSTODY_FACTS.share, order, role, handle: role === 'beneficiary' ? handles.b : handles.f, publicKey: role === 'beneficiary' ? B : F, pop: role === 'beneficiary' ? bPop : fPop }),
  beneficiaryKey: (from: CID = ids.beneficiary, publicKey = B): KeyFact => ({ kind: CUSTODY_FACTS.beneficiaryKey, ...base('bkey', from), publicKey, pop: bPop }),
  fiduciaryKey: (from: CID = ids.fiduciary, publicKey = F): KeyFact => ({ kind: CUSTODY_FACTS.fiduciaryKey, ...base('fkey', from), publicKey, pop: fPop }),
  address: (from: CID = ids.principal, changes: Partial<AddressFact> = {}): AddressFact => ({
    kind: CUSTODY_FACTS.address, ...base('address', from), network: 'mainnet', beneficiary: ids.beneficiary, beneficiaryKey: B, fiduciary: ids.fiduciary, fiduciaryKey: F, walletKey: W, ...addresses, ...changes
  }),
  releaseRequest: (from: CID = ids.principal, changes: Partial<ReleaseRequestFact> = {}): ReleaseRequestFact => ({
    kind: CUSTODY_FACTS.releaseRequest, ...base('request', from), beneficiary: ids.beneficiary, walletKey: W, ...changes
  }),
  release: (from: CID = ids.fiduciary, changes: Partial<ReleaseFact> = {}): ReleaseFact => ({
    kind: CUSTODY_FACTS.release, ...base('release', from), beneficiary: ids.beneficiary, publicKey: F, imported: { share: handles.share, wallet: handles.wallet }, ...changes
  }),
  released: (from: CID = ids.fiduciary, changes: Partial<ReleasedFact> = {}): ReleasedFact => ({
    kind: CUSTODY_FACTS.released, ...base('released', from), beneficiary: ids.beneficiary, release: env('release'), ...changes
  }),
  redeemed: (from: CID = ids.beneficiary, walletKey = W): RedeemedFact => ({ kind: CUSTODY_FACTS.redeemed, ...base('redeemed', from), walletKey })
}

/** Applies a chain of facts with `decide`, each of which must apply; returns the last record. */
export function stage<O> (decide: (o: O | undefined, fact: CustodyFact, self: CID) => Decision<O>, self: CID, steps: readonly CustodyFact[]): O {
  let o: O | undefined
  for (const s of steps) {
    const d = decide(o, s, self)
    if (d.outcome !== 'apply') throw new Error(`${s.kind} did not apply: ${d.outcome === 'refuse' ? d.error.message : 'ignored'}`)
    o = d.order
  }
  return o as O
}

export function refused (d: Decision<unknown>, name: string): void {
  if (d.outcome !== 'refuse') assert.unreachable(`expected ${name}, got ${d.outcome}`)
  else assert.is(d.error.name, name, d.error.message)
}

export function ignored (d: Decision<unknown>): void {
  assert.is(d.outcome, 'ignore')
}

export function applied<O> (d: Decision<O>): { order: O, effects: readonly CustodyEffect[] } {
  if (d.outcome !== 'apply') assert.unreachable(`expected apply, got ${d.outcome}${d.outcome === 'refuse' ? ` (${d.error.name}: ${d.error.message})` : ''}`)
  const a = d as Extract<Decision<O>, { outcome: 'apply' }>
  return { order: a.order, effects: a.effects }
}
