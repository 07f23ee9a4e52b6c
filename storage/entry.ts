// Log entries: schema, canonical encoding, CIDs and signatures (docs/PROTOCOL.md, "Log entries").
//
// An entry is a canonical DAG-CBOR map `{ v, seq, prev, clock, time, kind, body | link, author }`,
// plus `sig` on the entries that carry a signature. Its CID is CIDv1 dag-cbor sha2-256 of the whole
// block, `sig` included. A signature is Ed25519 by the author's identity key over
//   utf8('milagro/log-entry/v1') ‖ 0x00 ‖ canonical DAG-CBOR of the map without `sig`.
// Because `prev` is the CID of the previous block, a signature on entry n commits to entries 0..n:
// the log signs the last entry of each group commit (see log.ts), and every entry is covered by the
// first signature at or after it. Verifying that chain is replay's job (replay.ts); this file
// checks one block: canonical bytes, exact fields, value ranges, the hash against an expected CID.
//
// Guarantees: `decodeEntry` accepts only canonical bytes of a known version under MAX_ENTRY_BYTES
// with exactly the documented fields, and throws MalformedEntryError otherwise. It does not check
// signatures or the chain.
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { concatBytes, ED25519_SIGNATURE_LENGTH, equalBytes, sha256 } from '../crypto/index.ts'
import { isCanonical } from '../protocol/codec.ts'
import { MalformedEntryError } from './errors.ts'
import { LOG_KIND_MAX, LOG_KIND_PATTERN, LOG_KINDS, type IpldValue, type LogEntry } from './types.ts'

export const LOG_ENTRY_VERSION = 1
export const LOG_ENTRY_SIGNATURE_CONTEXT = 'milagro/log-entry/v1'
/** Largest entry block, in bytes. Large payloads (envelopes) are blocks of their own, linked. */
export const MAX_ENTRY_BYTES = 64 * 1024
export const DAG_CBOR_CODE = dagCbor.code
export const SHA2_256_CODE = 0x12

/** The signed fields of an entry (no `cid`, no `sig`). */
export interface EntryFields {
  readonly v: typeof LOG_ENTRY_VERSION
  readonly seq: number
  readonly prev: CID | null
  readonly clock: number
  readonly time: number
  readonly kind: string
  readonly body?: IpldValue
  readonly link?: CID
  readonly author: CID
}

/** An entry with its block: what the log stores and replay verifies. */
export interface StoredEntry extends LogEntry {
  readonly sig?: Uint8Array
  readonly bytes: Uint8Array
}

const CONTEXT_PREFIX = concatBytes(new TextEncoder().encode(LOG_ENTRY_SIGNATURE_CONTEXT), new Uint8Array(1))
const KEYS = new Set(['v', 'seq', 'prev', 'clock', 'time', 'kind', 'body', 'link', 'author', 'sig'])

export function cidOfBlock (bytes: Uint8Array): CID {
  return CID.createV1(DAG_CBOR_CODE, Digest.create(SHA2_256_CODE, sha256(bytes)))
}

/** True when `bytes` hash to `cid` (which must be a sha2-256 CID). */
export function blockMatches (cid: CID, bytes: Uint8Array): boolean {
  return cid.multihash.code === SHA2_256_CODE && equalBytes(cid.multihash.digest, sha256(bytes))
}

/** Links in entries (author, prev, link, checkpoint state) are CIDv1 dag-cbor sha2-256. */
export function isEntryLink (cid: CID): boolean {
  return cid.version === 1 && cid.code === DAG_CBOR_CODE && cid.multihash.code === SHA2_256_CODE && cid.multihash.size === 32
}

function unsignedMap (f: EntryFields): Record<string, unknown> {
  const m: Record<string, unknown> = { v: f.v, seq: f.seq, prev: f.prev, clock: f.clock, time: f.time, kind: f.kind, author: f.author }
  if (f.body !== undefined) m.body = f.body
  if (f.link !== undefined) m.link = f.link
  return m
}

/** The exact bytes a signature over this entry covers. */
export function signingMessage (fields: EntryFields): Uint8Array {
  return concatBytes(CONTEXT_PREFIX, dagCbor.encode(unsignedMap(fields)))
}

/** Encodes an entry (signed when `sig` is given) into its block. Checks the fields first. */
export function encodeEntry (fields: EntryFields, sig?: Uint8Array): StoredEntry {
  checkFields(fields as unknown as Readonly<Record<string, unknown>>, (m) => new TypeError(m))
  if (sig !== undefined && (!(sig instanceof Uint8Array) || sig.length !== ED25519_SIGNATURE_LENGTH)) {
    throw new TypeError(`a log entry signature must be ${ED25519_SIGNATURE_LENGTH} bytes`)
  }
  const map = unsignedMap(fields)
  if (sig !== undefined) map.sig = sig
  const bytes = dagCbor.encode(map)
  if (bytes.length > MAX_ENTRY_BYTES) throw new RangeError(`log entry is ${bytes.length} bytes, over the limit of ${MAX_ENTRY_BYTES}`)
  return { ...fields, ...(sig !== undefined ? { sig } : {}), bytes, cid: cidOfBlock(bytes) }
}

/**
 * Parses a block into an entry. With `expected`, the bytes must hash to it (its `cid` is then
 * `expected`, saving a second hash). Throws MalformedEntryError.
 */
