// Encrypted envelopes: how one node says something to one or more others.
//
// Format (v1; field by field in docs/PROTOCOL.md). A canonical DAG-CBOR map:
//   header in clear — v, sender (identity CID), recipients (identity CIDs, 1..MAX_RECIPIENTS, no
//   duplicates), type, thread (CID|null), prev (CIDs of envelopes this answers), time (ms), the
//   sender's Lamport clock, a 16-byte random nonce, aead (RFC 9180 AEAD id);
//   keys — per recipient, in recipients' order: HPKE base-mode enc ‖ HPKE ciphertext of the content key;
//   ct — the body (DAG-CBOR) sealed once with the AEAD under a fresh 32-byte content key;
//   sig — the sender's Ed25519 signature over everything above.
//
// What is bound to what:
//   - The body AEAD's associated data is the canonical header bytes, so a body cannot be moved
//     under another header (sender, recipients, type, links, time).
//   - Each wrapped key is HPKE-sealed to that recipient's X25519 key with info
//     'milagro/envelope/v1 content-key' and aad = SHA-256(header) ‖ recipient CID bytes, so a key
//     slot cannot be moved to another envelope or another recipient.
//   - The signature covers every byte except itself (context 'milagro/envelope/v1'), so a
//     third party can check authorship and integrity without being able to decrypt.
// The content key is fresh per envelope and used for one AEAD call, so a fixed zero nonce is safe.
//
// Not covered here: replay (a node keeps the CIDs it has accepted; see node/), whether the sender
// is entitled to send this type (reducers), and freshness of `time` (policy of the receiver).
import {
  aeadOpen, aeadSeal, concatBytes, DecryptionError, ED25519_SIGNATURE_LENGTH, hpkeOpen, hpkeSeal, InvalidSignatureError,
  randomBytes, sha256, verify, wipe, type AeadId, type RecipientKey, type Signer
} from '../crypto/index.ts'
import {
  asRecord, CID, checkCid, cidOf, decodeCanonical, describeValue, encode, readBytes, readCidOrNull, readString, readUint, signingMessage
} from './codec.ts'
import {
  DuplicateRecipientError, IdentityMismatchError, MalformedError, NotARecipientError, OversizedError, UnsupportedVersionError
} from './errors.ts'
import type { VerifiedIdentity } from './identity.ts'

export const ENVELOPE_VERSION = 1
/** Largest envelope a node accepts, in bytes. */
export const MAX_ENVELOPE_BYTES = 1024 * 1024
/** Largest body (encoded DAG-CBOR) a node seals. */
export const MAX_BODY_BYTES = 768 * 1024
export const MAX_RECIPIENTS = 64
export const MAX_PREV_LINKS = 16
export const ENVELOPE_SIGNATURE_CONTEXT = 'milagro/envelope/v1'
export const CONTENT_KEY_INFO = new TextEncoder().encode('milagro/envelope/v1 content-key')
const NONCE_LENGTH = 16
const CONTENT_KEY_LENGTH = 32
const KEY_SLOT_LENGTH = 32 + CONTENT_KEY_LENGTH + 16 // enc ‖ sealed content key ‖ tag
const BODY_NONCE = new Uint8Array(12)
const TYPE_PATTERN = /^[a-z][a-z0-9-]*(\/[a-z0-9][a-z0-9.-]*)*$/
const TYPE_MAX = 64

/** RFC 9180 AEAD identifiers usable for envelopes. */
export const AEAD_IDS: Readonly<Record<number, AeadId>> = { 2: 'aes-256-gcm', 3: 'chacha20-poly1305' }
export const DEFAULT_AEAD = 2

export interface EnvelopeHeader {
  readonly v: typeof ENVELOPE_VERSION
  readonly sender: CID
  readonly recipients: readonly CID[]
  readonly type: string
  readonly thread: CID | null
  readonly prev: readonly CID[]
  readonly time: number
  /** The sender's Lamport clock when it sealed (its log's clock); receivers advance past it. */
  readonly clock: number
  readonly nonce: Uint8Array
  readonly aead: number
}

