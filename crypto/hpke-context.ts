// RFC 9180 §5.2 and §5.3: the encryption contexts that SetupS / SetupR return.
//
//   ComputeNonce(seq) = base_nonce XOR I2OSP(seq, Nn)
//   Seal(aad, pt): ct = AEAD.Seal(key, ComputeNonce(seq), aad, pt); seq += 1
//   Open(aad, ct): pt = AEAD.Open(key, ComputeNonce(seq), aad, ct); seq += 1 only on success
//   Export(exporter_context, L) = LabeledExpand(exporter_secret, "sec", exporter_context, L)
//
// The sequence number is a JS number, so the context allows 2^53 − 1 messages instead of the
// RFC's 2^96 − 1; RFC 9180 §5.2 permits a shorter counter as long as overflow is an error,
// which here is MessageLimitReachedError. Messages must be opened in the order they were sealed.
// Contexts are not safe to share between concurrent users (each call advances the counter).
import { aeadOpen, aeadSeal, AEAD_NONCE_LENGTH, type AeadId } from './aead.ts'
import { MessageLimitReachedError } from './errors.ts'
import { HASH_LENGTH } from './hkdf.ts'
import { label, labeledExpand } from './hpke-labeled.ts'

/** Largest sequence number this implementation reaches; using it raises MessageLimitReachedError. */
export const MAX_SEQUENCE_NUMBER = Number.MAX_SAFE_INTEGER
const MAX_EXPORT_LENGTH = 255 * HASH_LENGTH
const LABEL_SEC = label('sec')
const TWO_POW_32 = 2 ** 32

/** base_nonce XOR I2OSP(seq, 12), written into `out` (a 12-byte buffer). */
export function computeNonce (baseNonce: Uint8Array, seq: number, out: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`bad HPKE sequence number ${seq}`)
  out.set(baseNonce)
  const high = Math.floor(seq / TWO_POW_32) // < 2^21: fits bytes 4..7 of the 12
  const low = seq >>> 0
  for (let i = 0; i < 4; i++) {
    out[AEAD_NONCE_LENGTH - 1 - i] = (out[AEAD_NONCE_LENGTH - 1 - i] as number) ^ ((low >>> (8 * i)) & 0xff)
    out[AEAD_NONCE_LENGTH - 5 - i] = (out[AEAD_NONCE_LENGTH - 5 - i] as number) ^ ((high >>> (8 * i)) & 0xff)
  }
  return out
}

export interface ContextParams {
  readonly aead: AeadId
  readonly suiteId: Uint8Array
  readonly key: Uint8Array
  readonly baseNonce: Uint8Array
  readonly exporterSecret: Uint8Array
  /** Start value of the sequence number; 0 except in tests of the limit. */
  readonly seq?: number
}

class ContextState {
  readonly aead: AeadId
  readonly suiteId: Uint8Array
  readonly key: Uint8Array
  readonly baseNonce: Uint8Array
  readonly exporterSecret: Uint8Array
  readonly nonce = new Uint8Array(AEAD_NONCE_LENGTH) // scratch: the cipher copies it
  seq: number

  constructor (params: ContextParams) {
    this.aead = params.aead
    this.suiteId = params.suiteId
    this.key = params.key
    this.baseNonce = params.baseNonce
    this.exporterSecret = params.exporterSecret
    this.seq = params.seq ?? 0
    if (!Number.isSafeInteger(this.seq) || this.seq < 0) throw new RangeError(`bad HPKE sequence number ${this.seq}`)
  }

  nextNonce (): Uint8Array {
    if (this.seq >= MAX_SEQUENCE_NUMBER) throw new MessageLimitReachedError()
    return computeNonce(this.baseNonce, this.seq, this.nonce)
  }

  export (exporterContext: Uint8Array, length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0 || length > MAX_EXPORT_LENGTH) {
      throw new RangeError(`HPKE export length must be an integer in 0..${MAX_EXPORT_LENGTH}, got ${length}`)
    }
    return labeledExpand(this.suiteId, this.exporterSecret, LABEL_SEC, [exporterContext], length)
  }
}

/** The sender side of an HPKE context (RFC 9180 ContextS). */
export class SenderContext {
  readonly #state: ContextState

  constructor (params: ContextParams) {
    this.#state = new ContextState(params)
  }

  /** Number of messages sealed so far (the next sequence number). */
  get sequenceNumber (): number {
    return this.#state.seq
  }

  seal (aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const state = this.#state
    const ciphertext = aeadSeal(state.aead, state.key, state.nextNonce(), plaintext, aad)
    state.seq++
    return ciphertext
  }

  export (exporterContext: Uint8Array, length: number): Uint8Array {
    return this.#state.export(exporterContext, length)
  }
}

/** The recipient side of an HPKE context (RFC 9180 ContextR). */
export class RecipientContext {
  readonly #state: ContextState

  constructor (params: ContextParams) {
    this.#state = new ContextState(params)
  }

  /** Number of messages opened so far (the next sequence number). */
  get sequenceNumber (): number {
    return this.#state.seq
  }

  /** DecryptionError if the message does not authenticate; the sequence number then stays. */
  open (aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    const state = this.#state
    const plaintext = aeadOpen(state.aead, state.key, state.nextNonce(), ciphertext, aad)
    state.seq++
    return plaintext
  }

  export (exporterContext: Uint8Array, length: number): Uint8Array {
    return this.#state.export(exporterContext, length)
  }
}
