// Export of a redeemed wallet key to the beneficiary's operator, without the key ever being in
// clear in an API response: the caller sends a fresh X25519 public key, the node HPKE-seals the
// exported key (WIF or hex text) to it, and only the caller, holding the matching secret, opens it.
//
//   HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM
//   info = "milagro/custody/export/v1", aad = the order id's CID bytes
//
// The text form of the key is a JS string on both sides (WIF is text): strings cannot be zeroed,
// so the key stays in the heap until collected (see the README's Security section).
import type { CID } from 'multiformats/cid'
import { generateKeyAgreementKeyPair, hpkeOpen, hpkeSeal, X25519_KEY_LENGTH, type KeyAgreementKeyPair } from '../../crypto/index.ts'

export const EXPORT_INFO = new TextEncoder().encode('milagro/custody/export/v1')

export interface SealedExport {
  readonly enc: Uint8Array
  readonly ciphertext: Uint8Array
}

export function sealExport (recipientKey: Uint8Array, order: CID, text: Uint8Array): SealedExport {
  if (!(recipientKey instanceof Uint8Array) || recipientKey.length !== X25519_KEY_LENGTH) throw new RangeError(`the export recipient key must be a ${X25519_KEY_LENGTH}-byte X25519 public key`)
  return hpkeSeal({ aead: 'aes-256-gcm' }, recipientKey, EXPORT_INFO, order.bytes, text)
}

/** Opens an export with the caller's secret; returns the key text's bytes (the caller zeroes them). */
export function openExport (recipientSecretKey: Uint8Array, order: CID, sealed: SealedExport): Uint8Array {
  return hpkeOpen({ aead: 'aes-256-gcm' }, recipientSecretKey, sealed.enc, EXPORT_INFO, order.bytes, sealed.ciphertext)
}

/** A one-time key pair for one export. */
export function exportKeyPair (): KeyAgreementKeyPair {
  return generateKeyAgreementKeyPair()
}