/** A structurally valid envelope whose signature has not been checked yet. */
export interface DecodedEnvelope {
  readonly cid: CID
  readonly bytes: Uint8Array
  readonly header: EnvelopeHeader
  readonly headerBytes: Uint8Array
  readonly keys: readonly Uint8Array[]
  readonly ct: Uint8Array
  readonly sig: Uint8Array
}

export interface OpenedEnvelope {
  readonly cid: CID
  readonly header: EnvelopeHeader
  readonly body: unknown
}

export interface EnvelopeSender {
  readonly identity: VerifiedIdentity
  readonly signer: Signer
}

export interface EnvelopeRecipientKey {
  readonly identity: CID
  /** Raw X25519 secret, or one imported once with `importRecipientKey` (faster on hot paths). */
  readonly encryptionSecretKey: Uint8Array | RecipientKey
}

export interface SealOptions {
  readonly thread?: CID | null
  readonly prev?: readonly CID[]
  /** Milliseconds since the epoch; the caller's clock read, recorded in the header. */
  readonly time?: number
  /** The sender's Lamport clock (default 0). */
  readonly clock?: number
  readonly aead?: number
  /** Source of randomness; injectable only so golden vectors are reproducible. */
  readonly random?: (length: number) => Uint8Array
}

function headerValue (h: EnvelopeHeader): Record<string, unknown> {
  return { v: h.v, sender: h.sender, recipients: h.recipients, type: h.type, thread: h.thread, prev: h.prev, time: h.time, clock: h.clock, nonce: h.nonce, aead: h.aead }
}

function keyAad (headerBytes: Uint8Array, recipient: CID): Uint8Array {
  return concatBytes(sha256(headerBytes), recipient.bytes)
}

/** Seals `body` (any DAG-CBOR value) from `sender` to every identity in `recipients`. */
export function seal (
  sender: EnvelopeSender,
  recipients: readonly VerifiedIdentity[],
  type: string,
  body: unknown,
  options: SealOptions = {}
): DecodedEnvelope {
  const random = options.random ?? randomBytes
  if (recipients.length === 0 || recipients.length > MAX_RECIPIENTS) throw new RangeError(`an envelope has 1..${MAX_RECIPIENTS} recipients`)
  const seen = new Set<string>()
  for (const r of recipients) {
    const id = r.cid.toString()
    if (seen.has(id)) throw new DuplicateRecipientError(`recipient ${id} is named twice`)
    seen.add(id)
  }
  if (!TYPE_PATTERN.test(type) || type.length > TYPE_MAX) throw new RangeError(`invalid message type '${type}'`)
  const prev = options.prev ?? []
  if (options.clock !== undefined && (!Number.isSafeInteger(options.clock) || options.clock < 0)) throw new RangeError('clock must be a non-negative safe integer')
  if (prev.length > MAX_PREV_LINKS) throw new RangeError(`at most ${MAX_PREV_LINKS} prev links`)
  const aead = options.aead ?? DEFAULT_AEAD
  const aeadId = AEAD_IDS[aead]
  if (aeadId === undefined) throw new RangeError(`unsupported AEAD id ${aead}`)
  const plaintext = encode(body)
  if (plaintext.length > MAX_BODY_BYTES) throw new OversizedError(`body is ${plaintext.length} bytes, over the limit of ${MAX_BODY_BYTES}`)

  const header: EnvelopeHeader = {
    v: ENVELOPE_VERSION,
    sender: sender.identity.cid,
    recipients: recipients.map((r) => r.cid),
    type,
    thread: options.thread ?? null,
    prev: [...prev],
    time: options.time ?? Date.now(),
    clock: options.clock ?? 0,
    nonce: random(NONCE_LENGTH),
    aead
  }
  const headerBytes = encode(headerValue(header))
  const contentKey = random(CONTENT_KEY_LENGTH)
  try {
    const ct = aeadSeal(aeadId, contentKey, BODY_NONCE, plaintext, headerBytes)
    const keys = recipients.map((r) => {
      // The ephemeral key: OpenSSL's key generation, or DeriveKeyPair(ikm) from an injected
      // source (golden vectors) — the latter costs an HKDF and a PKCS#8 import more.
      const { enc, ciphertext } = hpkeSeal({ aead: aeadId }, r.doc.encryptionKey, CONTENT_KEY_INFO, keyAad(headerBytes, r.cid), contentKey, options.random === undefined ? {} : { ikmE: random(32) })
      return concatBytes(enc, ciphertext)
    })
    const unsigned = { ...headerValue(header), keys, ct }
    const unsignedBytes = encode(unsigned)
    const sig = sender.signer.sign(concatBytes(SIGNATURE_PREFIX, unsignedBytes))
    const bytes = withSignature(unsignedBytes, ct.length, sig) ?? encode({ ...unsigned, sig })
    if (bytes.length > MAX_ENVELOPE_BYTES) throw new OversizedError(`envelope is ${bytes.length} bytes, over the limit of ${MAX_ENVELOPE_BYTES}`)
    return faithful({ cid: cidOf(bytes), bytes, header, headerBytes, keys, ct, sig })
  } finally {
    wipe(contentKey)
  }
}

