// SealedKeyStore: the KeyStore operations common to both backends, over a Sealer (the backend's
// key-encryption key: a software AES-256 key, or an AES-256 key inside a PKCS#11 token) and a
// RecordStore (one wrapped record per handle, in a LevelDB of the key store directory).
//
// Guarantees: a secret exists in clear only in process memory, only while an operation needs it
// (generate/import until it is sealed; use/secp256k1*/release/publicPart for the duration of the
// call), and that buffer is zeroed with fill(0) when the operation settles. Every read
// authenticates the record (AEAD over handle, kind, algorithm and public part) before using it.
//
// What JS cannot guarantee (see also the README's Security section): zeroing a Uint8Array does
// not reach copies the engine or a library made — bigint conversions for curve arithmetic,
// noble's internal values, OpenSSL / the PKCS#11 module's own buffers, strings — nor memory the
// GC moved or the OS swapped out. Operations are not constant-time across kinds or lengths.
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { InvalidPointError } from '../errors.ts'
import { seal as hpkeSeal } from '../hpke.ts'
import { KeyStoreNotStartedError, TamperedRecordError, UnsupportedKindError } from './errors.ts'
import { newHandle, parseHandle, type ParsedHandle } from './handle.ts'
import { assertKind, assertSecret, publicPartOf, randomSecret } from './kinds.ts'
import { recordAad, type RecordStore, type SealedRecord } from './records.ts'
import type {
  AbortOptions, GenerateOptions, KeyStore, KeyStoreBackend, ReleasedSecret, ReleaseOptions, SealedBlob, SecretKind, StartOptions,
  StoredSecret
} from './types.ts'

/** Associated data of a blob's AEAD: its own domain (records use 'milagro/keystore/record'), the sealer, the caller's aad. */
function blobAad (alg: string, aad: Uint8Array): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([
    'milagro/keystore/blob', 1, alg, Buffer.from(aad.buffer, aad.byteOffset, aad.byteLength).toString('base64url')
  ]))
}

/** A backend's key-encryption key. `open` throws TamperedRecordError when a record does not authenticate. */
export interface Sealer {
  /** Stored in each record and bound into its associated data. */
  readonly alg: string
  /** `hasRecords`: records exist, so the KEK must already exist (never create a new one then). */
  start (context: { readonly hasRecords: boolean }, options?: AbortOptions): Promise<void>
  stop (): Promise<void>
  seal (aad: Uint8Array, plaintext: Uint8Array): Promise<{ iv: Uint8Array, ciphertext: Uint8Array }>
  open (aad: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>
}

type Point = ReturnType<typeof secp256k1.Point.fromBytes>

function parsePoint (point: unknown): Point {
  if (!(point instanceof Uint8Array)) throw new InvalidPointError('point must be a Uint8Array')
  try {
    const p = secp256k1.Point.fromBytes(point)
    p.assertValidity()
    return p
  } catch (err) {
    throw new InvalidPointError('not a valid SEC1 secp256k1 point', { cause: err })
  }
}

function scalarOf (secret: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength).toString('hex'))
}

export class SealedKeyStore implements KeyStore {
  readonly backend: KeyStoreBackend
  readonly #sealer: Sealer
  readonly #records: RecordStore
  #started = false

  constructor (init: { backend: KeyStoreBackend, sealer: Sealer, records: RecordStore }) {
    this.backend = init.backend
    this.#sealer = init.sealer
    this.#records = init.records
  }

  async start (options?: StartOptions): Promise<void> {
    if (this.#started) return
    options?.signal?.throwIfAborted()
    // The sealer first: a store that cannot unlock its KEK (wrong PIN or passphrase) opens no records.
    const hasRecords = await this.#records.init()
    await this.#sealer.start({ hasRecords: options?.existingKek === true || hasRecords }, options)
    try {
      await this.#records.open()
    } catch (err) {
      await this.#sealer.stop()
      throw err
    }
    this.#started = true
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    try {
      await this.#sealer.stop()
    } finally {
      await this.#records.close()
    }
  }

  /** The records (tests that tamper with one reach them here). */
  get records (): RecordStore {
    return this.#records
  }

  #check (options?: AbortOptions): void {
    options?.signal?.throwIfAborted()
    if (!this.#started) throw new KeyStoreNotStartedError()
  }

  async generate (kind: SecretKind, options?: GenerateOptions): Promise<StoredSecret> {
    this.#check(options)
    assertKind(kind)
    const secret = randomSecret(kind, options?.length)
    try {
      return await this.#store(kind, secret, options)
    } finally {
      secret.fill(0)
    }
  }

  async generateAndUse<T> (kind: SecretKind, fn: (secret: Uint8Array, stored: StoredSecret) => T | Promise<T>, options?: GenerateOptions): Promise<{ stored: StoredSecret, result: T }> {
    if (typeof fn !== 'function') throw new TypeError('generateAndUse() needs a function')
    this.#check(options)
    assertKind(kind)
    const secret = randomSecret(kind, options?.length)
    try {
      const stored = await this.#store(kind, secret, options)
      return { stored, result: await fn(secret, { ...stored, publicPart: stored.publicPart.slice() }) }
    } finally {
      secret.fill(0)
    }
  }

  async import (kind: SecretKind, secret: Uint8Array, options?: AbortOptions): Promise<StoredSecret> {
    this.#check(options)
    assertKind(kind)
    assertSecret(kind, secret)
    const copy = Uint8Array.from(secret) // the caller may zero its buffer while we await
    try {
      return await this.#store(kind, copy, options)
    } finally {
      copy.fill(0)
    }
  }

  async #store (kind: SecretKind, secret: Uint8Array, options?: AbortOptions): Promise<StoredSecret> {
    const { handle } = newHandle(kind)
    const publicPart = publicPartOf(kind, secret)
    const header = { handle, kind, alg: this.#sealer.alg, publicPart }
    const { iv, ciphertext } = await this.#sealer.seal(recordAad(header), secret)
    await this.#records.put({ ...header, iv, ciphertext }, options)
    return { handle, kind, publicPart: publicPart.slice() }
  }

  /** Reads and authenticates the record; returns it with the secret in a buffer the caller zeroes. */
  async #unwrap (h: ParsedHandle, options?: AbortOptions): Promise<{ record: SealedRecord, secret: Uint8Array }> {
    const record = await this.#records.get(h, options)
    const secret = await this.#sealer.open(recordAad(record), record.iv, record.ciphertext)
    return { record, secret }
  }

