// Handing a recovered secret to the beneficiary's operator through the REST API without it being
// in clear in the response: the caller sends a fresh X25519 public key, the node HPKE-seals the
// secret (the blinding stripped) to it, and only the caller opens it.
//
//   HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM
//   info = "milagro/safeguard/export/v1", aad = the deposit id's CID bytes
import type { CID } from 'multiformats/cid'
import { generateKeyAgreementKeyPair, hpkeOpen, hpkeSeal, X25519_KEY_LENGTH, type KeyAgreementKeyPair } from '../../crypto/index.ts'

export const SAFEGUARD_EXPORT_INFO = new TextEncoder().encode('milagro/safeguard/export/v1')

export interface SealedSecret {
  readonly enc: Uint8Array
  readonly ciphertext: Uint8Array
}

export function sealSecret (recipientKey: Uint8Array, deposit: CID, secret: Uint8Array): SealedSecret {
  if (!(recipientKey instanceof Uint8Array) || recipientKey.length !== X25519_KEY_LENGTH) throw new RangeError(`the export recipient key must be a ${X25519_KEY_LENGTH}-byte X25519 public key`)
  return hpkeSeal({ aead: 'aes-256-gcm' }, recipientKey, SAFEGUARD_EXPORT_INFO, deposit.bytes, secret)
}

/** Opens an exported secret with the caller's X25519 secret key (the caller wipes the result). */
export function openSecret (recipientSecretKey: Uint8Array, deposit: CID, sealed: SealedSecret): Uint8Array {
  return hpkeOpen({ aead: 'aes-256-gcm' }, recipientSecretKey, sealed.enc, SAFEGUARD_EXPORT_INFO, deposit.bytes, sealed.ciphertext)
}

/** A one-time key pair for one export. */
export function exportKeyPair (): KeyAgreementKeyPair {
  return generateKeyAgreementKeyPair()
}