/** Parses an envelope's structure and limits (no signature check, no decryption). */
export function decodeEnvelope (bytes: Uint8Array): DecodedEnvelope {
  const what = 'envelope'
  const value = decodeCanonical(bytes, what, MAX_ENVELOPE_BYTES)
  const r = asRecord(value, what, ['v', 'sender', 'recipients', 'type', 'thread', 'prev', 'time', 'clock', 'nonce', 'aead', 'keys', 'ct', 'sig'])
  if (r.v !== ENVELOPE_VERSION) throw new UnsupportedVersionError(`${what} version ${describeValue(r.v)} is not supported (this node speaks ${ENVELOPE_VERSION})`)
  const recipients = readCidList(r.recipients, `${what}.recipients`, 1, MAX_RECIPIENTS)
  const seen = new Set<string>()
  for (const c of recipients) {
    const id = c.toString()
    if (seen.has(id)) throw new DuplicateRecipientError(`${what} names recipient ${id} twice`)
    seen.add(id)
  }
  const aead = readUint(r, 'aead', what)
  if (AEAD_IDS[aead] === undefined) throw new MalformedError(`${what}.aead ${aead} is not a supported AEAD`)
  const sender = CID.asCID(r.sender)
  if (sender === null) throw new MalformedError(`${what}.sender must be a CID link`)
  const header: EnvelopeHeader = {
    v: ENVELOPE_VERSION,
    sender: checkCid(sender, `${what}.sender`),
    recipients,
    type: readString(r, 'type', what, TYPE_PATTERN, TYPE_MAX),
    thread: readCidOrNull(r, 'thread', what),
    prev: readCidList(r.prev, `${what}.prev`, 0, MAX_PREV_LINKS),
    time: readUint(r, 'time', what),
    clock: readUint(r, 'clock', what),
    nonce: readBytes(r, 'nonce', what, NONCE_LENGTH),
    aead
  }
  if (!Array.isArray(r.keys) || r.keys.length !== recipients.length) throw new MalformedError(`${what}.keys must hold one key slot per recipient`)
  const keys = r.keys.map((k, i) => {
    if (!(k instanceof Uint8Array) || k.length !== KEY_SLOT_LENGTH) throw new MalformedError(`${what}.keys[${i}] must be ${KEY_SLOT_LENGTH} bytes`)
    return k
  })
  const ct = readBytes(r, 'ct', what, { min: 16, max: MAX_ENVELOPE_BYTES })
  const sig = readBytes(r, 'sig', what, ED25519_SIGNATURE_LENGTH)
  return faithful({ cid: cidOf(bytes), bytes, header, headerBytes: encode(headerValue(header)), keys, ct, sig })
}

function readCidList (value: unknown, what: string, min: number, max: number): CID[] {
  if (!Array.isArray(value)) throw new MalformedError(`${what} must be a list of CID links`)
  if (value.length < min || value.length > max) throw new MalformedError(`${what} must hold ${min}..${max} links, got ${value.length}`)
  return value.map((v, i) => {
    const c = CID.asCID(v)
    if (c === null) throw new MalformedError(`${what}[${i}] must be a CID link`)
    return checkCid(c, `${what}[${i}]`)
  })
}

function asDecoded (envelope: DecodedEnvelope | Uint8Array): DecodedEnvelope {
  return envelope instanceof Uint8Array ? decodeEnvelope(envelope) : envelope
}

