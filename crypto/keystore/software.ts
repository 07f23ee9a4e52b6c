// The software key store: the embedded default when no HSM is configured. Secrets are sealed
// with AES-256-GCM (node:crypto / OpenSSL) under a 256-bit key-encryption key (KEK) that is
//   - derived from an operator passphrase with scrypt (salt and cost in `<dir>/kek.json`), or
//   - generated at random and kept in a key file (mode 0600, default `<dir>/kek.key`).
// `kek.json` also holds a check value (an AES-256-GCM tag over a fixed string) so that a wrong
// passphrase or key file is reported as such (WrongPassphraseError / KeyStoreConfigError) at
// start instead of as tampered records later. A store whose records exist but whose KEK is gone
// refuses to start (KekNotFoundError) rather than silently creating a new KEK.
//
// What it does NOT protect against: anyone who can read the store directory and obtain the
// passphrase or the key file (which by default sits next to the records) can decrypt every
// secret, and the KEK lives in this process's memory (as an OpenSSL KeyObject, outside the JS
// heap, for as long as the store runs). It warns loudly at start for that reason.
import { createCipheriv, createDecipheriv, createSecretKey, randomFillSync, scrypt as scryptCb, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  KekNotFoundError, KeyStoreConfigError, KeyStoreNotStartedError, TamperedRecordError, WrongPassphraseError
} from './errors.ts'
import { isErrnoCode, readPrivateFile, writeFileAtomic } from './files.ts'
import { readPin, type PinSource } from './pin.ts'
import { RecordStore } from './records.ts'
import { SealedKeyStore, type Sealer } from './sealed-store.ts'
import type { AbortOptions, KeyStore, KeyStoreLogger } from './types.ts'

const scrypt = promisify(scryptCb) as (password: string, salt: Uint8Array, keylen: number, options: { N: number, r: number, p: number, maxmem: number }) => Promise<Buffer>

export interface ScryptParams {
  readonly N: number
  readonly r: number
  readonly p: number
}

/** ≈ 128 MiB and a few hundred ms per start: the KEK is derived once per process. */
export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ N: 2 ** 17, r: 8, p: 1 })

export interface SoftwareKeyStoreConfig {
  readonly backend: 'software'
  /** Directory of the wrapped records (created 0700). */
  readonly dir: string
  /** Derive the KEK from this passphrase; when absent, use a random KEK kept in `keyFile`. */
  readonly passphrase?: PinSource
  /** Where the random KEK lives (default `<dir>/kek.key`); ignored with a passphrase. */
  readonly keyFile?: string
  /** scrypt cost for a new store (default DEFAULT_SCRYPT); an existing store uses kek.json's. */
  readonly scrypt?: ScryptParams
}

const KEK_FILE = 'kek.json'
const CHECK_AAD = new TextEncoder().encode('milagro/keystore/kek-check/v1')
const GCM_IV = 12
const GCM_TAG = 16

type KekMode = 'passphrase' | 'key-file'

interface KekFile {
  readonly mode: KekMode
  readonly scrypt?: ScryptParams
  readonly salt?: Uint8Array
  readonly checkIv: Uint8Array
  readonly check: Uint8Array
}

function assertScrypt (s: unknown, where: string): asserts s is ScryptParams {
  const o = s as Partial<ScryptParams> | undefined
  const ok = typeof o === 'object' && o !== null &&
    Number.isInteger(o.N) && o.N !== undefined && o.N >= 2 ** 14 && o.N <= 2 ** 20 && (o.N & (o.N - 1)) === 0 &&
    Number.isInteger(o.r) && o.r !== undefined && o.r >= 1 && o.r <= 32 &&
    Number.isInteger(o.p) && o.p !== undefined && o.p >= 1 && o.p <= 16
  if (!ok) throw new KeyStoreConfigError(`${where}: scrypt needs N a power of two in [2^14, 2^20], r in [1, 32], p in [1, 16]`)
}

function b64 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

