// The store of wrapped records shared by both backends: one record per handle, in a LevelDB under
// `<dir>/records/` (directory 0700), key `<kind>.<id>`, value the record's JSON bytes:
//
//   { "v": 1, "handle": "ks1:<kind>:<id>", "kind": "<kind>", "alg": "<sealer alg>",
//     "publicPart": b64url, "iv": b64url, "ct": b64url }
//
// `ct` is the secret sealed by the backend's key-encryption key with an AEAD whose associated
// data (recordAad) binds the format version, handle, kind, algorithm and public part: a record
// copied to another handle, a changed public part or any flipped byte fails to open. The parse
// here is strict (exact keys, canonical base64url) so that no two byte strings decode to the same
// record. Nothing secret is in a record in clear.
//
// Every put and delete is one fsynced LevelDB write. Earlier releases kept each record in a file
// of its own, `<dir>/<kind>.<id>.json`, written atomically (temp file, fsync, rename, directory
// fsync): a new inode, two fsyncs and eight system calls per secret — about 320 µs of CPU against
// about 30 µs for a synced LevelDB write on our machines, and a custody order stores three
// secrets. Such files (an older home, or a backup restored by writeHome) are moved into the
// database by `open`: the records go in one fsynced batch, then the files are unlinked and the
// directory fsynced. A crash in between leaves both, and the next `open` moves the same bytes
// again; a file's bytes replace a database value under the same handle. The database is created
// at the first record, so a store that refused to start (wrong PIN or passphrase) wrote nothing;
// its files have LevelDB's modes (the process umask) in the 0700 directory.
import { join } from 'node:path'
import { readFile, unlink } from 'node:fs/promises'
import { Level } from 'level'
import { KeyStoreLockedError, KeyStoreNotStartedError, TamperedRecordError, UnknownHandleError } from './errors.ts'
import { ensurePrivateDir, exists, fsyncDir, listDir } from './files.ts'
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

/** Parses a record that should hold `expected`; TamperedRecordError on any mismatch. */
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

/** The LevelDB key of a handle's record: `<kind>.<id>` (the name of its file in earlier releases, without `.json`). */
function recordKey (h: ParsedHandle): string {
  return `${h.kind}.${h.id}`
}

const RECORD_KEY = /^([a-z0-9-]+)\.([A-Za-z0-9_-]{22})$/
const RECORD_FILE = /^([a-z0-9-]+\.[A-Za-z0-9_-]{22})\.json$/

function handleOfKey (key: string): string | undefined {
  const m = RECORD_KEY.exec(key)
  if (m === null) return undefined
  const handle = `ks1:${m[1] as string}:${m[2] as string}`
  return isHandle(handle) ? handle : undefined
}

export class RecordStore {
  readonly dir: string
  readonly #location: string
  #db: Level<string, Uint8Array> | undefined
  #creating: Promise<Level<string, Uint8Array>> | undefined
  #open = false
  /** Operations under way, and what `close` waits on until there are none. */
  #busy = 0
  readonly #idle: Array<() => void> = []

  constructor (dir: string) {
    this.dir = dir
    this.#location = join(dir, 'records')
  }