/** The exact bytes the sender's signature covers (for batch verification off the main thread). */
export function envelopeSigningMessage (e: DecodedEnvelope): Uint8Array {
  return (FAITHFUL.has(e) ? withoutSignature(e.bytes, e.ct, e.sig) : undefined) ?? signingMessage(ENVELOPE_SIGNATURE_CONTEXT, { ...headerValue(e.header), keys: e.keys, ct: e.ct })
}

// Envelopes whose fields are exactly those of their bytes: built by `seal` or `decodeEnvelope`, and
// frozen (the object, its header and their lists). Only for them is the signed message cut from the bytes; an
// envelope object put together otherwise (fields spread over another's bytes) is verified on the
// fields it carries, by encoding them.
const FAITHFUL = new WeakSet<DecodedEnvelope>()

function faithful (e: DecodedEnvelope): DecodedEnvelope {
  Object.freeze(e.header.recipients)
  Object.freeze(e.header.prev)
  Object.freeze(e.header)
  Object.freeze(e.keys)
  Object.freeze(e)
  FAITHFUL.add(e)
  return e
}

// The signed envelope and the map the signature covers differ by one entry. In canonical DAG-CBOR
// map keys sort by length, then bytewise: v, ct, sig, aead, keys, prev, time, type, clock, nonce,
// sender, thread, recipients — so `sig` (70 bytes: 63 's' 'i' 'g' 58 40 ‖ 64 bytes) sits right
// after `ct`, and the map header is one byte either way (0xac: 12 entries, 0xad: 13). Cutting the
// entry out of received bytes (or splicing it into the sealed ones) gives exactly what encoding the
// map again would, without encoding a whole envelope once more per signature made or checked.
// Both functions check the layout they rely on and answer undefined otherwise (callers encode).
const SIGNATURE_PREFIX = concatBytes(new TextEncoder().encode(ENVELOPE_SIGNATURE_CONTEXT), new Uint8Array(1))
const SIG_ENTRY_HEAD = Uint8Array.of(0x63, 0x73, 0x69, 0x67, 0x58, 0x40)
const SIG_ENTRY_LENGTH = SIG_ENTRY_HEAD.length + ED25519_SIGNATURE_LENGTH

/** Offset of the `sig` entry in an envelope map whose `ct` is `ctLength` bytes: after the map header, `v` and `ct`. */
function sigOffset (ctLength: number): number {
  const head = ctLength < 24 ? 1 : ctLength < 0x100 ? 2 : ctLength < 0x10000 ? 3 : 5
  return 1 + 3 + 3 + head + ctLength // header, 61 'v' <v>, 62 'c' 't', byte-string head, ct
}

function hasEnvelopePrefix (bytes: Uint8Array, mapHeader: number): boolean {
  return bytes[0] === mapHeader && bytes[1] === 0x61 && bytes[2] === 0x76 && bytes[3] === ENVELOPE_VERSION && bytes[4] === 0x62 && bytes[5] === 0x63 && bytes[6] === 0x74
}

/** `context ‖ 0x00 ‖ the envelope's bytes without its sig entry`, or undefined if `bytes` are not laid out as expected. */
function withoutSignature (bytes: Uint8Array, ct: Uint8Array, sig: Uint8Array): Uint8Array | undefined {
  const at = sigOffset(ct.length)
  if (!hasEnvelopePrefix(bytes, 0xad) || bytes.length < at + SIG_ENTRY_LENGTH) return undefined
  for (let i = 0; i < SIG_ENTRY_HEAD.length; i++) if (bytes[at + i] !== SIG_ENTRY_HEAD[i]) return undefined
  for (let i = 0; i < ED25519_SIGNATURE_LENGTH; i++) if (bytes[at + SIG_ENTRY_HEAD.length + i] !== sig[i]) return undefined
  const out = new Uint8Array(SIGNATURE_PREFIX.length + bytes.length - SIG_ENTRY_LENGTH)
  out.set(SIGNATURE_PREFIX, 0)
  let o = SIGNATURE_PREFIX.length
  out[o] = 0xac
  out.set(bytes.subarray(1, at), o + 1)
  o += at
  out.set(bytes.subarray(at + SIG_ENTRY_LENGTH), o)
  return out
}