function parseKekFile (bytes: Uint8Array): KekFile {
  const bad = (why: string, cause?: unknown): KeyStoreConfigError => new KeyStoreConfigError(`${KEK_FILE} is malformed: ${why}`, { cause })
  let o: Record<string, unknown>
  try {
    o = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
  } catch (err) {
    throw bad('not JSON', err)
  }
  const bin = (v: unknown, name: string): Uint8Array => {
    if (typeof v !== 'string') throw bad(`${name} is missing`)
    return new Uint8Array(Buffer.from(v, 'base64url'))
  }
  if (typeof o !== 'object' || o === null || o.v !== 1) throw bad('unsupported version')
  if (o.mode === 'passphrase') {
    if (o.kdf !== 'scrypt') throw bad('unknown kdf')
    const params = { N: o.N, r: o.r, p: o.p }
    assertScrypt(params, KEK_FILE)
    return { mode: 'passphrase', scrypt: params, salt: bin(o.salt, 'salt'), checkIv: bin(o.checkIv, 'checkIv'), check: bin(o.check, 'check') }
  }
  if (o.mode === 'key-file') return { mode: 'key-file', checkIv: bin(o.checkIv, 'checkIv'), check: bin(o.check, 'check') }
  throw bad('unknown mode')
}

function encodeKekFile (k: KekFile): Uint8Array {
  const body = k.mode === 'passphrase'
    ? { v: 1, mode: k.mode, kdf: 'scrypt', ...k.scrypt, salt: b64(k.salt ?? new Uint8Array(0)), checkIv: b64(k.checkIv), check: b64(k.check) }
    : { v: 1, mode: k.mode, checkIv: b64(k.checkIv), check: b64(k.check) }
  return new TextEncoder().encode(JSON.stringify(body, null, 2) + '\n')
}

function gcmSeal (key: KeyObject, aad: Uint8Array, plaintext: Uint8Array): { iv: Uint8Array, ciphertext: Uint8Array } {
  const iv = randomFillSync(new Uint8Array(GCM_IV))
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG })
  cipher.setAAD(aad)
  const body = cipher.update(plaintext)
  const rest = cipher.final()
  const ciphertext = new Uint8Array(body.length + rest.length + GCM_TAG)
  ciphertext.set(body)
  ciphertext.set(rest, body.length)
  ciphertext.set(cipher.getAuthTag(), body.length + rest.length)
  return { iv, ciphertext }
}

/** Returns the plaintext in a fresh Uint8Array, or throws TamperedRecordError. */
function gcmOpen (key: KeyObject, aad: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (iv.length !== GCM_IV || ciphertext.length < GCM_TAG) throw new TamperedRecordError('record iv or ciphertext has the wrong length')
  const bodyLength = ciphertext.length - GCM_TAG
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG })
  decipher.setAuthTag(ciphertext.subarray(bodyLength))
  decipher.setAAD(aad)
  const body = decipher.update(ciphertext.subarray(0, bodyLength))
  try {
    decipher.final()
    const out = new Uint8Array(body.length)
    out.set(body)
    return out
  } catch (err) {
    throw new TamperedRecordError(undefined, { cause: err })
  } finally {
    body.fill(0)
  }
}

export class SoftwareSealer implements Sealer {
  readonly alg = 'aes-256-gcm'
  readonly #config: SoftwareKeyStoreConfig
  readonly #logger: KeyStoreLogger
  #kek: KeyObject | undefined

  constructor (config: SoftwareKeyStoreConfig, components: { logger: KeyStoreLogger }) {
    this.#config = config
    this.#logger = components.logger
  }