  async #with<T> (handle: string, options: AbortOptions | undefined, fn: (secret: Uint8Array, record: SealedRecord) => T | Promise<T>): Promise<T> {
    this.#check(options)
    const h = parseHandle(handle)
    const { record, secret } = await this.#unwrap(h, options)
    try {
      return await fn(secret, record)
    } finally {
      secret.fill(0)
    }
  }

  async publicPart (handle: string, options?: AbortOptions): Promise<Uint8Array> {
    return await this.#with(handle, options, (_secret, record) => record.publicPart.slice())
  }

  async use<T> (handle: string, fn: (secret: Uint8Array) => T | Promise<T>, options?: AbortOptions): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError('use() needs a function')
    return await this.#with(handle, options, async (secret) => await fn(secret))
  }

  async secp256k1AddPublic (handle: string, point: Uint8Array, options?: AbortOptions): Promise<Uint8Array> {
    const h = this.#secp256k1Handle(handle)
    const p = parsePoint(point)
    return await this.#with(h, options, (secret) => {
      const sum = secp256k1.Point.BASE.multiply(scalarOf(secret)).add(p)
      if (sum.is0()) throw new InvalidPointError('secret·G + point is the point at infinity')
      return sum.toBytes(true)
    })
  }

  async secp256k1Multiply (handle: string, point: Uint8Array, options?: AbortOptions): Promise<Uint8Array> {
    const h = this.#secp256k1Handle(handle)
    const p = parsePoint(point)
    return await this.#with(h, options, (secret) => p.multiply(scalarOf(secret)).toBytes(true))
  }

  #secp256k1Handle (handle: string): string {
    const h = parseHandle(handle)
    if (h.kind !== 'secp256k1') throw new UnsupportedKindError(`a ${h.kind} secret has no secp256k1 operations`)
    return h.handle
  }

  async release (handle: string, recipientPublicKey: Uint8Array, info: Uint8Array, options?: ReleaseOptions): Promise<ReleasedSecret> {
    const aead = options?.aead ?? 'aes-256-gcm'
    const aad = options?.aad ?? new Uint8Array(0)
    return await this.#with(handle, options, (secret) => hpkeSeal({ aead }, recipientPublicKey, info, aad, secret))
  }

  async destroy (handle: string, options?: AbortOptions): Promise<void> {
    this.#check(options)
    const h = parseHandle(handle)
    await this.#records.delete(h, options)
  }

  async sealBlob (aad: Uint8Array, plaintext: Uint8Array, options?: AbortOptions): Promise<SealedBlob> {
    this.#check(options)
    if (!(aad instanceof Uint8Array) || !(plaintext instanceof Uint8Array)) throw new TypeError('sealBlob() takes Uint8Arrays')
    const alg = this.#sealer.alg
    const { iv, ciphertext } = await this.#sealer.seal(blobAad(alg, aad), plaintext)
    return { alg, iv, ciphertext }
  }

  async openBlob (aad: Uint8Array, blob: SealedBlob, options?: AbortOptions): Promise<Uint8Array> {
    this.#check(options)
    if (!(aad instanceof Uint8Array) || !(blob?.iv instanceof Uint8Array) || !(blob.ciphertext instanceof Uint8Array)) {
      throw new TypeError('openBlob() takes a Uint8Array aad and a SealedBlob')
    }
    if (blob.alg !== this.#sealer.alg) throw new TamperedRecordError(`blob was sealed by '${String(blob.alg)}', this store seals with '${this.#sealer.alg}'`)
    return await this.#sealer.open(blobAad(blob.alg, aad), blob.iv, blob.ciphertext)
  }

  async list (options?: AbortOptions): Promise<string[]> {
    this.#check(options)
    return await this.#records.list(options)
  }

  async exportRecords (options?: AbortOptions): Promise<Array<{ readonly handle: string, readonly bytes: Uint8Array }>> {
    this.#check(options)
    const out: Array<{ handle: string, bytes: Uint8Array }> = []
    for (const handle of await this.#records.list(options)) out.push({ handle, bytes: await this.#records.getBytes(parseHandle(handle), options) })
    return out
  }
}
