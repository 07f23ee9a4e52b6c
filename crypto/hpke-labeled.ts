// RFC 9180 §4: the labeled KDF over HKDF-SHA256 (KDF id 0x0001), and the suite identifiers.
//
//   LabeledExtract(salt, label, ikm)     = Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm)
//   LabeledExpand(prk, label, info, L)   = Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L)
//
// The pieces are fed to HMAC one by one (hkdf.ts `…Parts`), never concatenated. Internal to crypto/.
import type { AeadId } from './aead.ts'
import { hkdfExpandParts, hkdfExtractParts } from './hkdf.ts'

const encoder = new TextEncoder()

/** ASCII label bytes, as RFC 9180 writes them in quotes. */
export function label (text: string): Uint8Array {
  return encoder.encode(text)
}

export const EMPTY = new Uint8Array(0)
const HPKE_V1 = label('HPKE-v1')

export const KEM_ID = 0x0020 // DHKEM(X25519, HKDF-SHA256)
export const KDF_ID = 0x0001 // HKDF-SHA256
export const AEAD_IDS: Readonly<Record<AeadId, number>> = {
  'aes-128-gcm': 0x0001,
  'aes-256-gcm': 0x0002,
  'chacha20-poly1305': 0x0003
}

function i2osp2 (n: number): Uint8Array {
  return Uint8Array.of(n >>> 8, n & 0xff)
}

/** suite_id of the KEM: "KEM" ‖ I2OSP(kem_id, 2) (RFC 9180 §4.1). */
export const KEM_SUITE_ID = Uint8Array.of(...label('KEM'), ...i2osp2(KEM_ID))

/** suite_id of the key schedule: "HPKE" ‖ kem_id ‖ kdf_id ‖ aead_id (RFC 9180 §5.1). */
export function hpkeSuiteId (aead: AeadId): Uint8Array {
  const aeadId = Object.hasOwn(AEAD_IDS, aead) ? AEAD_IDS[aead] : undefined
  if (aeadId === undefined) throw new RangeError(`unsupported HPKE AEAD ${String(aead)}`)
  return Uint8Array.of(...label('HPKE'), ...i2osp2(KEM_ID), ...i2osp2(KDF_ID), ...i2osp2(aeadId))
}

export function labeledExtract (suiteId: Uint8Array, salt: Uint8Array, labelBytes: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hkdfExtractParts(salt, [HPKE_V1, suiteId, labelBytes, ikm])
}

/** LabeledExpand; `info` may be given in pieces (e.g. kem_context = enc ‖ pkRm). */
export function labeledExpand (suiteId: Uint8Array, prk: Uint8Array, labelBytes: Uint8Array, info: readonly Uint8Array[], length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length > 0xffff) throw new RangeError(`LabeledExpand length out of range: ${length}`)
  return hkdfExpandParts(prk, [i2osp2(length), HPKE_V1, suiteId, labelBytes, ...info], length)
}
