// Batch Ed25519 verification (RFC 8032, pure Ed25519) on OpenSSL through node:crypto, for log replay.
// Each item is checked independently; a malformed key or signature makes its own entry false
// rather than failing the batch. This is not the randomised "batch equation" of RFC 8032 §8.1
// (which would only say whether all signatures verify): replay needs to know which ones fail.
import { createPublicKey, verify } from 'node:crypto'

export interface Ed25519BatchItem {
  readonly publicKey: Uint8Array
  readonly message: Uint8Array
  readonly signature: Uint8Array
}

/** DER SubjectPublicKeyInfo prefix for a raw 32-byte Ed25519 key (RFC 8410). */
const spkiPrefix = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00)

function verifyOne (item: Ed25519BatchItem): boolean {
  if (item.publicKey.length !== 32 || item.signature.length !== 64) return false
  const der = new Uint8Array(spkiPrefix.length + 32)
  der.set(spkiPrefix)
  der.set(item.publicKey, spkiPrefix.length)
  try {
    const key = createPublicKey({ key: Buffer.from(der.buffer), format: 'der', type: 'spki' })
    return verify(null, item.message, key, item.signature)
  } catch {
    // OpenSSL refuses keys that do not decode to a curve point: such a signature does not verify.
    return false
  }
}

/** One boolean per item, in order: does its signature verify under its public key. */
export function verifyEd25519Batch (items: readonly Ed25519BatchItem[]): boolean[] {
  return items.map(verifyOne)
}
