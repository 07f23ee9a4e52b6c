// Threshold custody messages: bounds, the canonical bodies of the envelopes (encoders), and the
// byte strings the flow binds its secrets to (docs/PROTOCOL.md, "Threshold custody"). The decoder
// that validates a received body is decode.ts.
//
// Sealed values (HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM):
//   a dealt share   dealer d → receiver j of round r, to j's transfer key for the round:
//                   info "milagro/threshold/share/v1", aad = order ‖ u32(r) ‖ u8(d) ‖ u8(j),
//                   plaintext = share (32) ‖ Ed25519 signature of the dealer (64) over
//                   shareStatement(order, r, d, j, share, commitments)
//   a released share  holder j → the beneficiary, to its identity encryption key:
//                   info "milagro/threshold/release/v1", aad = order ‖ beneficiary ‖ u32(r) ‖ u8(j)
// (CIDs as their binary bytes.) The dealer's signature is what makes a complaint checkable by
// anyone: a receiver whose share fails the dealing's commitments shows the signed share, and the
// signature ties it to that dealer, that receiver and those commitments.
import { concatBytes, sha256 } from '../../crypto/index.ts'
import { signingMessage, type CID } from '../codec.ts'
import type { IpldValue } from '../state/types.ts'
import {
  THRESHOLD_VERSION, type Ack, type Complaint, type EpochTerms, type OrderTerms, type Receiver, type SealedShare, type WalletAddressSet
} from './types.ts'

/** Indexes are one byte in the sealed values' associated data; 32 fiduciaries is far beyond any use. */
export const MAX_FIDUCIARIES = 32
export const MIN_PHASE_MS = 100
export const MAX_PHASE_MS = 24 * 60 * 60 * 1000
export const DEFAULT_PHASE_MS = 30_000
export const PUBLIC_KEY_LENGTH = 33
export const SHARE_LENGTH = 32
export const SIGNATURE_LENGTH = 64
export const TRANSFER_KEY_LENGTH = 32
export const ENC_LENGTH = 32
export const TAG_LENGTH = 16
export const CHAIN_CODE_LENGTH = 32
/** A dealt share's ciphertext: share ‖ signature, plus the AEAD tag. */
export const DEALT_CT_LENGTH = SHARE_LENGTH + SIGNATURE_LENGTH + TAG_LENGTH
/** A released share's ciphertext: the share plus the AEAD tag. */
export const RELEASED_CT_LENGTH = SHARE_LENGTH + TAG_LENGTH
export const MAX_REASON_LENGTH = 512

export const SHARE_INFO = new TextEncoder().encode('milagro/threshold/share/v1')
export const RELEASE_INFO = new TextEncoder().encode('milagro/threshold/release/v1')
export const SHARE_SIGNATURE_CONTEXT = 'milagro/threshold/share/v1'

function u32 (n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}

export function shareAad (order: CID, round: number, dealer: number, receiver: number): Uint8Array {
  return concatBytes(order.bytes, u32(round), Uint8Array.of(dealer), Uint8Array.of(receiver))
}

export function releaseAad (order: CID, beneficiary: CID, round: number, index: number): Uint8Array {
  return concatBytes(order.bytes, beneficiary.bytes, u32(round), Uint8Array.of(index))
}

/** SHA-256 of the concatenated commitments: what a share's signature binds it to. */
export function commitmentsDigest (commitments: readonly Uint8Array[]): Uint8Array {
  return sha256(concatBytes(...commitments))
}

/** The bytes a dealer signs for the share it deals to `receiver` (domain-separated, canonical DAG-CBOR). */
export function shareStatement (order: CID, round: number, dealer: number, receiver: number, share: Uint8Array, commitments: readonly Uint8Array[]): Uint8Array {
  return signingMessage(SHARE_SIGNATURE_CONTEXT, { order, round, dealer, receiver, share, commitments: commitmentsDigest(commitments) })
}

/** What a dealing's proof of knowledge is bound to (crypto's `dealingContext`): the order, the round, the dealer's index and identity. */
export function dealingProofContext (order: CID, round: number, dealer: number, party: CID): { orderId: string, round: string, dealer: number, party: string } {
  return { orderId: order.toString(), round: `round/${round}`, dealer, party: party.toString() }
}

/** The context of the wallet's BIP-32 chain code (crypto's `walletChainCode` tags it): the order id's bytes. */
export function chainCodeContext (order: CID): Uint8Array {
  return order.bytes
}

// ---- encoders: typed content → envelope body (every body carries v) ----

const V = { v: THRESHOLD_VERSION }

export function orderBody (t: OrderTerms): IpldValue {
  return { ...V, beneficiary: t.beneficiary, fiduciaries: [...t.fiduciaries], threshold: t.threshold, network: t.network, phaseMs: t.phaseMs }
}

export function roundBody (round: number): IpldValue {
  return { ...V, round }
}

export function epochBody (e: EpochTerms): IpldValue {
  return { fiduciaries: [...e.fiduciaries], threshold: e.threshold, holders: [...e.holders], commitments: [...e.commitments] }
}

export interface WalletBody extends WalletAddressSet {
  readonly beneficiaryKey: Uint8Array
  readonly beneficiaryPop: Uint8Array
  readonly groupKey: Uint8Array
  readonly walletKey: Uint8Array
  readonly chainCode: Uint8Array
}

