// Hybrid Public Key Encryption, RFC 9180, for the suites
//   KEM DHKEM(X25519, HKDF-SHA256) 0x0020 · KDF HKDF-SHA256 0x0001 ·
//   AEAD AES-128-GCM 0x0001 | AES-256-GCM 0x0002 (default) | ChaCha20-Poly1305 0x0003,
// in modes base (0x00) and psk (0x01). Auth modes are not implemented.
//
// What it guarantees (RFC 9180 §9): a message sealed to pkR can be opened only with skR (IND-CCA2
// under the usual assumptions); the info string and each message's aad are bound into the keys
// and tags, so a change to enc, ciphertext, aad or info makes open fail. Base mode does not
// authenticate the sender: whoever knows pkR can seal to it. Envelopes get sender authenticity
// from the sender's signature over every byte, not from HPKE.
//
// Errors: seal/setup* reject a public key or enc of the wrong length with InvalidKeyError and a
// low-order public key with LowOrderPointError. The single-shot open() turns every failure
// that depends on the message (enc, ciphertext, aad, info, wrong recipient) into
// DecryptionError, the specific error kept as `cause`; only a malformed skR (not 32 bytes) is
// InvalidKeyError there, since that is the caller's configuration, not the message.
//
// All work is synchronous on node:crypto (OpenSSL): one key generation and one X25519 per seal,
// one X25519 per open (two the first time skR is passed as a given buffer, because importing a
// secret key computes its public key; the import is then kept per buffer, see recipientKey(), or
// pass a RecipientKey from importRecipientKey()). See the
// submodules for the pieces: hpke-kem.ts (DHKEM), hpke-key-schedule.ts, hpke-context.ts.
import { createHash, timingSafeEqual } from 'node:crypto'
import { aeadOpen, aeadSeal, type AeadId } from './aead.ts'
import { DecryptionError } from './errors.ts'
import { SenderContext, RecipientContext } from './hpke-context.ts'
import { decap, encap, RecipientKey } from './hpke-kem.ts'
import { EMPTY } from './hpke-labeled.ts'
import { keySchedule, MODE_BASE, MODE_PSK, suiteState, type HpkeMode } from './hpke-key-schedule.ts'

export { deriveKeyPair, RecipientKey } from './hpke-kem.ts'
export { SenderContext, RecipientContext } from './hpke-context.ts'

export interface HpkeSuite {
  readonly aead: AeadId
}

export const DEFAULT_HPKE_SUITE: HpkeSuite = Object.freeze({ aead: 'aes-256-gcm' })

export interface SealOptions {
  /** Deterministic ephemeral key input (DeriveKeyPair(ikmE)); for known-answer tests only. */
  readonly ikmE?: Uint8Array
}

/** Imports an X25519 secret key once, for repeated setupBaseR / open with the same key. */
export function importRecipientKey (skR: Uint8Array): RecipientKey {
  return new RecipientKey(skR)
}

// RecipientKeys imported from raw secrets, per buffer object: a node opens everything with the
// same key buffer (its home's X25519 key), and an import costs an X25519 base multiplication.
// A hit is used only if the buffer still holds the same bytes (a SHA-256 of them, domain-separated,
// compared in constant time), so a buffer that was wiped or reused is imported again. The cached
// KeyObject (OpenSSL's copy of the secret) lives as long as the caller's buffer does.
const imported = new WeakMap<Uint8Array, { readonly digest: Buffer, readonly key: RecipientKey }>()

function fingerprint (skR: Uint8Array): Buffer {
  return createHash('sha256').update('milagro/hpke/recipient-key-cache\0').update(skR).digest()
}

function recipientKey (skR: Uint8Array | RecipientKey): RecipientKey {
  if (skR instanceof RecipientKey) return skR
  const hit = imported.get(skR)
  if (hit !== undefined && timingSafeEqual(hit.digest, fingerprint(skR))) return hit.key
  const key = new RecipientKey(skR) // InvalidKeyError / TypeError for a malformed skR
  imported.set(skR, { digest: fingerprint(skR), key })
  return key
}