/** The signed envelope's bytes from the unsigned map's, or undefined if those are not laid out as expected. */
function withSignature (unsigned: Uint8Array, ctLength: number, sig: Uint8Array): Uint8Array | undefined {
  const at = sigOffset(ctLength)
  if (!hasEnvelopePrefix(unsigned, 0xac) || unsigned.length < at || sig.length !== ED25519_SIGNATURE_LENGTH) return undefined
  const out = new Uint8Array(unsigned.length + SIG_ENTRY_LENGTH)
  out[0] = 0xad
  out.set(unsigned.subarray(1, at), 1)
  out.set(SIG_ENTRY_HEAD, at)
  out.set(sig, at + SIG_ENTRY_HEAD.length)
  out.set(unsigned.subarray(at), at + SIG_ENTRY_LENGTH)
  return out
}

/**
 * Checks that `sender` is the identity the header names and that its key signed every byte.
 * Anyone can do this; no secret is needed.
 */
export function verifyEnvelope (envelope: DecodedEnvelope | Uint8Array, sender: VerifiedIdentity): DecodedEnvelope {
  const e = asDecoded(envelope)
  if (!e.header.sender.equals(sender.cid)) {
    throw new IdentityMismatchError(`envelope ${e.cid.toString()} is from ${String(e.header.sender)}, not ${String(sender.cid)}`)
  }
  const message = envelopeSigningMessage(e)
  const id = verifiedId(sender.doc.signingKey, e.sig, message)
  if (verified.has(id)) return e
  if (!verify(sender.doc.signingKey, message, e.sig)) {
    throw new InvalidSignatureError(`envelope ${e.cid.toString()} signature does not verify`)
  }
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.values().next().value as string)
  verified.add(id)
  return e
}

// Signatures that verified, by SHA-256(key ‖ signature ‖ signed bytes): a received envelope is
// verified when it arrives and again when a service opens it; the second time costs a hash
// instead of an Ed25519 verification. Only successes are kept (verification is deterministic,
// so the same triple verifies again); bounded, oldest out.
const VERIFIED_MAX = 8192
const verified = new Set<string>()

function verifiedId (signingKey: Uint8Array, sig: Uint8Array, message: Uint8Array): string {
  const d = sha256(signingKey, sig, message)
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('latin1')
}

/** Verifies, then decrypts as `recipient`. Throws NotARecipientError if it is not addressed to it. */
export function openEnvelope (
  envelope: DecodedEnvelope | Uint8Array,
  sender: VerifiedIdentity,
  recipient: EnvelopeRecipientKey
): OpenedEnvelope {
  const e = verifyEnvelope(envelope, sender)
  const index = e.header.recipients.findIndex((c) => c.equals(recipient.identity))
  if (index < 0) throw new NotARecipientError(`envelope ${e.cid.toString()} is not addressed to ${recipient.identity.toString()}`)
  const aeadId = AEAD_IDS[e.header.aead] as AeadId
  const slot = e.keys[index] as Uint8Array
  let contentKey: Uint8Array | undefined
  try {
    contentKey = hpkeOpen({ aead: aeadId }, recipient.encryptionSecretKey, slot.subarray(0, 32), CONTENT_KEY_INFO, keyAad(e.headerBytes, recipient.identity), slot.subarray(32))
    const plaintext = aeadOpen(aeadId, contentKey, BODY_NONCE, e.ct, e.headerBytes)
    let body: unknown
    try {
      body = decodeCanonical(plaintext, 'envelope body', MAX_BODY_BYTES)
    } catch (err) {
      throw new MalformedError(`envelope ${e.cid.toString()} body is not canonical DAG-CBOR`, { cause: err })
    }
    return { cid: e.cid, header: e.header, body }
  } catch (err) {
    if ((err as Error).name === 'DecryptionError' || (err as Error).name === 'MalformedError') throw err
    throw new DecryptionError(`envelope ${e.cid.toString()} cannot be decrypted with this key`, { cause: err })
  } finally {
    if (contentKey != null) wipe(contentKey)
  }
}
