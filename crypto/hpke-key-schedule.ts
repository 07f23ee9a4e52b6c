// RFC 9180 §5.1 KeySchedule for KDF HKDF-SHA256, modes base (0x00) and psk (0x01):
//
//   key_schedule_context = mode ‖ LabeledExtract("", "psk_id_hash", psk_id)
//                               ‖ LabeledExtract("", "info_hash", info)
//   secret          = LabeledExtract(shared_secret, "secret", psk)
//   key             = LabeledExpand(secret, "key", key_schedule_context, Nk)
//   base_nonce      = LabeledExpand(secret, "base_nonce", key_schedule_context, Nn = 12)
//   exporter_secret = LabeledExpand(secret, "exp", key_schedule_context, Nh = 32)
//
// key_schedule_context depends only on public, usually constant inputs (suite, mode, psk_id,
// info); memoising it would save two HMACs, ~3 µs of a ~60 µs seal (measured), which did not
// seem worth a mutable module-level cache. Internal to crypto/.
import { aeadKeyLength, AEAD_NONCE_LENGTH, type AeadId } from './aead.ts'
import { HASH_LENGTH } from './hkdf.ts'
import { EMPTY, hpkeSuiteId, label, labeledExpand, labeledExtract } from './hpke-labeled.ts'

export const MODE_BASE = 0x00
export const MODE_PSK = 0x01
export type HpkeMode = typeof MODE_BASE | typeof MODE_PSK

const LABEL_PSK_ID_HASH = label('psk_id_hash')
const LABEL_INFO_HASH = label('info_hash')
const LABEL_SECRET = label('secret')
const LABEL_KEY = label('key')
const LABEL_BASE_NONCE = label('base_nonce')
const LABEL_EXP = label('exp')

/** Per-AEAD constants of the key schedule. */
export interface SuiteState {
  readonly aead: AeadId
  readonly suiteId: Uint8Array
  readonly keyLength: number
}

function makeSuite (aead: AeadId): SuiteState {
  return Object.freeze({ aead, suiteId: hpkeSuiteId(aead), keyLength: aeadKeyLength(aead) })
}

const SUITES: Readonly<Record<AeadId, SuiteState>> = Object.freeze({
  'aes-128-gcm': makeSuite('aes-128-gcm'),
  'aes-256-gcm': makeSuite('aes-256-gcm'),
  'chacha20-poly1305': makeSuite('chacha20-poly1305')
})

/** The constants of a suite; RangeError for an AEAD we do not support. */
export function suiteState (aead: AeadId): SuiteState {
  const state = Object.hasOwn(SUITES, aead) ? SUITES[aead] : undefined
  if (state === undefined) throw new RangeError(`unsupported HPKE AEAD ${String(aead)}`)
  return state
}

export function keyScheduleContext (suite: SuiteState, mode: HpkeMode, pskId: Uint8Array, info: Uint8Array): Uint8Array {
  const context = new Uint8Array(1 + 2 * HASH_LENGTH)
  context[0] = mode
  context.set(labeledExtract(suite.suiteId, EMPTY, LABEL_PSK_ID_HASH, pskId), 1)
  context.set(labeledExtract(suite.suiteId, EMPTY, LABEL_INFO_HASH, info), 1 + HASH_LENGTH)
  return context
}

export interface KeyScheduleResult {
  readonly keyScheduleContext: Uint8Array
  readonly secret: Uint8Array
  readonly key: Uint8Array
  readonly baseNonce: Uint8Array
  /** Absent when the caller asked for no exporter (single-shot seal/open). */
  readonly exporterSecret: Uint8Array | undefined
}

/** RFC 9180 §5.1 VerifyPSKInputs: psk and psk_id are both given in psk mode, both empty in base mode. */
export function verifyPskInputs (mode: HpkeMode, psk: Uint8Array, pskId: Uint8Array): void {
  const gotPsk = psk.byteLength > 0
  const gotPskId = pskId.byteLength > 0
  if (gotPsk !== gotPskId) throw new RangeError('inconsistent PSK inputs: psk and pskId must both be set or both be empty')
  if (gotPsk && mode === MODE_BASE) throw new RangeError('PSK input provided when not needed')
  if (!gotPsk && mode === MODE_PSK) throw new RangeError('missing required PSK input')
}

export function keySchedule (
  suite: SuiteState, mode: HpkeMode, sharedSecret: Uint8Array, info: Uint8Array,
  psk: Uint8Array, pskId: Uint8Array, withExporter: boolean
): KeyScheduleResult {
  verifyPskInputs(mode, psk, pskId)
  const context = keyScheduleContext(suite, mode, pskId, info)
  const secret = labeledExtract(suite.suiteId, sharedSecret, LABEL_SECRET, psk)
  return {
    keyScheduleContext: context,
    secret,
    key: labeledExpand(suite.suiteId, secret, LABEL_KEY, [context], suite.keyLength),
    baseNonce: labeledExpand(suite.suiteId, secret, LABEL_BASE_NONCE, [context], AEAD_NONCE_LENGTH),
    exporterSecret: withExporter ? labeledExpand(suite.suiteId, secret, LABEL_EXP, [context], HASH_LENGTH) : undefined
  }
}
