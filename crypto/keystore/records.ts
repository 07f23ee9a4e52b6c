// The on-disk store of wrapped records shared by both backends: one JSON file per handle,
// `<dir>/<kind>.<id>.json`, written atomically with mode 0600 in a 0700 directory.
//
//   { "v": 1, "handle": "ks1:<kind>:<id>", "kind": "<kind>", "alg": "<sealer alg>",
//     "publicPart": b64url, "iv": b64url, "ct": b64url }
//
// `ct` is the secret sealed by the backend's key-encryption key with an AEAD whose associated
// data (recordAad) binds the format version, handle, kind, algorithm and public part: a record
// copied or renamed to another handle's file, a changed public part or any flipped byte fails
// to open. The parse here is strict (exact keys, canonical base64url) so that no two files decode
// to the same record. Nothing secret is in a record in clear.
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { TamperedRecordError, UnknownHandleError } from './errors.ts'
import { ensurePrivateDir, isErrnoCode, listDir, unlinkDurable, writeFileAtomic } from './files.ts'
import { isHandle, parseHandle, type ParsedHandle } from './handle.ts'
import type { AbortOptions, SecretKind } from './types.ts'

export const RECORD_VERSION = 1

export interface SealedRecord {
  readonly handle: string
  readonly kind: SecretKind
  /** Names the sealer: 'aes-256-gcm' (software KEK) or 'pkcs11-aes-256-gcm' (token KEK). */
  readonly alg: string
  readonly publicPart: Uint8Array
  readonly iv: Uint8Array
  readonly ciphertext: Uint8Array
}

const KEYS = ['alg', 'ct', 'handle', 'iv', 'kind', 'publicPart', 'v']

/** Associated data of a record's AEAD: an injective encoding of everything but iv and ct. */
export function recordAad (r: Pick<SealedRecord, 'handle' | 'kind' | 'alg' | 'publicPart'>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([
    'milagro/keystore/record', RECORD_VERSION, r.handle, r.kind, r.alg, b64(r.publicPart)
  ]))
}

function b64 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

function fromB64 (value: unknown): Uint8Array {
  if (typeof value !== 'string' || value === '') throw new TamperedRecordError('record field is not base64url')
  const bytes = Buffer.from(value, 'base64url')
  if (bytes.toString('base64url') !== value) throw new TamperedRecordError('record field is not canonical base64url')
  return new Uint8Array(bytes)
}

export function encodeRecord (r: SealedRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    v: RECORD_VERSION,
    handle: r.handle,
    kind: r.kind,
    alg: r.alg,
    publicPart: b64(r.publicPart),
    iv: b64(r.iv),
    ct: b64(r.ciphertext)
  }))
}

/** Parses a record file that should hold `expected`; TamperedRecordError on any mismatch. */
export function decodeRecord (bytes: Uint8Array, expected: ParsedHandle): SealedRecord {
  let obj: unknown
  try {
    obj = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (err) {
    throw new TamperedRecordError('record is not valid JSON', { cause: err })
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new TamperedRecordError('record is not an object')
  const o = obj as Record<string, unknown>
  if (Object.keys(o).sort().join() !== KEYS.join()) throw new TamperedRecordError('record has unexpected fields')
  if (o.v !== RECORD_VERSION) throw new TamperedRecordError('unsupported record version')
  if (o.handle !== expected.handle || o.kind !== expected.kind) {
    throw new TamperedRecordError('record belongs to another handle')
  }
  if (typeof o.alg !== 'string') throw new TamperedRecordError('record alg is not a string')
  return {
    handle: expected.handle,
    kind: expected.kind,
    alg: o.alg,
    publicPart: fromB64(o.publicPart),
    iv: fromB64(o.iv),
    ciphertext: fromB64(o.ct)
  }
}

export class RecordStore {
  readonly dir: string

  constructor (dir: string) {
    this.dir = dir
  }

  /** Creates the directory (0700) or checks that an existing one is private. */
  async init (): Promise<void> {
    await ensurePrivateDir(this.dir)
  }

  #path (h: ParsedHandle): string {
    return join(this.dir, `${h.kind}.${h.id}.json`)
  }

  async put (record: SealedRecord, options?: AbortOptions): Promise<void> {
    const h = parseHandle(record.handle)
    await writeFileAtomic(this.#path(h), encodeRecord(record), options)
  }

  async get (h: ParsedHandle, options?: AbortOptions): Promise<SealedRecord> {
    options?.signal?.throwIfAborted()
    let bytes: Uint8Array
    try {
      bytes = await readFile(this.#path(h), { signal: options?.signal })
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) throw new UnknownHandleError(undefined, { cause: err })
      throw err
    }
    return decodeRecord(bytes, h)
  }

  async delete (h: ParsedHandle, options?: AbortOptions): Promise<void> {
    options?.signal?.throwIfAborted()
    try {
      await unlinkDurable(this.#path(h))
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) throw new UnknownHandleError(undefined, { cause: err })
      throw err
    }
  }

  /** Handles of every record file, sorted (temp files and other files are ignored). */
  async list (options?: AbortOptions): Promise<string[]> {
    options?.signal?.throwIfAborted()
    const out: string[] = []
    for (const name of await listDir(this.dir)) {
      const m = /^([a-z0-9-]+)\.([A-Za-z0-9_-]{22})\.json$/.exec(name)
      if (m === null) continue
      const handle = `ks1:${m[1]}:${m[2]}`
      if (isHandle(handle)) out.push(handle) // other names are not records of ours
    }
    return out.sort()
  }
}
