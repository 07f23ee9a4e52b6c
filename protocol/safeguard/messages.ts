// Safeguard messages: the bodies of the envelopes exchanged by the parties of a deposit, their
// canonical encoding, and their validation at the boundary (docs/PROTOCOL.md, "Safeguard and backup").
//
// `decodeMessage(envelope, body)` turns an opened envelope's body into a typed fact, or throws:
//   MalformedError           wrong fields, types, lengths, thread or recipients for the type, or
//                            deposit terms that do not hold together (checkTerms)
//   UnsupportedVersionError  a `v` this node does not speak
// Everything checked here needs only the message and its envelope header. Whether the sender may
// send it for this deposit, at this stage — and whether a sealed share has the length the deposit
// fixes — is decided by the rules (rules-*.ts) against the deposit's record.
//
// Sealed shares (HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM):
//   safeguard/share    principal → fiduciary i, to the fiduciary's per-deposit transfer key:
//                      info "milagro/safeguard/share/v1",   aad = deposit ‖ fiduciary ‖ u8(i)
//   safeguard/release  fiduciary i → beneficiary, to the beneficiary's identity encryption key:
//                      info "milagro/safeguard/release/v1", aad = deposit ‖ beneficiary ‖ u8(i)
// (CIDs as their binary bytes.) A sealed share cannot be presented for another deposit, to another
// party, or as another index.
import { concatBytes } from '../../crypto/index.ts'
import { asRecord, describeValue, readBytes, readCid, readCidOrNull, readUint, type CID, type Fields } from '../codec.ts'
import { MalformedError, UnsupportedVersionError } from '../errors.ts'
import type { EnvelopeHeader } from '../envelope.ts'
import type { IpldValue } from '../state/types.ts'
import { COMMITMENT_LENGTH, MAX_FIDUCIARIES, MAX_SECRET_BYTES, SALT_LENGTH, shareLength } from './sharing.ts'
import {
  isSafeguardMessageType, REQUESTERS, SAFEGUARD_FACTS, SAFEGUARD_MESSAGES, SAFEGUARD_VERSION,
  type DepositTerms, type MessageFact, type Requesters, type SafeguardMessageType, type SealedShareBody
} from './types.ts'

export const SHARE_INFO = new TextEncoder().encode('milagro/safeguard/share/v1')
export const RELEASE_INFO = new TextEncoder().encode('milagro/safeguard/release/v1')
export const TRANSFER_KEY_LENGTH = 32
export const ENC_LENGTH = 32
export const TAG_LENGTH = 16
/** Longest delay a deposit may set: one year (366 days). */
export const MAX_DELAY_MS = 366 * 24 * 60 * 60 * 1000
export const MAX_LABEL_LENGTH = 128
// Printable text: labels are shown to operators and written to logs.
const LABEL_PATTERN = /^[^\u0000-\u001f\u007f]*$/u // eslint-disable-line no-control-regex

export function shareAad (deposit: CID, fiduciary: CID, index: number): Uint8Array {
  return concatBytes(deposit.bytes, fiduciary.bytes, Uint8Array.of(index))
}

export function releaseAad (deposit: CID, beneficiary: CID, index: number): Uint8Array {
  return concatBytes(deposit.bytes, beneficiary.bytes, Uint8Array.of(index))
}

/** Length of a sealed share's ciphertext for a deposit's terms. */
export function sealedLength (terms: Pick<DepositTerms, 'size' | 'threshold'>): number {
  return shareLength(terms.size, terms.threshold) + TAG_LENGTH
}

const same = (a: CID, b: CID): boolean => a.equals(b)

/**
 * Checks that terms hold together (the principal's own deposit: fail = InvalidRequestError at the
 * API; from outside: MalformedError): 1..MAX_FIDUCIARIES distinct fiduciaries, none of them the
 * principal, the beneficiary or the approver; 1 ≤ threshold ≤ n; size, salt, commitments, delay
 * and label within bounds; an approver other than the principal.
 */