function setupS (
  suite: HpkeSuite, mode: HpkeMode, pkR: Uint8Array, info: Uint8Array, psk: Uint8Array, pskId: Uint8Array, options?: SealOptions
): { enc: Uint8Array, context: SenderContext } {
  const state = suiteState(suite.aead)
  const { sharedSecret, enc } = encap(pkR, options?.ikmE)
  const ks = keySchedule(state, mode, sharedSecret, info, psk, pskId, true)
  const context = new SenderContext({ aead: state.aead, suiteId: state.suiteId, key: ks.key, baseNonce: ks.baseNonce, exporterSecret: ks.exporterSecret as Uint8Array })
  return { enc, context }
}

function setupR (
  suite: HpkeSuite, mode: HpkeMode, enc: Uint8Array, skR: Uint8Array | RecipientKey, info: Uint8Array, psk: Uint8Array, pskId: Uint8Array
): RecipientContext {
  const state = suiteState(suite.aead)
  const sharedSecret = decap(enc, recipientKey(skR))
  const ks = keySchedule(state, mode, sharedSecret, info, psk, pskId, true)
  return new RecipientContext({ aead: state.aead, suiteId: state.suiteId, key: ks.key, baseNonce: ks.baseNonce, exporterSecret: ks.exporterSecret as Uint8Array })
}

/** RFC 9180 §5.1.1 SetupBaseS. */
export function setupBaseS (suite: HpkeSuite, pkR: Uint8Array, info: Uint8Array, options?: SealOptions): { enc: Uint8Array, context: SenderContext } {
  return setupS(suite, MODE_BASE, pkR, info, EMPTY, EMPTY, options)
}

/** RFC 9180 §5.1.1 SetupBaseR. */
export function setupBaseR (suite: HpkeSuite, enc: Uint8Array, skR: Uint8Array | RecipientKey, info: Uint8Array): RecipientContext {
  return setupR(suite, MODE_BASE, enc, skR, info, EMPTY, EMPTY)
}

/** RFC 9180 §5.1.2 SetupPSKS; psk and pskId must be non-empty (psk should have ≥ 32 bytes of entropy). */
export function setupPSKS (
  suite: HpkeSuite, pkR: Uint8Array, info: Uint8Array, psk: Uint8Array, pskId: Uint8Array, options?: SealOptions
): { enc: Uint8Array, context: SenderContext } {
  return setupS(suite, MODE_PSK, pkR, info, psk, pskId, options)
}

/** RFC 9180 §5.1.2 SetupPSKR. */
export function setupPSKR (
  suite: HpkeSuite, enc: Uint8Array, skR: Uint8Array | RecipientKey, info: Uint8Array, psk: Uint8Array, pskId: Uint8Array
): RecipientContext {
  return setupR(suite, MODE_PSK, enc, skR, info, psk, pskId)
}

/**
 * RFC 9180 §6.1 single-shot Seal in base mode: SetupBaseS then one Seal at sequence number 0
 * (whose nonce is base_nonce itself); the exporter secret is not derived.
 */
export function seal (
  suite: HpkeSuite, pkR: Uint8Array, info: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, options?: SealOptions
): { enc: Uint8Array, ciphertext: Uint8Array } {
  const state = suiteState(suite.aead)
  const { sharedSecret, enc } = encap(pkR, options?.ikmE)
  const ks = keySchedule(state, MODE_BASE, sharedSecret, info, EMPTY, EMPTY, false)
  return { enc, ciphertext: aeadSeal(state.aead, ks.key, ks.baseNonce, plaintext, aad) }
}

/** RFC 9180 §6.1 single-shot Open in base mode. DecryptionError on any failure of the message. */
export function open (
  suite: HpkeSuite, skR: Uint8Array | RecipientKey, enc: Uint8Array, info: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array
): Uint8Array {
  const state = suiteState(suite.aead)
  const recipient = recipientKey(skR)
  let key: Uint8Array
  let baseNonce: Uint8Array
  try {
    const ks = keySchedule(state, MODE_BASE, decap(enc, recipient), info, EMPTY, EMPTY, false)
    key = ks.key
    baseNonce = ks.baseNonce
  } catch (err) {
    throw new DecryptionError(undefined, { cause: err })
  }
  return aeadOpen(state.aead, key, baseNonce, ciphertext, aad)
}