export function decodeEntry (bytes: Uint8Array, expected?: CID): StoredEntry {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeEntry: expected a Uint8Array')
  if (bytes.length > MAX_ENTRY_BYTES) throw new MalformedEntryError(`log entry is ${bytes.length} bytes, over the limit of ${MAX_ENTRY_BYTES}`)
  let cid: CID
  if (expected === undefined) cid = cidOfBlock(bytes)
  else if (blockMatches(expected, bytes)) cid = expected
  else throw new MalformedEntryError(`block does not hash to ${expected.toString()}`)
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new MalformedEntryError(`log entry is not valid DAG-CBOR: ${(err as Error).message}`, { cause: err })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || CID.asCID(value) !== null) {
    throw new MalformedEntryError('log entry must be a map')
  }
  const r = value as Record<string, unknown>
  for (const k of Object.keys(r)) if (!KEYS.has(k)) throw new MalformedEntryError(`log entry has an unknown field '${k}'`)
  if (r.v !== LOG_ENTRY_VERSION) throw new MalformedEntryError(`log entry version ${typeof r.v === 'number' ? r.v : typeof r.v} is not supported (this node reads ${LOG_ENTRY_VERSION})`)
  const fields = checkFields(r, (m) => new MalformedEntryError(m))
  let sig: Uint8Array | undefined
  if ('sig' in r) {
    if (!(r.sig instanceof Uint8Array) || r.sig.length !== ED25519_SIGNATURE_LENGTH) throw new MalformedEntryError(`log entry sig must be ${ED25519_SIGNATURE_LENGTH} bytes`)
    sig = r.sig
  }
  if (!isCanonical(bytes, value)) throw new MalformedEntryError('log entry is not in canonical DAG-CBOR form')
  return { ...fields, ...(sig !== undefined ? { sig } : {}), bytes, cid }
}

/** Validates the fields of an entry (created locally or decoded); `fail` builds the error to throw. */
export function checkFields (r: Readonly<Record<string, unknown>>, fail: (message: string) => Error): EntryFields {
  const uint = (k: string): number => {
    const v = r[k]
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw fail(`log entry ${k} must be a non-negative safe integer`)
    return v
  }
  const link = (k: string): CID => {
    const c = CID.asCID(r[k])
    if (c === null || !isEntryLink(c)) throw fail(`log entry ${k} must be a CIDv1 dag-cbor sha2-256 link`)
    return c
  }
  if (r.v !== LOG_ENTRY_VERSION) throw fail(`log entry v must be ${LOG_ENTRY_VERSION}`)
  const seq = uint('seq')
  const clock = uint('clock')
  const time = uint('time')
  if (clock < 1) throw fail('log entry clock must be at least 1')
  const prev = r.prev === null ? null : link('prev')
  if ((seq === 0) !== (prev === null)) throw fail(seq === 0 ? 'the genesis entry (seq 0) must have prev null' : 'only the genesis entry may have prev null')
  const kind = r.kind
  if (typeof kind !== 'string' || kind.length > LOG_KIND_MAX || !LOG_KIND_PATTERN.test(kind)) throw fail('log entry kind is not a valid kind')
  const author = link('author')
  const hasBody = r.body !== undefined
  const hasLink = r.link !== undefined
  if (hasBody === hasLink) throw fail('log entry must have exactly one of body and link')
  const base = { v: LOG_ENTRY_VERSION, seq, prev, clock, time, kind, author } as const
  if (hasLink) {
    if (kind === LOG_KINDS.keyEvent || kind === LOG_KINDS.checkpoint) throw fail(`a ${kind} entry carries a body, not a link`)
    return { ...base, link: link('link') }
  }
  if (kind === LOG_KINDS.envelopeSent || kind === LOG_KINDS.envelopeReceived) throw fail(`an ${kind} entry carries a link to the envelope, not a body`)
  const body = r.body as IpldValue
  if (kind === LOG_KINDS.checkpoint) checkCheckpointBody(body, fail)
  if (kind === LOG_KINDS.keyEvent && (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof Uint8Array || CID.asCID(body) !== null)) {
    throw fail('a key.event body must be a map')
  }
  return { ...base, body }
}

/** Body of a checkpoint marker: the CID of the reduced state's DAG-CBOR bytes and the state version. */
export interface CheckpointBody {
  readonly state: CID
  readonly version: number
}

function checkCheckpointBody (body: IpldValue, fail: (message: string) => Error): CheckpointBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof Uint8Array || CID.asCID(body) !== null) {
    throw fail('a checkpoint body must be a map { state, version }')
  }
  const b = body as Readonly<Record<string, IpldValue>>
  const keys = Object.keys(b)
  if (keys.length !== 2 || !('state' in b) || !('version' in b)) throw fail('a checkpoint body must be exactly { state, version }')
  const state = CID.asCID(b.state)
  if (state === null || !isEntryLink(state)) throw fail('a checkpoint body state must be a CIDv1 dag-cbor sha2-256 link')
  if (typeof b.version !== 'number' || !Number.isSafeInteger(b.version) || b.version < 0) throw fail('a checkpoint body version must be a non-negative integer')
  return { state, version: b.version }
}

/** The checkpoint body of a checkpoint entry (already validated by decode/encode). */
export function checkpointBody (entry: LogEntry): CheckpointBody {
  return checkCheckpointBody(entry.body ?? null, (m) => new MalformedEntryError(m))
}