export function checkTerms (principal: CID, t: DepositTerms, fail: (message: string) => Error = (m) => new MalformedError(m)): void {
  const n = t.fiduciaries.length
  if (n < 1 || n > MAX_FIDUCIARIES) throw fail(`a deposit names 1..${MAX_FIDUCIARIES} fiduciaries`)
  for (let i = 0; i < n; i++) {
    const f = t.fiduciaries[i] as CID
    if (t.fiduciaries.slice(0, i).some((o) => same(o, f))) throw fail(`fiduciary ${f.toString()} is named twice`)
    if (same(f, principal)) throw fail('the principal cannot be one of its fiduciaries')
    if (same(f, t.beneficiary)) throw fail('the beneficiary cannot be one of the fiduciaries')
    if (t.approver !== null && same(f, t.approver)) throw fail('the approver cannot be one of the fiduciaries')
  }
  if (!Number.isSafeInteger(t.threshold) || t.threshold < 1 || t.threshold > n) throw fail(`the threshold must be 1..${n}`)
  if (!Number.isSafeInteger(t.size) || t.size < 1 || t.size > MAX_SECRET_BYTES) throw fail(`a safeguarded secret is 1..${MAX_SECRET_BYTES} bytes`)
  if (t.salt.length !== SALT_LENGTH || t.commitment.length !== COMMITMENT_LENGTH) throw fail('salt and commitment are 32 bytes')
  if (t.shares.length !== n || t.shares.some((c) => c.length !== COMMITMENT_LENGTH)) throw fail('a deposit commits to one 32-byte hash per fiduciary')
  if (!(REQUESTERS as readonly string[]).includes(t.requesters)) throw fail(`requesters must be one of ${REQUESTERS.join(', ')}`)
  if (!Number.isSafeInteger(t.delayMs) || t.delayMs < 0 || t.delayMs > MAX_DELAY_MS) throw fail(`the delay is 0..${MAX_DELAY_MS} ms`)
  if (t.approver !== null && same(t.approver, principal)) throw fail('the approver must be another identity than the principal')
  if (t.label.length > MAX_LABEL_LENGTH || !LABEL_PATTERN.test(t.label)) throw fail(`a label is at most ${MAX_LABEL_LENGTH} characters, without control characters`)
}

/** Every party a deposit envelope goes to: fiduciaries, beneficiary, approver — without duplicates and without the principal. */
export function depositRecipients (principal: CID, t: Pick<DepositTerms, 'fiduciaries' | 'beneficiary' | 'approver'>): CID[] {
  const out: CID[] = []
  for (const c of [...t.fiduciaries, t.beneficiary, ...(t.approver === null ? [] : [t.approver])]) {
    if (!same(c, principal) && !out.some((o) => same(o, c))) out.push(c)
  }
  return out
}

// ---- encoders: typed content → envelope body (every body carries v) ----

export function depositBody (t: DepositTerms): IpldValue {
  return {
    v: SAFEGUARD_VERSION,
    beneficiary: t.beneficiary,
    fiduciaries: [...t.fiduciaries],
    threshold: t.threshold,
    size: t.size,
    salt: t.salt,
    commitment: t.commitment,
    shares: [...t.shares],
    requesters: t.requesters,
    delayMs: t.delayMs,
    approver: t.approver,
    label: t.label
  }
}

export function acceptBody (index: number, key: Uint8Array): IpldValue {
  return { v: SAFEGUARD_VERSION, index, key }
}

export function sealedShareBody (b: SealedShareBody): IpldValue {
  return { v: SAFEGUARD_VERSION, index: b.index, enc: b.enc, ct: b.ct }
}

/** `safeguard/held` and `safeguard/destroyed`: a fiduciary's index. */
export function indexBody (index: number): IpldValue {
  return { v: SAFEGUARD_VERSION, index }
}

