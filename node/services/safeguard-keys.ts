// The secret work of safeguarded deposits, all of it against the node's key store: the principal
// splits and keeps the shares until dealt; a fiduciary makes a per-deposit transfer key, opens its
// share with it and keeps the share; the beneficiary keeps each released share, combines k of them
// and keeps the secret; each role destroys what it no longer needs. Shares and secrets are in
// clear only inside these functions, in buffers zeroed before they return (see the key store
// README, "Security", for what JS cannot zero); what leaves them is a handle, a public key, or a
// ciphertext.
import type { CID } from 'multiformats/cid'
import { hpkeOpen, keyAgreementKeyPairFromSecret, wipe, type KeyStore } from '../../crypto/index.ts'
import { TamperedShareError } from '../../protocol/safeguard/errors.ts'
import { RELEASE_INFO, releaseAad, SHARE_INFO, shareAad } from '../../protocol/safeguard/messages.ts'
import { deal, reconstruct, shareLength, shareMatches, unblind, type ReconstructTerms } from '../../protocol/safeguard/sharing.ts'
import type { DepositTerms, SealedShareBody } from '../../protocol/safeguard/types.ts'
import { sealSecret, type SealedSecret } from './safeguard-export.ts'

type Options = { signal?: AbortSignal }
const SUITE = { aead: 'aes-256-gcm' } as const

/** Splits `secret` and stores each share in the key store; the commitments and the shares' handles (share i at i). */
export async function splitIntoStore (keystore: KeyStore, secret: Uint8Array, n: number, k: number, options: Options = {}): Promise<{
  readonly salt: Uint8Array
  readonly commitment: Uint8Array
  readonly commitments: readonly Uint8Array[]
  readonly handles: readonly string[]
}> {
  const dealt = await deal(secret, n, k)
  try {
    const handles: string[] = []
    for (const share of dealt.shares) handles.push((await keystore.import('generic', share, options)).handle)
    return { salt: dealt.salt, commitment: dealt.commitment, commitments: dealt.commitments, handles }
  } finally {
    for (const s of dealt.shares) wipe(s)
  }
}

/** A fresh X25519 transfer key in the key store (as a 32-byte generic secret): its handle and public key. */
export async function newTransferKey (keystore: KeyStore, options: Options = {}): Promise<{ readonly handle: string, readonly key: Uint8Array }> {
  const stored = await keystore.generate('generic', { length: 32, ...options })
  const key = await keystore.use(stored.handle, (secret) => keyAgreementKeyPairFromSecret(secret).publicKey, options)
  return { handle: stored.handle, key }
}

/**
 * Opens share `sealed.index` (dealt by the principal to `fiduciary`) with the transfer key, checks
 * it against its commitment (TamperedShareError, naming the principal, otherwise) and imports it:
 * its handle. DecryptionError if it was not sealed to that key, for that deposit and index.
 */
export async function holdShare (keystore: KeyStore, transferKey: string, deposit: CID, fiduciary: CID, terms: DepositTerms, principal: CID, sealed: SealedShareBody, options: Options = {}): Promise<string> {
  const share = await keystore.use(transferKey, (sk) => hpkeOpen(SUITE, sk, sealed.enc, SHARE_INFO, shareAad(deposit, fiduciary, sealed.index), sealed.ct), options)
  try {
    if (share.length !== shareLength(terms.size, terms.threshold) || !shareMatches(terms, sealed.index, share)) {
      throw new TamperedShareError(`share ${sealed.index} dealt by principal ${principal.toString()} does not match its commitment`)
    }
    return (await keystore.import('generic', share, options)).handle
  } finally {
    wipe(share)
  }
}

/**
 * Opens a released share with this node's encryption key (it was sealed to the beneficiary's
 * identity key), checks it against its commitment — TamperedShareError naming the fiduciary that
 * sent it otherwise — and imports it: its handle.
 */
export async function keepReleased (keystore: KeyStore, encryptionSecretKey: Uint8Array, deposit: CID, beneficiary: CID, terms: DepositTerms, fiduciary: CID, sealed: SealedShareBody, options: Options = {}): Promise<string> {
  const share = hpkeOpen(SUITE, encryptionSecretKey, sealed.enc, RELEASE_INFO, releaseAad(deposit, beneficiary, sealed.index), sealed.ct)
  try {
    if (share.length !== shareLength(terms.size, terms.threshold) || !shareMatches(terms, sealed.index, share)) {
      throw new TamperedShareError(`fiduciary ${fiduciary.toString()} returned a share ${sealed.index} that does not match its commitment`)
    }
    return (await keystore.import('generic', share, options)).handle
  } finally {
    wipe(share)
  }
}

/** Runs `fn` with the secrets of `handles` unwrapped (each zeroed when `fn` settles). */
async function withSecrets<T> (keystore: KeyStore, handles: readonly string[], fn: (secrets: Uint8Array[]) => Promise<T>, options: Options, got: Uint8Array[] = []): Promise<T> {
  const [first, ...rest] = handles
  if (first === undefined) return await fn(got)
  return await keystore.use(first, async (secret) => await withSecrets(keystore, rest, fn, options, [...got, secret]), options)
}

/** Combines the shares `{ index, handle }` (checked again, see sharing.ts `reconstruct`) and imports the blinded secret: its handle. */
export async function combineIntoStore (keystore: KeyStore, terms: ReconstructTerms, shares: ReadonlyArray<{ readonly index: number, readonly handle: string }>, options: Options = {}): Promise<string> {
  return await withSecrets(keystore, shares.map((s) => s.handle), async (secrets) => {
    const blinded = await reconstruct(terms, secrets.map((share, i) => ({ index: (shares[i] as { index: number }).index, share })))
    try {
      return (await keystore.import('generic', blinded, options)).handle
    } finally {
      wipe(blinded)
    }
  }, options)
}

/** The recovered secret (blinding stripped), HPKE-sealed to `recipientKey`. */
export async function exportRecovered (keystore: KeyStore, handle: string, deposit: CID, recipientKey: Uint8Array, options: Options = {}): Promise<SealedSecret> {
  return await keystore.use(handle, (blinded) => sealSecret(recipientKey, deposit, unblind(blinded)), options)
}

/** Destroys key-store records; one already gone counts as destroyed (destroy is idempotent here). */
export async function destroyAll (keystore: KeyStore, handles: readonly string[], options: Options = {}): Promise<void> {
  for (const h of handles) {
    try {
      await keystore.destroy(h, options)
    } catch (err) {
      // A repeated effect (after a crash, or a revocation after the transfer key was destroyed) finds the record gone.
      if ((err as Error).name !== 'UnknownHandleError') throw err
    }
  }
}
