// Ed25519 (RFC 8032, pure EdDSA) on OpenSSL through node:crypto.
//
// Keys are raw bytes: a 32-byte secret seed and a 32-byte public key. OpenSSL wants KeyObjects,
// built here from fixed DER prefixes (PKCS#8 for the seed, SPKI for the public key). Building a
// KeyObject costs about as much as a verify, so a `Signer` keeps its private KeyObject and the
// verifier keeps a small cache of public KeyObjects for the keys it sees most (a node verifies the
// same few authors over and over during replay and sync).
//
// Verification follows OpenSSL: it rejects non-canonical S (S >= L) and small-order / non-canonical
// public key encodings per RFC 8032 §5.1.7; see test/crypto/ed25519.test.ts for the Wycheproof run.
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { randomBytes } from './bytes.ts'
import { InvalidKeyError } from './errors.ts'
import { PublicMemo } from './public-memo.ts'

export const ED25519_PUBLIC_KEY_LENGTH = 32
export const ED25519_SECRET_KEY_LENGTH = 32
export const ED25519_SIGNATURE_LENGTH = 64

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

export interface SigningKeyPair {
  readonly publicKey: Uint8Array
  readonly secretKey: Uint8Array
}

function privateKeyObject (seed: Uint8Array): KeyObject {
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_SECRET_KEY_LENGTH) {
    throw new InvalidKeyError(`Ed25519 secret key must be ${ED25519_SECRET_KEY_LENGTH} bytes`)
  }
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
}

function rawPublicKey (key: KeyObject): Uint8Array {
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(SPKI_PREFIX.length))
}

export function signingKeyPairFromSeed (secretKey: Uint8Array): SigningKeyPair {
  const publicKey = rawPublicKey(privateKeyObject(secretKey))
  return { publicKey, secretKey: Uint8Array.from(secretKey) }
}

export function generateSigningKeyPair (): SigningKeyPair {
  return signingKeyPairFromSeed(randomBytes(ED25519_SECRET_KEY_LENGTH))
}

/** Holds a parsed private key; use one per identity on hot paths. */
export class Signer {
  readonly publicKey: Uint8Array
  readonly #key: KeyObject

  constructor (secretKey: Uint8Array) {
    this.#key = privateKeyObject(secretKey)
    this.publicKey = rawPublicKey(this.#key)
  }

  sign (message: Uint8Array): Uint8Array {
    const sig = nodeSign(null, message, this.#key)
    return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength)
  }
}

export function sign (secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  const sig = nodeSign(null, message, privateKeyObject(secretKey))
  return new Uint8Array(sig.buffer, sig.byteOffset, sig.byteLength)
}

const publicKeys = new PublicMemo<KeyObject>(1024)

function publicKeyObject (publicKey: Uint8Array): KeyObject {
  return publicKeys.get(publicKey, (bytes) => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, bytes]), format: 'der', type: 'spki' }))
}

/**
 * True when `signature` is a valid Ed25519 signature of `message` under `publicKey`.
 * Malformed lengths and keys OpenSSL cannot parse return false (never throw): a verifier
 * answers yes or no about bytes that came from outside.
 */
export function verify (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH || signature.length !== ED25519_SIGNATURE_LENGTH) return false
  let key: KeyObject
  try {
    key = publicKeyObject(publicKey)
  } catch {
    return false // not a point encoding OpenSSL accepts
  }
  return nodeVerify(null, message, key, signature)
}