export function releaseRequestBody (beneficiary: CID): IpldValue {
  return { v: SAFEGUARD_VERSION, beneficiary }
}

/** `safeguard/approve` and `safeguard/revoke`: nothing but the version. */
export function emptyBody (): IpldValue {
  return { v: SAFEGUARD_VERSION }
}

export function releasedBody (index: number, beneficiary: CID, release: CID): IpldValue {
  return { v: SAFEGUARD_VERSION, index, beneficiary, release }
}

// ---- decoder ----

/** What the decoder needs of an envelope: its CID and the header fields the flow uses. */
export interface MessageEnvelope {
  readonly cid: CID
  readonly header: Pick<EnvelopeHeader, 'type' | 'sender' | 'recipients' | 'thread' | 'time'>
}

export interface DecodedMessage {
  readonly fact: MessageFact
  /** The sealed share of a `safeguard/share` or `safeguard/release` (never part of a fact). */
  readonly sealed?: SealedShareBody
}

function fields (body: unknown, what: string, keys: readonly string[]): Fields {
  const r = asRecord(body, what, ['v', ...keys])
  if (r.v !== SAFEGUARD_VERSION) throw new UnsupportedVersionError(`${what} version ${describeValue(r.v)} is not supported (this node speaks ${SAFEGUARD_VERSION})`)
  return r
}

function readIndex (r: Fields, what: string): number {
  const i = readUint(r, 'index', what)
  if (i >= MAX_FIDUCIARIES) throw new MalformedError(`${what}.index must be below ${MAX_FIDUCIARIES}`)
  return i
}

function readList<T> (r: Fields, key: string, what: string, max: number, read: (v: unknown, at: string) => T): T[] {
  const v = r[key]
  if (!Array.isArray(v) || v.length > max) throw new MalformedError(`${what}.${key} must be a list of at most ${max}`)
  return v.map((x, i) => read(x, `${what}.${key}[${i}]`))
}

function readTerms (r: Fields, what: string): DepositTerms {
  const requesters = r.requesters
  if (typeof requesters !== 'string' || !(REQUESTERS as readonly string[]).includes(requesters)) throw new MalformedError(`${what}.requesters is not a valid value`)
  const label = r.label
  if (typeof label !== 'string') throw new MalformedError(`${what}.label must be a string`)
  return {
    beneficiary: readCid(r, 'beneficiary', what),
    fiduciaries: readList(r, 'fiduciaries', what, MAX_FIDUCIARIES, (v, at) => readCid({ v }, 'v', at)),
    threshold: readUint(r, 'threshold', what),
    size: readUint(r, 'size', what),
    salt: readBytes(r, 'salt', what, SALT_LENGTH),
    commitment: readBytes(r, 'commitment', what, COMMITMENT_LENGTH),
    shares: readList(r, 'shares', what, MAX_FIDUCIARIES, (v, at) => readBytes({ v }, 'v', at, COMMITMENT_LENGTH)),
    requesters: requesters as Requesters,
    delayMs: readUint(r, 'delayMs', what),
    approver: readCidOrNull(r, 'approver', what),
    label
  }
}

function readSealed (r: Fields, what: string): SealedShareBody {
  return {
    index: readIndex(r, what),
    enc: readBytes(r, 'enc', what, ENC_LENGTH),
    ct: readBytes(r, 'ct', what, { min: TAG_LENGTH + 33, max: TAG_LENGTH + shareLength(MAX_SECRET_BYTES, 2) })
  }
}

/** The header shape each type requires: `safeguard/deposit` opens a thread, every other message belongs to one; sealed shares go to one party alone. */
function checkShape (type: SafeguardMessageType, header: MessageEnvelope['header']): void {
  if (type === SAFEGUARD_MESSAGES.deposit) {
    if (header.thread !== null) throw new MalformedError('a safeguard/deposit envelope starts its own thread (thread must be null)')
  } else if (header.thread === null) {
    throw new MalformedError(`a ${type} envelope must name its deposit as thread`)
  }
  if ((type === SAFEGUARD_MESSAGES.share || type === SAFEGUARD_MESSAGES.release) && header.recipients.length !== 1) {
    throw new MalformedError(`a ${type} envelope is addressed to one party alone`)
  }
}

