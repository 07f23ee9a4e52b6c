// Splitting a secret k-of-n, the commitments recorded at deposit, and reconstruction — the
// cryptography of a deposit, with no I/O.
//
// Blinding. The principal never shares the secret itself but `blinded = r ‖ secret`, r 32 random
// bytes. Every commitment below is then a commitment to a value with at least 256 bits of entropy,
// so publishing it to the parties (they all see the deposit) reveals nothing even about a short,
// guessable secret (a PIN). The beneficiary strips r after reconstruction (`unblind`).
//
// Sharing. k ≥ 2: Shamir's scheme over GF(2^8), byte-wise, from `shamir-secret-sharing` 0.0.4
// (zero-dependency, independently audited); each share is `blinded.length + 1` bytes, its last byte
// the x-coordinate. Any k shares give the blinded secret; k − 1 shares are uniformly distributed
// and independent of it. k = 1: every fiduciary holds `blinded` itself (replication).
//
// Commitments (SHA-256, domain-separated, bound to a 32-byte salt drawn per deposit):
//   secret   SHA-256("milagro/safeguard/secret/v1" ‖ 0x00 ‖ salt ‖ blinded)
//   share i  SHA-256("milagro/safeguard/share/v1" ‖ 0x00 ‖ salt ‖ u8(i) ‖ share_i)
// The per-share commitments let the beneficiary check each released share on its own before
// combining, and name the fiduciary that returned a share that is not the one it was dealt
// (TamperedShareError). They are the principal's word: a principal that deals shares that do not
// combine into the committed secret is caught by the secret's commitment (CommitmentMismatchError),
// not attributed to a fiduciary. (Feldman-style verifiable sharing would let fiduciaries check
// their share against the dealer's polynomial; hash commitments do not, and need none of the
// group arithmetic.)
//
// Buffers holding the blinded secret or shares are the caller's to wipe (crypto `wipe`); JS cannot
// guarantee that no copy survives (see the key store README, "Security").
import { combine as shamirCombine, split as shamirSplit } from 'shamir-secret-sharing'
import { CommitmentMismatchError, concatBytes, equalBytes, randomBytes, sha256, wipe } from '../../crypto/index.ts'
import { InsufficientSharesError, TamperedShareError } from './errors.ts'

/** Largest secret a deposit takes, in bytes: a blinded share (32 + 48 KiB + 1) fits a key-store generic secret (64 KiB). */
export const MAX_SECRET_BYTES = 48 * 1024
export const BLINDING_LENGTH = 32
export const SALT_LENGTH = 32
export const COMMITMENT_LENGTH = 32
/** Most fiduciaries one deposit names. */
export const MAX_FIDUCIARIES = 16

const encoder = new TextEncoder()
const SECRET_DOMAIN = encoder.encode('milagro/safeguard/secret/v1\0')
const SHARE_DOMAIN = encoder.encode('milagro/safeguard/share/v1\0')

/** Length of every share of a deposit of `size` bytes with threshold `threshold`. */
export function shareLength (size: number, threshold: number): number {
  return BLINDING_LENGTH + size + (threshold >= 2 ? 1 : 0)
}

export function secretCommitment (salt: Uint8Array, blinded: Uint8Array): Uint8Array {
  return sha256(SECRET_DOMAIN, salt, blinded)
}

export function shareCommitment (salt: Uint8Array, index: number, share: Uint8Array): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index > 255) throw new RangeError('a share index is 0..255')
  return sha256(SHARE_DOMAIN, salt, Uint8Array.of(index), share)
}

/** What the principal deals: public commitments, and the shares (secret: the caller wipes them). */
export interface Dealt {
  readonly salt: Uint8Array
  readonly commitment: Uint8Array
  readonly commitments: readonly Uint8Array[]
  readonly shares: readonly Uint8Array[]
}

export function checkSplit (size: number, n: number, k: number): void {
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_SECRET_BYTES) throw new RangeError(`a safeguarded secret is 1..${MAX_SECRET_BYTES} bytes`)
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_FIDUCIARIES) throw new RangeError(`a deposit has 1..${MAX_FIDUCIARIES} fiduciaries`)
  if (!Number.isSafeInteger(k) || k < 1 || k > n) throw new RangeError(`the threshold is 1..${n} (the number of fiduciaries)`)
}

/** Blinds `secret` and splits it k-of-n; RangeError for sizes or counts out of bounds. */
export async function deal (secret: Uint8Array, n: number, k: number): Promise<Dealt> {
  checkSplit(secret.length, n, k)
  const salt = randomBytes(SALT_LENGTH)
  const blinding = randomBytes(BLINDING_LENGTH)
  const blinded = concatBytes(blinding, secret)
  wipe(blinding)
  try {
    const commitment = secretCommitment(salt, blinded)
    // The library checks `constructor === Uint8Array`: hand it a plain Uint8Array, never a Buffer.
    const shares = k === 1 ? Array.from({ length: n }, () => blinded.slice()) : await shamirSplit(blinded, n, k)
    return { salt, commitment, commitments: shares.map((s, i) => shareCommitment(salt, i, s)), shares }
  } finally {
    wipe(blinded)
  }
}

/** Whether `share` is the share `index` committed to at deposit. */
export function shareMatches (terms: { readonly salt: Uint8Array, readonly shares: readonly Uint8Array[] }, index: number, share: Uint8Array): boolean {
  const expected = terms.shares[index]
  return expected !== undefined && equalBytes(shareCommitment(terms.salt, index, share), expected)
}

export interface ReconstructTerms {
  readonly salt: Uint8Array
  readonly commitment: Uint8Array
  readonly shares: readonly Uint8Array[]
  readonly threshold: number
  readonly size: number
}

/**
 * The blinded secret from shares `{ index, share }` (the caller wipes it): every share is checked
 * against its commitment first (TamperedShareError naming its index), fewer than `threshold` shares
 * are refused (InsufficientSharesError), and the result must match the secret's commitment
 * (CommitmentMismatchError).
 */
export async function reconstruct (terms: ReconstructTerms, parts: ReadonlyArray<{ readonly index: number, readonly share: Uint8Array }>): Promise<Uint8Array> {
  const length = shareLength(terms.size, terms.threshold)
  const seen = new Set<number>()
  for (const p of parts) {
    if (seen.has(p.index)) throw new RangeError(`share ${p.index} is given twice`)
    seen.add(p.index)
    if (p.share.length !== length || !shareMatches(terms, p.index, p.share)) throw new TamperedShareError(`share ${p.index} does not match its commitment`)
  }
  if (parts.length < terms.threshold) throw new InsufficientSharesError(`${parts.length} valid share(s); ${terms.threshold} are needed`)
  const chosen = parts.slice(0, terms.threshold).map((p) => p.share)
  let blinded: Uint8Array
  if (terms.threshold === 1) {
    blinded = (chosen[0] as Uint8Array).slice()
  } else {
    // Plain copies: the library checks `constructor === Uint8Array` (a Buffer would fail).
    const copies = chosen.map((s) => new Uint8Array(s))
    try {
      blinded = await shamirCombine(copies)
    } finally {
      for (const c of copies) wipe(c)
    }
  }
  if (!equalBytes(secretCommitment(terms.salt, blinded), terms.commitment)) {
    wipe(blinded)
    throw new CommitmentMismatchError('the combined shares do not match the secret\'s commitment')
  }
  return blinded
}

/** The secret inside a blinded value (a view: wiping the blinded value wipes it). */
export function unblind (blinded: Uint8Array): Uint8Array {
  return blinded.subarray(BLINDING_LENGTH)
}