function walletFields (w: WalletBody): { [k: string]: IpldValue } {
  return {
    beneficiaryKey: w.beneficiaryKey,
    beneficiaryPop: w.beneficiaryPop,
    groupKey: w.groupKey,
    walletKey: w.walletKey,
    chainCode: w.chainCode,
    p2wpkh: w.p2wpkh,
    p2pkh: w.p2pkh,
    ethereum: w.ethereum
  }
}

export function reshareBody (b: {
  readonly round: number
  readonly beneficiary: CID
  readonly network: string
  readonly phaseMs: number
  readonly wallet: WalletBody
  readonly previous: EpochTerms
  readonly fiduciaries: readonly CID[]
  readonly threshold: number
}): IpldValue {
  return {
    ...V,
    round: b.round,
    beneficiary: b.beneficiary,
    network: b.network,
    phaseMs: b.phaseMs,
    wallet: walletFields(b.wallet),
    previous: epochBody(b.previous),
    fiduciaries: [...b.fiduciaries],
    threshold: b.threshold
  }
}

export function acceptBody (round: number, dealer: number | null, receiver: number | null, key: Uint8Array | null): IpldValue {
  return { ...V, round, dealer, receiver, key }
}

export function startBody (round: number, dealers: readonly number[], receivers: readonly Receiver[]): IpldValue {
  return { ...V, round, dealers: [...dealers], receivers: receivers.map((r) => ({ index: r.index, key: r.key })) }
}

export function dealBody (round: number, dealer: number, commitments: readonly Uint8Array[], proof: Uint8Array | null, shares: readonly SealedShare[]): IpldValue {
  return { ...V, round, dealer, commitments: [...commitments], proof, shares: shares.map((s) => ({ index: s.index, enc: s.enc, ct: s.ct })) }
}

export function verdictBody (round: number, index: number, acks: readonly Ack[], complaints: readonly Complaint[]): IpldValue {
  return {
    ...V,
    round,
    index,
    acks: acks.map((a) => ({ dealer: a.dealer, deal: a.deal })),
    complaints: complaints.map((c) => ({ dealer: c.dealer, reason: c.reason, deal: c.deal, share: c.share, signature: c.signature }))
  }
}

export function qualifiedBody (round: number, qualified: readonly number[], deals: readonly CID[], holders: readonly number[], commitments: readonly Uint8Array[]): IpldValue {
  return { ...V, round, qualified: [...qualified], deals: [...deals], holders: [...holders], commitments: [...commitments] }
}

export function failedBody (round: number, reason: string): IpldValue {
  return { ...V, round, reason: reason.slice(0, MAX_REASON_LENGTH) }
}

export function heldBody (round: number, index: number, publicShare: Uint8Array): IpldValue {
  return { ...V, round, index, publicShare }
}

export function beneficiaryKeyBody (publicKey: Uint8Array, pop: Uint8Array): IpldValue {
  return { ...V, publicKey, pop }
}

export function addressBody (w: WalletBody): IpldValue {
  return { ...V, ...walletFields(w) }
}

export function releaseRequestBody (round: number, beneficiary: CID, walletKey: Uint8Array): IpldValue {
  return { ...V, round, beneficiary, walletKey }
}

export function releaseBody (round: number, index: number, enc: Uint8Array, ct: Uint8Array): IpldValue {
  return { ...V, round, index, enc, ct }
}

export function redeemedBody (walletKey: Uint8Array): IpldValue {
  return { ...V, walletKey }
}

const same = (a: CID, b: CID): boolean => a.equals(b)

/**
 * Checks that an order's terms hold together (`fail` makes the error: InvalidRequestError at the
 * API, MalformedError from outside): 1..MAX_FIDUCIARIES distinct fiduciaries, none of them the
 * principal or the beneficiary, a beneficiary other than the principal, 1 ≤ t ≤ n, a phase bound
 * within limits.
 */
export function checkTerms (principal: CID, t: Pick<OrderTerms, 'beneficiary' | 'fiduciaries' | 'threshold'> & { readonly phaseMs: number }, fail: (message: string) => Error): void {
  checkFiduciaries(principal, t.beneficiary, t.fiduciaries, t.threshold, fail)
  if (same(t.beneficiary, principal)) throw fail('the beneficiary must be another identity than the principal')
  if (!Number.isSafeInteger(t.phaseMs) || t.phaseMs < MIN_PHASE_MS || t.phaseMs > MAX_PHASE_MS) throw fail(`the phase bound is ${MIN_PHASE_MS}..${MAX_PHASE_MS} ms`)
}

/** The fiduciary list and threshold of an epoch: distinct, not the principal or the beneficiary, 1 ≤ t ≤ n ≤ MAX_FIDUCIARIES. */
export function checkFiduciaries (principal: CID, beneficiary: CID, fiduciaries: readonly CID[], threshold: number, fail: (message: string) => Error): void {
  const n = fiduciaries.length
  if (n < 1 || n > MAX_FIDUCIARIES) throw fail(`an order names 1..${MAX_FIDUCIARIES} fiduciaries`)
  for (let i = 0; i < n; i++) {
    const f = fiduciaries[i] as CID
    if (fiduciaries.slice(0, i).some((o) => same(o, f))) throw fail(`fiduciary ${f.toString()} is named twice`)
    if (same(f, principal)) throw fail('the principal cannot be one of its fiduciaries')
    if (same(f, beneficiary)) throw fail('the beneficiary cannot be one of the fiduciaries')
  }
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > n) throw fail(`the threshold must be 1..${n}`)
}
