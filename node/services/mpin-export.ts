// Handing a combined M-Pin secret (client secret or time permit) to its owner through the REST
// API without it being in clear in the response: the caller sends a fresh X25519 public key, the
// node HPKE-seals the secret's Milagro octet to it, and only the caller opens it.
//
//   HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM
//   info = "milagro/mpin/export/v1", aad = the request id's CID bytes
import type { CID } from 'multiformats/cid'
import { generateKeyAgreementKeyPair, hpkeOpen, hpkeSeal, X25519_KEY_LENGTH, type KeyAgreementKeyPair } from '../../crypto/index.ts'

export const MPIN_EXPORT_INFO = new TextEncoder().encode('milagro/mpin/export/v1')

export interface SealedSecret {
  readonly enc: Uint8Array
  readonly ciphertext: Uint8Array
}

export function sealSecret (recipientKey: Uint8Array, request: CID, secret: Uint8Array): SealedSecret {
  if (!(recipientKey instanceof Uint8Array) || recipientKey.length !== X25519_KEY_LENGTH) throw new RangeError(`the export recipient key must be a ${X25519_KEY_LENGTH}-byte X25519 public key`)
  return hpkeSeal({ aead: 'aes-256-gcm' }, recipientKey, MPIN_EXPORT_INFO, request.bytes, secret)
}

/** Opens an exported secret with the caller's X25519 secret key (the caller zeroes the result). */
export function openSecret (recipientSecretKey: Uint8Array, request: CID, sealed: SealedSecret): Uint8Array {
  return hpkeOpen({ aead: 'aes-256-gcm' }, recipientSecretKey, sealed.enc, MPIN_EXPORT_INFO, request.bytes, sealed.ciphertext)
}

/** A one-time key pair for one export. */
export function exportKeyPair (): KeyAgreementKeyPair {
  return generateKeyAgreementKeyPair()
}
