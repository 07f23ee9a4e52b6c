// M-Pin D-TA messages: the bodies of the envelopes of the flow, their canonical encoding, and their
// validation at the boundary (docs/PROTOCOL.md, "M-Pin D-TA").
//
// `decodeMessage(envelope, body)` turns an opened envelope's body into a typed value, or throws:
//   MalformedError           wrong fields, types, lengths, thread or recipients for the type
//   UnsupportedVersionError  a `v` this node does not speak
// Everything checked here needs only the message and its envelope header. Whether the sender is
// entitled to ask (entitlement.ts), whether a share fits its request (reduce.ts), are decided
// elsewhere. Points are checked here for their Milagro octet length and prefix only: full
// validation (on the curve, in the subgroup) needs the curve's arithmetic and is done by the
// service before a share is accepted.
import { curveNames, curveParams, isCurveName, type CurveName } from '../../crypto/index.ts'
import { asRecord, describeValue, readBytes, readCid, readString, type CID, type Fields } from '../codec.ts'
import { MalformedError, UnsupportedVersionError } from '../errors.ts'
import type { EnvelopeHeader } from '../envelope.ts'
import type { IpldValue } from '../state/types.ts'
import {
  isIssuanceKind, ISSUANCE_KINDS, MPIN_MESSAGES, MPIN_VERSION, isMpinMessageType,
  type IssuanceKind, type IssuanceRequest, type IssuanceTerms, type RefusedBody, type ShareBody
} from './types.ts'

/** Longest M-Pin id, in UTF-16 code units (and at most 1,024 bytes of UTF-8). */
export const MAX_ID_LENGTH = 256
/** Most D-TAs one request may name. */
export const MAX_DTAS = 32
/** Largest time-permit date (Milagro hashes it as a 32-bit integer). */
export const MAX_DATE = 0xffffffff
/** A master share's fingerprint: the key store's SHA-256 commitment to it. */
export const FINGERPRINT_LENGTH = 32
const MAX_ERROR_MESSAGE = 512
// No control characters: ids are written to logs and shown to operators.
const ID_PATTERN = /^[^\u0000-\u001f\u007f]+$/u // eslint-disable-line no-control-regex
const ERROR_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9]*$/
const ERROR_MESSAGE_PATTERN = /^[^\u0000-\u0008\u000b-\u001f\u007f]*$/u // eslint-disable-line no-control-regex

/** Milagro octet lengths: G1 uncompressed (0x04 ‖ x ‖ y) and G2 (x.a ‖ x.b ‖ y.a ‖ y.b). */
export function pointLengths (curve: CurveName): { readonly g1: number, readonly g2: number } {
  const pfs = curveParams[curve].pfs
  return { g1: 2 * pfs + 1, g2: 4 * pfs }
}

/** The length a share of `issuance` has on `curve`. */
export function shareLength (issuance: IssuanceKind, curve: CurveName): number {
  const l = pointLengths(curve)
  return issuance === 'server-secret' ? l.g2 : l.g1
}

/** Whether `id` is a well-formed M-Pin id (see MAX_ID_LENGTH). */
export function isMpinId (id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH && ID_PATTERN.test(id) && Buffer.byteLength(id) <= 4 * MAX_ID_LENGTH
}

/** Checks the combination of kind, id and date (a programmer's error in our own requests: TypeError; from outside: MalformedError). */
export function checkTerms (terms: Pick<IssuanceTerms, 'issuance' | 'id' | 'date' | 'dtas'>, fail: (message: string) => Error = (m) => new MalformedError(m)): void {
  const { issuance, id, date } = terms
  if (issuance === 'server-secret') {
    if (id !== null) throw fail('a server-secret request names no M-Pin id')
    if (date !== null) throw fail('a server-secret request names no date')
  } else {
    if (!isMpinId(id)) throw fail(`a ${issuance} request needs an M-Pin id of 1..${MAX_ID_LENGTH} characters without control characters`)
    if (issuance === 'time-permit') {
      if (date === null || !Number.isSafeInteger(date) || date < 1 || date > MAX_DATE) throw fail('a time-permit request needs a date: days since the epoch, 1..2^32−1')
    } else if (date !== null) {
      throw fail('a client-secret request names no date')
    }
  }
  if (terms.dtas.length < 1 || terms.dtas.length > MAX_DTAS) throw fail(`a request names 1..${MAX_DTAS} D-TAs`)
  const seen = new Set<string>()
  for (const d of terms.dtas) {
    const s = d.toString()
    if (seen.has(s)) throw fail(`D-TA ${s} is named twice`)
    seen.add(s)
  }
}

/** Every party a request goes to: its D-TAs and its beneficiary, without duplicates. */
export function requestRecipients (terms: Pick<IssuanceTerms, 'beneficiary' | 'dtas'>): CID[] {
  const out: CID[] = []
  for (const c of [...terms.dtas, terms.beneficiary]) if (!out.some((o) => o.equals(c))) out.push(c)
  return out
}

// ---- encoders: typed content → envelope body (every body carries v) ----

export function requestBody (t: IssuanceTerms): IpldValue {
  checkTerms(t, (m) => new TypeError(m))
  return { v: MPIN_VERSION, issuance: t.issuance, curve: t.curve, beneficiary: t.beneficiary, id: t.id, date: t.date, dtas: [...t.dtas] }
}

export function shareBody (b: ShareBody): IpldValue {
  return { v: MPIN_VERSION, issuance: b.issuance, curve: b.curve, share: b.share, master: b.master }
}

export function refusedBody (b: RefusedBody): IpldValue {
  return { v: MPIN_VERSION, error: b.error, message: b.message.slice(0, MAX_ERROR_MESSAGE) }
}

