// The secret work of threshold custody, against the node's key store: a dealer deals and seals each
// receiver's signed share; a receiver opens and checks its shares with the round's transfer key and
// combines the qualified ones into its new share; a holder releases its share to the beneficiary;
// the beneficiary checks each released share, interpolates t of them, adds its own key and keeps
// the wallet key. Polynomials, shares and keys are in clear only inside these functions, in
// buffers wiped before they return (see the key store README, "Security", for what JS cannot
// wipe); what leaves them is a handle, a public key, a commitment or a ciphertext.
import type { CID } from 'multiformats/cid'
import {
  combineSecretShares, checkCombined, hpkeOpen, hpkeSeal, verify, wipe, type KeyStore
} from '../../crypto/index.ts'
import {
  combineShares, dealingContext, dealPolynomial, dealRefresh, dealReshare, evaluateCommitments, evaluateShare, interpolate, proveDealing,
  verifyRefreshShare, verifyShare, type Dealing
} from '../../crypto/threshold/index.ts'
import { InvalidShareError } from '../../protocol/threshold/errors.ts'
import {
  dealingProofContext, RELEASE_INFO, releaseAad, SHARE_INFO, SHARE_LENGTH, shareAad, shareStatement
} from '../../protocol/threshold/messages.ts'
import type { OrderRecord, RoundRecord } from '../../protocol/threshold/state.ts'
import type { Complaint, Receiver, RoundKind, SealedShare } from '../../protocol/threshold/types.ts'

type Options = { signal?: AbortSignal }
const SUITE = { aead: 'aes-256-gcm' } as const

/** Test hook (never set in production): what a dealer does to the share it deals to `receiver` before signing it. */
export type DealHook = (share: Uint8Array, receiver: number) => Uint8Array

export interface Dealt {
  readonly commitments: readonly Uint8Array[]
  readonly proof: Uint8Array | null
  readonly shares: readonly SealedShare[]
}

/**
 * Deals this node's polynomial for round `r` of order `o` as dealer `dealer` — fresh for the DKG,
 * zero-constant for a refresh, its share times λ over the round's dealers for a reshare (its share
 * read from the key store) — and seals each receiver's share, signed, to its transfer key.
 */
export async function deal (
  keystore: KeyStore, sign: (m: Uint8Array) => Uint8Array, o: OrderRecord, r: RoundRecord, dealer: number, self: CID, hook: DealHook | undefined, options: Options = {}
): Promise<Dealt> {
  let dealing: Dealing
  if (r.kind === 'dkg') dealing = dealPolynomial(r.threshold)
  else if (r.kind === 'refresh') dealing = dealRefresh(r.threshold)
  else {
    const share = o.share
    if (share === null) throw new Error(`dealer ${dealer} of order ${o.id.toString()} holds no share to re-share`)
    dealing = await keystore.use(share.handle, (s) => dealReshare(dealer, s, r.dealers, r.threshold), options)
  }
  try {
    const proof = r.kind === 'dkg' ? proveDealing(dealing, dealingContext(dealingProofContext(o.id, r.round, dealer, self))) : null
    const shares = r.receivers.map((x) => sealShare(sign, o.id, r.round, dealer, x, dealing, hook))
    return { commitments: dealing.commitments, proof, shares }
  } finally {
    for (const c of dealing.coefficients) wipe(c as Uint8Array)
  }
}

function sealShare (sign: (m: Uint8Array) => Uint8Array, order: CID, round: number, dealer: number, receiver: Receiver, dealing: Dealing, hook: DealHook | undefined): SealedShare {
  let share = evaluateShare(dealing, receiver.index)
  if (hook !== undefined) share = hook(share, receiver.index)
  const plaintext = new Uint8Array(SHARE_LENGTH + 64)
  try {
    plaintext.set(share)
    plaintext.set(sign(shareStatement(order, round, dealer, receiver.index, share, dealing.commitments)), SHARE_LENGTH)
    const sealed = hpkeSeal(SUITE, receiver.key, SHARE_INFO, shareAad(order, round, dealer, receiver.index), plaintext)
    return { index: receiver.index, enc: sealed.enc, ct: sealed.ciphertext }
  } finally {
    wipe(share)
    wipe(plaintext)
  }
}

/** Whether `share` fits commitments of a dealing of `kind` at `index`. */
export function shareFits (kind: RoundKind, commitments: readonly Uint8Array[], index: number, share: Uint8Array): boolean {
  try {
    return kind === 'refresh' ? verifyRefreshShare(commitments, index, share) : verifyShare(commitments, index, share)
  } catch {
    return false
  }
}

/**
 * A receiver's judgement of its share of a dealing: 'ok', or a complaint — `invalid` with the
 * dealer-signed share as evidence, `unreadable` when it does not open or its signature is not the
 * dealer's (nothing to prove then). The share itself never leaves this function unless it is the
 * evidence of an `invalid` complaint (a share of a dealing the complaint excludes).
 */
