// X25519 key agreement (RFC 7748) on node:crypto / OpenSSL.
//
// Keys are raw 32-byte strings as in RFC 7748 §5: a secret key is any 32 bytes (clamped when used,
// not when stored), a public key is a little-endian u-coordinate whose top bit is ignored and
// whose non-canonical values (≥ 2^255 − 19) are reduced, as §5 requires.
//
// Guarantees:
// - x25519() refuses an all-zero shared secret (RFC 7748 §6.1, RFC 9180 §7.1.4) with
//   LowOrderPointError: that output means the peer's public key was of low order, so the result
//   carries no secret. OpenSSL performs this check itself; we check the bytes as well.
// - Wrong lengths give InvalidKeyError. Any other 32 bytes are a valid key (twist points included,
//   as RFC 7748 allows).
//
// How: a secret key becomes a KeyObject by prefixing the fixed PKCS#8 DER header of RFC 8410, in
// a buffer that is wiped right after import. Public keys go in and out as JWK `x` (base64url of
// the raw 32 bytes) instead of SPKI DER: on Node 22 / OpenSSL 3.5 a JWK
// import measured 1.9 µs against 4.7 µs for SPKI (OpenSSL's DER decoder dominates), and a JWK
// export ~1 µs against ~17 µs for an SPKI export. Secret keys never take the JWK path, because
// `d` would then sit in an immutable JS string that cannot be wiped; reading the public key of a
// private KeyObject goes through createPublicKey() first for the same reason.
// JS cannot promise that copies of a secret are erased from memory: OpenSSL holds its own copy
// inside the KeyObject until it is garbage-collected.
import { createPrivateKey, createPublicKey, diffieHellman, randomFillSync, type KeyObject } from 'node:crypto'
import { InvalidKeyError, LowOrderPointError } from './errors.ts'
import { fromBuffer } from './from-buffer.ts'

export interface KeyAgreementKeyPair {
  readonly publicKey: Uint8Array
  readonly secretKey: Uint8Array
}

export const X25519_KEY_LENGTH = 32

// RFC 8410: OneAsymmetricKey { version 0, AlgorithmIdentifier { id-X25519 1.3.101.110 }, OCTET STRING { OCTET STRING (32) } }
const PKCS8_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]

function checkLength (key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array)) throw new TypeError(`X25519 ${what} must be a Uint8Array`)
  if (key.byteLength !== X25519_KEY_LENGTH) {
    throw new InvalidKeyError(`X25519 ${what} must be ${X25519_KEY_LENGTH} bytes, got ${key.byteLength}`)
  }
}

/** A node:crypto private KeyObject for a raw 32-byte X25519 secret key. Internal to crypto/. */
export function importPrivateKey (secretKey: Uint8Array): KeyObject {
  checkLength(secretKey, 'secret key')
  const der = Buffer.alloc(PKCS8_PREFIX.length + X25519_KEY_LENGTH) // not from the shared pool
  der.set(PKCS8_PREFIX)
  der.set(secretKey, PKCS8_PREFIX.length)
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  } catch (err) {
    throw new InvalidKeyError('X25519 secret key was rejected', { cause: err })
  } finally {
    der.fill(0)
  }
}

/** A node:crypto public KeyObject for a raw 32-byte X25519 public key. Internal to crypto/. */
export function importPublicKey (publicKey: Uint8Array): KeyObject {
  checkLength(publicKey, 'public key')
  const x = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64url')
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' })
  } catch (err) {
    throw new InvalidKeyError('X25519 public key was rejected', { cause: err })
  }
}

/** The raw 32-byte public key of a private or public X25519 KeyObject. Internal to crypto/. */
export function exportPublicKey (key: KeyObject): Uint8Array {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  const x = publicKey.export({ format: 'jwk' }).x
  if (x === undefined) throw new InvalidKeyError('X25519 key has no public part')
  const decoded = Buffer.from(x, 'base64url') // may be a slice of Node's shared pool: copy out
  if (decoded.byteLength !== X25519_KEY_LENGTH) throw new InvalidKeyError('X25519 key export has the wrong length')
  const out = new Uint8Array(X25519_KEY_LENGTH)
  out.set(decoded)
  return out
}

/** X25519 on KeyObjects; all-zero output → LowOrderPointError. Internal to crypto/. */
export function agree (privateKey: KeyObject, publicKey: KeyObject): Uint8Array {
  let shared: Uint8Array
  try {
    shared = fromBuffer(diffieHellman({ privateKey, publicKey }))
  } catch (err) {
    // OpenSSL fails the derivation exactly when the result is all zero (ossl_x25519 checks it).
    if ((err as { code?: unknown }).code === 'ERR_OSSL_FAILED_DURING_DERIVATION') throw new LowOrderPointError(undefined, { cause: err })
    throw err
  }
  let acc = 0
  for (let i = 0; i < shared.length; i++) acc |= shared[i] as number
  if (acc === 0) throw new LowOrderPointError()
  return shared
}

export function keyAgreementKeyPairFromSecret (secretKey: Uint8Array): KeyAgreementKeyPair {
  const publicKey = exportPublicKey(importPrivateKey(secretKey))
  return { publicKey, secretKey: Uint8Array.from(secretKey) }
}

export function generateKeyAgreementKeyPair (): KeyAgreementKeyPair {
  const secretKey = randomFillSync(new Uint8Array(X25519_KEY_LENGTH))
  return { publicKey: exportPublicKey(importPrivateKey(secretKey)), secretKey }
}

/** X25519(secretKey, publicKey): the 32-byte shared secret, RFC 7748 §5 / §6.1. */
export function x25519 (secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return agree(importPrivateKey(secretKey), importPublicKey(publicKey))
}
