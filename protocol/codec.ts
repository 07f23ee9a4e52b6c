// Canonical DAG-CBOR encoding and CIDs (CIDv1, sha2-256) for every signed structure.
//
// `decodeCanonical` accepts only bytes that are exactly what `encode` would produce for the value
// they decode to: dag-cbor's strict decoder plus the byte-level canonical check of canonical.ts
// (falling back to a re-encode-and-compare for the strings it leaves undecided). So a structure
// has one byte representation, one CID, and signatures over "the canonical bytes" are unambiguous.
// Signatures are domain-separated: the signed message is `context ‖ 0x00 ‖ canonical bytes`,
// so a signature made for one structure can never be replayed as another.
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { concatBytes, equalBytes, sha256 } from '../crypto/index.ts'
import { canonicalForm } from './canonical.ts'
import { MalformedError, OversizedError } from './errors.ts'

export { CID }

export const DAG_CBOR_CODE = dagCbor.code
export const SHA2_256_CODE = 0x12

export function encode (value: unknown): Uint8Array {
  return dagCbor.encode(value)
}

export function decodeCanonical (bytes: Uint8Array, what: string, maxBytes: number): unknown {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what}: expected a Uint8Array`)
  if (bytes.length > maxBytes) throw new OversizedError(`${what} is ${bytes.length} bytes, over the limit of ${maxBytes}`)
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new MalformedError(`${what} is not valid DAG-CBOR: ${(err as Error).message}`, { cause: err })
  }
  if (!isCanonical(bytes, value)) throw new MalformedError(`${what} is not in canonical DAG-CBOR form`)
  return value
}

/** Whether `bytes`, which decode to `value`, are exactly what `encode(value)` writes. */
export function isCanonical (bytes: Uint8Array, value: unknown): boolean {
  const form = canonicalForm(bytes)
  if (form !== 'unsure') return form === 'canonical'
  try {
    return equalBytes(dagCbor.encode(value), bytes)
  } catch {
    return false // a decoded value the encoder refuses cannot have come from it
  }
}

export function cidOf (bytes: Uint8Array): CID {
  return CID.createV1(DAG_CBOR_CODE, Digest.create(SHA2_256_CODE, sha256(bytes)))
}

const encoder = new TextEncoder()

/** The bytes a signature covers: `context ‖ 0x00 ‖ canonical DAG-CBOR of value`. */
export function signingMessage (context: string, value: unknown): Uint8Array {
  return concatBytes(encoder.encode(context), new Uint8Array(1), encode(value))
}

/**
 * A short rendering of an untrusted decoded value for an error message. `String(v)` is not safe on
 * decoded DAG-CBOR: it throws TypeError on a map with a `toString` key (or no usable prototype).
 */
export function describeValue (v: unknown): string {
  switch (typeof v) {
    case 'number': case 'bigint': case 'boolean': return String(v)
    case 'string': return JSON.stringify(v.length > 32 ? `${v.slice(0, 32)}…` : v)
    default:
      if (v === null) return 'null'
      if (v instanceof Uint8Array) return `${v.length} bytes`
      if (Array.isArray(v)) return 'a list'
      return CID.asCID(v) !== null ? 'a CID' : 'a map'
  }
}

// ---- field readers for decoders: each throws MalformedError naming the field ----

export type Fields = Readonly<Record<string, unknown>>

export function asRecord (value: unknown, what: string, keys: readonly string[], optional: readonly string[] = []): Fields {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || CID.asCID(value) !== null) {
    throw new MalformedError(`${what} must be a map`)
  }
  const record = value as Fields
  for (const k of Object.keys(record)) {
    if (!keys.includes(k) && !optional.includes(k)) throw new MalformedError(`${what} has an unknown field '${k}'`)
  }
  for (const k of keys) {
    if (!(k in record)) throw new MalformedError(`${what} lacks the field '${k}'`)
  }
  return record
}

export function readBytes (r: Fields, key: string, what: string, length?: { min: number, max: number } | number): Uint8Array {
  const v = r[key]
  if (!(v instanceof Uint8Array)) throw new MalformedError(`${what}.${key} must be bytes`)
  if (typeof length === 'number' && v.length !== length) throw new MalformedError(`${what}.${key} must be ${length} bytes, got ${v.length}`)
  if (typeof length === 'object' && (v.length < length.min || v.length > length.max)) {
    throw new MalformedError(`${what}.${key} must be ${length.min}..${length.max} bytes, got ${v.length}`)
  }
  return v
}

export function readString (r: Fields, key: string, what: string, pattern: RegExp, maxLength: number): string {
  const v = r[key]
  if (typeof v !== 'string') throw new MalformedError(`${what}.${key} must be a string`)
  if (v.length === 0 || v.length > maxLength || !pattern.test(v)) throw new MalformedError(`${what}.${key} is not a valid value`)
  return v
}

export function readUint (r: Fields, key: string, what: string): number {
  const v = r[key]
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new MalformedError(`${what}.${key} must be a non-negative integer`)
  return v
}

export function readCid (r: Fields, key: string, what: string): CID {
  const v = CID.asCID(r[key])
  if (v === null) throw new MalformedError(`${what}.${key} must be a CID link`)
  return checkCid(v, `${what}.${key}`)
}

export function readCidOrNull (r: Fields, key: string, what: string): CID | null {
  return r[key] === null ? null : readCid(r, key, what)
}

/** Links to our structures are CIDv1 dag-cbor sha2-256, nothing else. */
export function checkCid (cid: CID, what: string): CID {
  if (cid.version !== 1 || cid.code !== DAG_CBOR_CODE || cid.multihash.code !== SHA2_256_CODE || cid.multihash.size !== 32) {
    throw new MalformedError(`${what} must be a CIDv1 dag-cbor sha2-256 link`)
  }
  return cid
}