  /**
   * Creates the directory (0700) or checks that an existing one is private; opens nothing. Returns
   * whether the store holds records — its database exists, or record files of earlier releases
   * wait to be moved —, which is what the sealer must know (a missing KEK is then an error).
   */
  async init (): Promise<boolean> {
    await ensurePrivateDir(this.dir)
    return await exists(this.#location) || (await this.#recordFiles()).length > 0
  }

  /**
   * Opens the database when there is one (KeyStoreLockedError while another store, in this process
   * or another, has it open) and moves the record files of earlier releases into it. A store with
   * neither creates its database at its first `put`. Idempotent while open.
   */
  async open (): Promise<void> {
    if (this.#open) return
    await ensurePrivateDir(this.dir)
    const files = await this.#recordFiles()
    if (files.length > 0 || await exists(this.#location)) {
      const db = await this.#openDb()
      try {
        await this.#moveFiles(db, files)
      } catch (err) {
        await db.close()
        throw err
      }
      this.#db = db
    }
    this.#open = true
  }

  /**
   * Closes the database once the operations already under way have settled (later ones get
   * KeyStoreNotStartedError); `open` opens it again.
   */
  async close (): Promise<void> {
    this.#open = false
    while (this.#busy > 0) await new Promise<void>((resolve) => { this.#idle.push(resolve) })
    const db = this.#db
    this.#db = undefined
    this.#creating = undefined
    await db?.close()
  }

  async #openDb (): Promise<Level<string, Uint8Array>> {
    await ensurePrivateDir(this.#location)
    const db = new Level<string, Uint8Array>(this.#location, { keyEncoding: 'utf8', valueEncoding: 'view' })
    try {
      // Records are a few hundred bytes and read one at a time: a small cache and write buffer
      // (LevelDB's defaults, 8 and 4 MiB, are sized for bulk data; a node has several databases).
      await db.open({ createIfMissing: true, compression: false, cacheSize: 1024 * 1024, writeBufferSize: 1024 * 1024 })
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED') {
        throw new KeyStoreLockedError(`the key store in ${this.dir} is in use (is the node running?)`, { cause: err })
      }
      throw err
    }
    return db
  }

  async #recordFiles (): Promise<Array<{ readonly name: string, readonly key: string }>> {
    return (await listDir(this.dir)).flatMap((name) => {
      const m = RECORD_FILE.exec(name)
      return m !== null && handleOfKey(m[1] as string) !== undefined ? [{ name, key: m[1] as string }] : []
    })
  }

  async #moveFiles (db: Level<string, Uint8Array>, files: ReadonlyArray<{ readonly name: string, readonly key: string }>): Promise<void> {
    if (files.length === 0) return
    const ops = await Promise.all(files.map(async (f) => ({ type: 'put' as const, key: f.key, value: new Uint8Array(await readFile(join(this.dir, f.name))) })))
    await db.batch(ops, { sync: true })
    for (const f of files) await unlink(join(this.dir, f.name))
    await fsyncDir(this.dir)
  }

  /**
   * Runs `fn` with the database (undefined while none was created) as an operation `close` waits
   * for; KeyStoreNotStartedError when closed.
   */
  async #run<T> (options: AbortOptions | undefined, fn: (db: Level<string, Uint8Array> | undefined) => Promise<T>): Promise<T> {
    options?.signal?.throwIfAborted()
    if (!this.#open) throw new KeyStoreNotStartedError()
    this.#busy++
    try {
      return await fn(this.#db)
    } finally {
      if (--this.#busy === 0) for (const resolve of this.#idle.splice(0)) resolve()
    }
  }

  /** The database for a write: created at the first one. */
  async #forWrite (db: Level<string, Uint8Array> | undefined): Promise<Level<string, Uint8Array>> {
    if (db !== undefined) return db
    this.#creating ??= this.#openDb().then((created) => { this.#db = created; this.#creating = undefined; return created })
    return await this.#creating
  }

  async put (record: SealedRecord, options?: AbortOptions): Promise<void> {
    const key = recordKey(parseHandle(record.handle))
    const bytes = encodeRecord(record)
    await this.#run(options, async (db) => { await (await this.#forWrite(db)).put(key, bytes, { sync: true }) })
  }

  /** The record of `h`, decoded (TamperedRecordError) and checked to be `h`'s; UnknownHandleError when absent. */
  async get (h: ParsedHandle, options?: AbortOptions): Promise<SealedRecord> {
    return decodeRecord(await this.getBytes(h, options), h)
  }

  /** The stored bytes of `h`'s record, as they are (a backup carries them; they are sealed); UnknownHandleError when absent. */
  async getBytes (h: ParsedHandle, options?: AbortOptions): Promise<Uint8Array> {
    const bytes = await this.#run(options, async (db) => await db?.get(recordKey(h)))
    if (bytes === undefined) throw new UnknownHandleError()
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /**
   * Stores `bytes` as `h`'s record without decoding them: what `get` reads back is decoded and
   * authenticated then. For records that come as bytes (tests that tamper with a record).
   */
  async putBytes (h: ParsedHandle, bytes: Uint8Array, options?: AbortOptions): Promise<void> {
    await this.#run(options, async (db) => { await (await this.#forWrite(db)).put(recordKey(h), bytes, { sync: true }) })
  }

  async delete (h: ParsedHandle, options?: AbortOptions): Promise<void> {
    const key = recordKey(h)
    await this.#run(options, async (db) => {
      if (db === undefined || await db.get(key) === undefined) throw new UnknownHandleError()
      await db.del(key, { sync: true })
    })
  }

  /** Handles of every record, sorted. */
  async list (options?: AbortOptions): Promise<string[]> {
    return await this.#run(options, async (db) => {
      const out: string[] = []
      if (db === undefined) return out
      for await (const key of db.keys()) {
        const handle = handleOfKey(key)
        if (handle !== undefined) out.push(handle)
      }
      return out.sort()
    })
  }
}