/** Validates the body of a safeguard envelope (see the file header) and returns the fact it establishes. */
export function decodeMessage (envelope: MessageEnvelope, body: unknown): DecodedMessage {
  const h = envelope.header
  const type = h.type
  if (!isSafeguardMessageType(type)) throw new MalformedError(`'${type}' is not a safeguard message type`)
  checkShape(type, h)
  const base = { deposit: h.thread ?? envelope.cid, envelope: envelope.cid, from: h.sender, time: h.time }
  const what = type
  switch (type) {
    case SAFEGUARD_MESSAGES.deposit: {
      const r = fields(body, what, ['beneficiary', 'fiduciaries', 'threshold', 'size', 'salt', 'commitment', 'shares', 'requesters', 'delayMs', 'approver', 'label'])
      const terms = readTerms(r, what)
      checkTerms(h.sender, terms)
      const expected = depositRecipients(h.sender, terms)
      if (expected.length !== h.recipients.length || expected.some((c) => !h.recipients.some((r) => r.equals(c)))) {
        throw new MalformedError('a safeguard/deposit envelope goes to exactly its fiduciaries, beneficiary and approver')
      }
      return { fact: { kind: SAFEGUARD_FACTS.deposit, ...base, ...terms, handles: null } }
    }
    case SAFEGUARD_MESSAGES.accept: {
      const r = fields(body, what, ['index', 'key'])
      return { fact: { kind: SAFEGUARD_FACTS.accept, ...base, index: readIndex(r, what), key: readBytes(r, 'key', what, TRANSFER_KEY_LENGTH), handle: null } }
    }
    case SAFEGUARD_MESSAGES.share: {
      const sealed = readSealed(fields(body, what, ['index', 'enc', 'ct']), what)
      return { fact: { kind: SAFEGUARD_FACTS.share, ...base, index: sealed.index, handle: null }, sealed }
    }
    case SAFEGUARD_MESSAGES.held:
      return { fact: { kind: SAFEGUARD_FACTS.held, ...base, index: readIndex(fields(body, what, ['index']), what) } }
    case SAFEGUARD_MESSAGES.releaseRequest: {
      const r = fields(body, what, ['beneficiary'])
      return { fact: { kind: SAFEGUARD_FACTS.releaseRequest, ...base, beneficiary: readCid(r, 'beneficiary', what), received: h.time } }
    }
    case SAFEGUARD_MESSAGES.approve:
      fields(body, what, [])
      return { fact: { kind: SAFEGUARD_FACTS.approve, ...base } }
    case SAFEGUARD_MESSAGES.release: {
      const sealed = readSealed(fields(body, what, ['index', 'enc', 'ct']), what)
      const beneficiary = h.recipients[0] as CID // checkShape: exactly one recipient
      return { fact: { kind: SAFEGUARD_FACTS.release, ...base, index: sealed.index, beneficiary, handle: null }, sealed }
    }
    case SAFEGUARD_MESSAGES.released: {
      const r = fields(body, what, ['index', 'beneficiary', 'release'])
      return { fact: { kind: SAFEGUARD_FACTS.released, ...base, index: readIndex(r, what), beneficiary: readCid(r, 'beneficiary', what), release: readCid(r, 'release', what) } }
    }
    case SAFEGUARD_MESSAGES.revoke:
      fields(body, what, [])
      return { fact: { kind: SAFEGUARD_FACTS.revoke, ...base } }
    case SAFEGUARD_MESSAGES.destroyed:
      return { fact: { kind: SAFEGUARD_FACTS.destroyed, ...base, index: readIndex(fields(body, what, ['index']), what) } }
  }
}