// ---- decoder ----

/** What the decoder needs of an envelope: its CID and the header fields the flow uses. */
export interface MessageEnvelope {
  readonly cid: CID
  readonly header: Pick<EnvelopeHeader, 'type' | 'sender' | 'recipients' | 'thread' | 'time'>
}

export type DecodedMpinMessage =
  | { readonly type: typeof MPIN_MESSAGES.request, readonly request: IssuanceRequest }
  | { readonly type: typeof MPIN_MESSAGES.share, readonly request: CID, readonly dta: CID, readonly beneficiary: CID, readonly answer: CID, readonly body: ShareBody }
  | { readonly type: typeof MPIN_MESSAGES.refused, readonly request: CID, readonly dta: CID, readonly answer: CID, readonly body: RefusedBody }

function fields (body: unknown, what: string, keys: readonly string[]): Fields {
  const r = asRecord(body, what, ['v', ...keys])
  if (r.v !== MPIN_VERSION) throw new UnsupportedVersionError(`${what} version ${describeValue(r.v)} is not supported (this node speaks ${MPIN_VERSION})`)
  return r
}

function readCurve (r: Fields, what: string): CurveName {
  const c = r.curve
  if (!isCurveName(c)) throw new MalformedError(`${what}.curve must be one of ${curveNames.join(', ')}`)
  return c
}

function readIssuance (r: Fields, what: string): IssuanceKind {
  const k = r.issuance
  if (!isIssuanceKind(k)) throw new MalformedError(`${what}.issuance must be one of ${ISSUANCE_KINDS.join(', ')}`)
  return k
}

function readNullableId (r: Fields, what: string): string | null {
  const v = r.id
  if (v === null) return null
  if (!isMpinId(v)) throw new MalformedError(`${what}.id is not a valid M-Pin id`)
  return v
}

function readNullableDate (r: Fields, what: string): number | null {
  const v = r.date
  if (v === null) return null
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > MAX_DATE) throw new MalformedError(`${what}.date must be null or days since the epoch, 1..2^32−1`)
  return v
}

function readCids (r: Fields, key: string, what: string, max: number): CID[] {
  const v = r[key]
  if (!Array.isArray(v) || v.length === 0 || v.length > max) throw new MalformedError(`${what}.${key} must be a list of 1..${max} CID links`)
  return v.map((_, i) => readCid(v as unknown as Fields, String(i), `${what}.${key}`))
}

function readPoint (r: Fields, key: string, what: string, length: number, g1: boolean): Uint8Array {
  const b = readBytes(r, key, what, length)
  if (g1 && b[0] !== 0x04) throw new MalformedError(`${what}.${key} must be an uncompressed G1 octet (0x04 ‖ x ‖ y)`)
  return b
}

/** Validates the body of an M-Pin envelope (see the file header) and returns its typed content. */
export function decodeMessage (envelope: MessageEnvelope, body: unknown): DecodedMpinMessage {
  const h = envelope.header
  const type = h.type
  if (!isMpinMessageType(type)) throw new MalformedError(`'${type}' is not an M-Pin message type`)
  const what = type
  switch (type) {
    case MPIN_MESSAGES.request: {
      if (h.thread !== null) throw new MalformedError('an mpin/request envelope starts its own thread (thread must be null)')
      const r = fields(body, what, ['issuance', 'curve', 'beneficiary', 'id', 'date', 'dtas'])
      const terms: IssuanceTerms = {
        issuance: readIssuance(r, what),
        curve: readCurve(r, what),
        beneficiary: readCid(r, 'beneficiary', what),
        id: readNullableId(r, what),
        date: readNullableDate(r, what),
        dtas: readCids(r, 'dtas', what, MAX_DTAS)
      }
      checkTerms(terms)
      const expected = requestRecipients(terms)
      if (h.recipients.length !== expected.length || !expected.every((c) => h.recipients.some((r) => r.equals(c)))) {
        throw new MalformedError('an mpin/request envelope is addressed to exactly its D-TAs and its beneficiary')
      }
      return { type, request: { ...terms, request: envelope.cid, from: h.sender, time: h.time } }
    }
    case MPIN_MESSAGES.share: {
      if (h.thread === null) throw new MalformedError('an mpin/share envelope names its request as thread')
      if (h.recipients.length !== 1) throw new MalformedError('an mpin/share envelope is addressed to the beneficiary alone')
      const r = fields(body, what, ['issuance', 'curve', 'share', 'master'])
      const issuance = readIssuance(r, what)
      const curve = readCurve(r, what)
      const share = readPoint(r, 'share', what, shareLength(issuance, curve), issuance !== 'server-secret')
      const master = readBytes(r, 'master', what, FINGERPRINT_LENGTH)
      return { type, request: h.thread, dta: h.sender, beneficiary: h.recipients[0] as CID, answer: envelope.cid, body: { issuance, curve, share, master } }
    }
    case MPIN_MESSAGES.refused: {
      if (h.thread === null) throw new MalformedError('an mpin/refused envelope names its request as thread')
      const r = fields(body, what, ['error', 'message'])
      const error = readString(r, 'error', what, ERROR_NAME_PATTERN, 64)
      const message = r.message
      if (typeof message !== 'string' || message.length > MAX_ERROR_MESSAGE || !ERROR_MESSAGE_PATTERN.test(message)) throw new MalformedError(`${what}.message must be text of at most ${MAX_ERROR_MESSAGE} characters`)
      return { type, request: h.thread, dta: h.sender, answer: envelope.cid, body: { error, message } }
    }
  }
}
