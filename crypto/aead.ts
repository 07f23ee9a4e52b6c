// AEAD on node:crypto / OpenSSL: AES-128-GCM, AES-256-GCM (NIST SP 800-38D) and
// ChaCha20-Poly1305 (RFC 8439), with a 12-byte nonce and a 16-byte tag, as RFC 9180 §7.3 uses
// them. The ciphertext format is `ciphertext ‖ tag`.
//
// Guarantees: aeadOpen returns plaintext only when the tag verifies over key, nonce, aad and
// ciphertext; otherwise it throws DecryptionError (the OpenSSL error, if any, is the `cause`) and
// releases no plaintext. A key of the wrong length is InvalidKeyError; a nonce that is not
// 12 bytes or an unknown AEAD id is a RangeError (a programming mistake). Nonce uniqueness per
// key is the caller's duty (HPKE derives nonces from a sequence number).
import { createCipheriv, createDecipheriv, type CipherGCM, type DecipherGCM } from 'node:crypto'
import { DecryptionError, InvalidKeyError } from './errors.ts'

export type AeadId = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305'

export const AEAD_NONCE_LENGTH = 12
export const AEAD_TAG_LENGTH = 16

const KEY_LENGTHS: Readonly<Record<AeadId, number>> = {
  'aes-128-gcm': 16,
  'aes-256-gcm': 32,
  'chacha20-poly1305': 32
}

/** Key length (RFC 9180 `Nk`) of an AEAD; RangeError for an unknown id. */
export function aeadKeyLength (id: AeadId): number {
  const length = Object.hasOwn(KEY_LENGTHS, id) ? KEY_LENGTHS[id] : undefined
  if (length === undefined) throw new RangeError(`unknown AEAD ${String(id)}`)
  return length
}

function check (id: AeadId, key: Uint8Array, nonce: Uint8Array): void {
  const keyLength = aeadKeyLength(id)
  if (key.byteLength !== keyLength) throw new InvalidKeyError(`${id} key must be ${keyLength} bytes, got ${key.byteLength}`)
  if (nonce.byteLength !== AEAD_NONCE_LENGTH) throw new RangeError(`${id} nonce must be ${AEAD_NONCE_LENGTH} bytes, got ${nonce.byteLength}`)
}

export function aeadSeal (id: AeadId, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  check(id, key, nonce)
  // chacha20-poly1305 returns a CipherChaCha20Poly1305, which has the same methods as CipherGCM.
  const cipher = createCipheriv(id as 'aes-256-gcm', key, nonce, { authTagLength: AEAD_TAG_LENGTH }) as CipherGCM
  cipher.setAAD(aad)
  const out = new Uint8Array(plaintext.byteLength + AEAD_TAG_LENGTH)
  const body = cipher.update(plaintext)
  out.set(body)
  const rest = cipher.final() // empty for these stream-like modes
  out.set(rest, body.byteLength)
  out.set(cipher.getAuthTag(), body.byteLength + rest.byteLength)
  return out
}

export function aeadOpen (id: AeadId, key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array {
  check(id, key, nonce)
  if (ciphertext.byteLength < AEAD_TAG_LENGTH) throw new DecryptionError(`ciphertext shorter than the ${AEAD_TAG_LENGTH}-byte tag`)
  const bodyLength = ciphertext.byteLength - AEAD_TAG_LENGTH
  const decipher = createDecipheriv(id as 'aes-256-gcm', key, nonce, { authTagLength: AEAD_TAG_LENGTH }) as DecipherGCM
  decipher.setAuthTag(ciphertext.subarray(bodyLength))
  decipher.setAAD(aad)
  const out = new Uint8Array(bodyLength)
  const body = decipher.update(ciphertext.subarray(0, bodyLength))
  try {
    const rest = decipher.final()
    out.set(body)
    out.set(rest, body.byteLength)
  } catch (err) {
    body.fill(0) // unauthenticated plaintext never leaves this function
    throw new DecryptionError(undefined, { cause: err })
  }
  return out
}