  get #mode (): KekMode {
    return this.#config.passphrase === undefined ? 'key-file' : 'passphrase'
  }

  get #keyFile (): string {
    return this.#config.keyFile ?? join(this.#config.dir, 'kek.key')
  }

  async start (context: { readonly hasRecords: boolean }, options?: AbortOptions): Promise<void> {
    const path = join(this.#config.dir, KEK_FILE)
    let existing: KekFile | undefined
    try {
      existing = parseKekFile(await readFile(path, { signal: options?.signal }))
    } catch (err) {
      if (!isErrnoCode(err, 'ENOENT')) throw err
    }
    if (existing === undefined) {
      if (context.hasRecords) throw new KekNotFoundError(`${path} is missing but ${this.#config.dir} holds wrapped records`)
      this.#kek = await this.#create(path, options)
    } else {
      if (existing.mode !== this.#mode) {
        throw new KeyStoreConfigError(`the store was created in ${existing.mode} mode but is configured for ${this.#mode} mode`)
      }
      this.#kek = await this.#load(existing, options)
    }
    this.#logger.warn(
      { backend: 'software', dir: this.#config.dir, kek: this.#mode },
      'NO HSM PROTECTS THIS NODE: secrets are sealed with a software key-encryption key; whoever reads the key store directory ' +
      'and obtains the passphrase or key file can decrypt every secret. Configure a PKCS#11 key store for production.'
    )
  }

  async #create (path: string, options?: AbortOptions): Promise<KeyObject> {
    let kek: KeyObject
    let header: Pick<KekFile, 'mode' | 'scrypt' | 'salt'>
    if (this.#mode === 'passphrase') {
      const params = this.#config.scrypt ?? DEFAULT_SCRYPT
      assertScrypt(params, 'config')
      const salt = randomFillSync(new Uint8Array(16))
      kek = await this.#derive(params, salt, options)
      header = { mode: 'passphrase', scrypt: { N: params.N, r: params.r, p: params.p }, salt }
    } else {
      kek = await this.#readOrCreateKeyFile(options)
      header = { mode: 'key-file' }
    }
    const { iv, ciphertext } = gcmSeal(kek, CHECK_AAD, new Uint8Array(0))
    await writeFileAtomic(path, encodeKekFile({ ...header, checkIv: iv, check: ciphertext }), options)
    return kek
  }

  async #load (k: KekFile, options?: AbortOptions): Promise<KeyObject> {
    let kek: KeyObject
    if (k.mode === 'passphrase') {
      if (k.scrypt === undefined || k.salt === undefined) throw new KeyStoreConfigError(`${KEK_FILE} lacks scrypt parameters`)
      kek = await this.#derive(k.scrypt, k.salt, options)
    } else {
      kek = await this.#readKeyFile()
    }
    try {
      gcmOpen(kek, CHECK_AAD, k.checkIv, k.check)
    } catch (err) {
      if (k.mode === 'passphrase') throw new WrongPassphraseError(undefined, { cause: err })
      throw new KeyStoreConfigError(`${this.#keyFile} is not the key that created this store`, { cause: err })
    }
    return kek
  }

  async #derive (params: ScryptParams, salt: Uint8Array, options?: AbortOptions): Promise<KeyObject> {
    const passphrase = await readPin(this.#config.passphrase as PinSource, options)
    const maxmem = 128 * params.N * params.r * 2
    const key = await scrypt(passphrase.normalize('NFC'), salt, 32, { ...params, maxmem })
    try {
      return createSecretKey(key)
    } finally {
      key.fill(0)
    }
  }

  async #readKeyFile (): Promise<KeyObject> {
    let raw: Uint8Array
    try {
      raw = await readPrivateFile(this.#keyFile)
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) throw new KekNotFoundError(`key file ${this.#keyFile} is missing`, { cause: err })
      throw err
    }
    try {
      if (raw.length !== 32) throw new KeyStoreConfigError(`key file ${this.#keyFile} must hold exactly 32 bytes`)
      return createSecretKey(raw)
    } finally {
      raw.fill(0)
    }
  }

  async #readOrCreateKeyFile (options?: AbortOptions): Promise<KeyObject> {
    try {
      return await this.#readKeyFile()
    } catch (err) {
      if (!(err instanceof KekNotFoundError)) throw err
    }
    const raw = randomFillSync(new Uint8Array(32))
    try {
      await writeFileAtomic(this.#keyFile, raw, options)
      return createSecretKey(raw)
    } finally {
      raw.fill(0)
    }
  }

  async stop (): Promise<void> {
    this.#kek = undefined
  }

  #key (): KeyObject {
    if (this.#kek === undefined) throw new KeyStoreNotStartedError()
    return this.#kek
  }

  async seal (aad: Uint8Array, plaintext: Uint8Array): Promise<{ iv: Uint8Array, ciphertext: Uint8Array }> {
    return gcmSeal(this.#key(), aad, plaintext)
  }

  async open (aad: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
    return gcmOpen(this.#key(), aad, iv, ciphertext)
  }
}

/** A software KeyStore (not started). */
export function softwareKeyStore (config: SoftwareKeyStoreConfig, components: { logger: KeyStoreLogger }): KeyStore {
  return new SealedKeyStore({
    backend: 'software',
    sealer: new SoftwareSealer(config, components),
    records: new RecordStore(config.dir)
  })
}