export async function judgeShare (
  keystore: KeyStore, transferKey: string, o: OrderRecord, r: RoundRecord, dealer: number, dealerKey: Uint8Array, deal: CID, commitments: readonly Uint8Array[], sealed: SealedShare | undefined, receiver: number, options: Options = {}
): Promise<Complaint | 'ok'> {
  const unreadable: Complaint = { dealer, reason: 'unreadable', deal, share: null, signature: null }
  if (sealed === undefined) return unreadable
  return await keystore.use(transferKey, (sk) => {
    let plaintext: Uint8Array
    try {
      plaintext = hpkeOpen(SUITE, sk, sealed.enc, SHARE_INFO, shareAad(o.id, r.round, dealer, receiver), sealed.ct)
    } catch {
      return unreadable
    }
    try {
      const share = plaintext.subarray(0, SHARE_LENGTH)
      const signature = plaintext.slice(SHARE_LENGTH)
      if (!verify(dealerKey, shareStatement(o.id, r.round, dealer, receiver, share, commitments), signature)) return unreadable
      if (shareFits(r.kind, commitments, receiver, share)) return 'ok'
      return { dealer, reason: 'invalid', deal, share: share.slice(), signature }
    } finally {
      wipe(plaintext)
    }
  }, options)
}

/** Whether an `invalid` complaint's evidence holds: signed by the dealer and failing its commitments. */
export function complaintHolds (kind: RoundKind, order: CID, round: number, receiver: number, c: Complaint, dealerKey: Uint8Array, commitments: readonly Uint8Array[]): boolean {
  if (c.share === null || c.signature === null) return false
  if (!verify(dealerKey, shareStatement(order, round, c.dealer, receiver, c.share, commitments), c.signature)) return false
  return !shareFits(kind, commitments, receiver, c.share)
}

/**
 * The receiver's new share from its shares of the qualified dealings (`sealed`, one per dealing):
 * their sum — plus its old share for a refresh — checked against the new epoch's commitments and
 * imported. Its handle and public key.
 */
export async function combineInto (
  keystore: KeyStore, transferKey: string, o: OrderRecord, r: RoundRecord, receiver: number, sealed: ReadonlyArray<{ readonly dealer: number, readonly share: SealedShare }>, epochCommitments: readonly Uint8Array[], options: Options = {}
): Promise<{ readonly handle: string, readonly publicShare: Uint8Array }> {
  const parts = await keystore.use(transferKey, (sk) => sealed.map((s) => {
    const plaintext = hpkeOpen(SUITE, sk, s.share.enc, SHARE_INFO, shareAad(o.id, r.round, s.dealer, receiver), s.share.ct)
    const share = plaintext.slice(0, SHARE_LENGTH)
    wipe(plaintext)
    return share
  }), options)
  try {
    if (r.kind === 'refresh') {
      const old = o.share
      if (old === null) throw new Error(`receiver ${receiver} of order ${o.id.toString()} holds no share to refresh`)
      parts.push(await keystore.use(old.handle, (s) => s.slice(), options))
    }
    const combined = combineShares(parts)
    try {
      if (!verifyShare(epochCommitments, receiver, combined)) {
        throw new InvalidShareError(`the combined share of receiver ${receiver} of round ${r.round} of order ${o.id.toString()} does not fit the epoch's commitments`)
      }
      const stored = await keystore.import('secp256k1', combined, options)
      return { handle: stored.handle, publicShare: stored.publicPart }
    } finally {
      wipe(combined)
    }
  } finally {
    for (const p of parts) wipe(p)
  }
}

/**
 * Opens a released share with this node's encryption key, checks it against holder `index`'s public
 * share (InvalidShareError naming the fiduciary otherwise) and imports it: its handle.
 */
export async function keepReleased (
  keystore: KeyStore, encryptionSecretKey: Uint8Array, order: CID, beneficiary: CID, round: number, index: number, epochCommitments: readonly Uint8Array[], fiduciary: CID, sealed: { readonly enc: Uint8Array, readonly ct: Uint8Array }, options: Options = {}
): Promise<string> {
  const share = hpkeOpen(SUITE, encryptionSecretKey, sealed.enc, RELEASE_INFO, releaseAad(order, beneficiary, round, index), sealed.ct)
  try {
    if (share.length !== SHARE_LENGTH || !verifyShare(epochCommitments, index, share)) {
      throw new InvalidShareError(`fiduciary ${fiduciary.toString()} released a share ${index} that does not match its public share`)
    }
    return (await keystore.import('secp256k1', share, options)).handle
  } finally {
    wipe(share)
  }
}

/** Runs `fn` with the secrets of `handles` unwrapped (each wiped when `fn` settles). */
async function withSecrets<T> (keystore: KeyStore, handles: readonly string[], fn: (secrets: Uint8Array[]) => T, options: Options, got: Uint8Array[] = []): Promise<T> {
  const [first, ...rest] = handles
  if (first === undefined) return fn(got)
  return await keystore.use(first, async (secret) => await withSecrets(keystore, rest, fn, options, [...got, secret]), options)
}

/** w = b + interpolate(t released shares), checked against W, imported: its handle. */
export async function redeemInto (
  keystore: KeyStore, ownKey: string, shares: ReadonlyArray<{ readonly index: number, readonly handle: string }>, walletKey: Uint8Array, options: Options = {}
): Promise<string> {
  return await withSecrets(keystore, [ownKey, ...shares.map((s) => s.handle)], (secrets) => {
    const [b, ...xs] = secrets
    const x = interpolate(xs.map((share, k) => ({ index: (shares[k] as { index: number }).index, share })))
    try {
      const w = combineSecretShares(b as Uint8Array, x)
      checkCombined(w, walletKey)
      return w
    } finally {
      wipe(x)
    }
  }, options).then(async (w) => {
    try {
      return (await keystore.import('secp256k1', w, options)).handle
    } finally {
      wipe(w)
    }
  })
}

/** The public share of holder `index` in an epoch. */
export function publicShareOf (epochCommitments: readonly Uint8Array[], index: number): Uint8Array {
  return evaluateCommitments(epochCommitments, index)
}
