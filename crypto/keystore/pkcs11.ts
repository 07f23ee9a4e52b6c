// The PKCS#11 key store: secrets sealed under an AES-256 key-encryption key (KEK) that was
// generated inside an HSM and never leaves it (CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE true,
// CKA_EXTRACTABLE false, CKA_MODIFIABLE false, label 'milagro-kek' by default). Records are
// sealed with CKM_AES_GCM (96-bit random IV, 128-bit tag, the record's associated data as GCM
// AAD) by C_Encrypt / C_Decrypt inside the token, and stored on disk by records.ts.
//
// Why C_Encrypt of the secret bytes and not C_WrapKey of a secret-key object: SoftHSM2 2.6 refuses
// C_WrapKey with CKM_AES_GCM (CKR_MECHANISM_INVALID; its GCM mechanism info carries only
// CKF_ENCRYPT | CKF_DECRYPT) and wraps only with CKM_AES_KEY_WRAP(_PAD); and every operation the
// services need (secp256k1 point arithmetic, pairing scalars, HPKE release) happens outside the
// token anyway: no HSM we target computes s·P on secp256k1 with the full point or on BN254 /
// BLS12-381. So the secret is unwrapped into process memory for the instant an operation needs it
// (sealed-store.ts zeroes it afterwards), and the KEK, the long-lived key, stays in the token.
// GCM also authenticates the record header, which AES key wrap with padding would not.
//
// Lifecycle: start() reads the PIN (pin.ts), loads the module (ModuleNotFoundError, never a
// fallback to software), finds the token by label (TokenNotFoundError), opens one R/W session,
// logs in (WrongPinError / PinLockedError) and finds or generates the KEK — it never generates a
// new KEK when records already exist (KekNotFoundError). The session is reused; when the token
// reports it lost (CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_DEVICE_REMOVED,
// CKR_TOKEN_NOT_PRESENT, CKR_USER_NOT_LOGGED_IN) the store reopens it, logs in again and retries
// the operation once. The PIN stays in memory for that re-login. stop() logs out, closes the
// session and finalizes the module (reference counted in pkcs11-module.ts).
//
// Calls are synchronous pkcs11js calls: each C_*Init + C_* pair runs without yielding, so one
// session serves concurrent callers without interleaving. SoftHSM answers in microseconds; a
// network HSM would block the event loop for its round trip, and would want a session pool
// with the async variants.
import { randomFillSync } from 'node:crypto'
import { endianness } from 'node:os'
import pkcs11js, { type AesGCM, type Mechanism, type TemplateResult } from 'pkcs11js'
import {
  KekNotFoundError, KekPolicyError, KeyStoreConfigError, KeyStoreNotStartedError, TamperedRecordError, TokenNotFoundError
} from './errors.ts'
import {
  acquireModule, ckrName, codeOf, isSessionLost, toTokenError, type ModuleLease, type Pkcs11, type Pkcs11Handle
} from './pkcs11-module.ts'
import { readPin, type PinSource } from './pin.ts'
import { RecordStore } from './records.ts'
import { SealedKeyStore, type Sealer } from './sealed-store.ts'
import type { AbortOptions, KeyStore, KeyStoreLogger } from './types.ts'

export const DEFAULT_KEK_LABEL = 'milagro-kek'

export interface Pkcs11KeyStoreConfig {
  readonly backend: 'pkcs11'
  /** Directory of the wrapped records (created 0700). */
  readonly dir: string
  /** Path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly module: string
  readonly tokenLabel: string
  /** Where the user PIN is read from: never argv, never a log line. */
  readonly pin: PinSource
  readonly kekLabel?: string
}

const GCM_IV = 12
const GCM_TAG = 16

interface Open {
  readonly lease: ModuleLease
  readonly p11: Pkcs11
  slot: Pkcs11Handle
  session: Pkcs11Handle
  kek: Pkcs11Handle
}

function gcm (iv: Uint8Array, aad: Uint8Array): Mechanism {
  const params: AesGCM = { type: pkcs11js.CK_PARAMS_AES_GCM, iv: Buffer.from(iv), aad: Buffer.from(aad), ivBits: GCM_IV * 8, tagBits: GCM_TAG * 8 }
  return { mechanism: pkcs11js.CKM_AES_GCM, parameter: params }
}

function view (bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function readBool (value: Buffer | undefined): boolean {
  return value !== undefined && value.length >= 1 && value[0] === 1
}

function readUlong (value: Buffer | undefined): number {
  if (value === undefined) return 0
  const le = endianness() === 'LE'
  if (value.length === 8) return Number(le ? value.readBigUInt64LE() : value.readBigUInt64BE())
  if (value.length === 4) return le ? value.readUInt32LE() : value.readUInt32BE()
  return 0
}

/** SoftHSM2 2.6 reports a GCM tag mismatch as CKR_GENERAL_ERROR rather than CKR_ENCRYPTED_DATA_INVALID. */
const DECRYPT_FAILURES = new Set([pkcs11js.CKR_ENCRYPTED_DATA_INVALID, pkcs11js.CKR_ENCRYPTED_DATA_LEN_RANGE, pkcs11js.CKR_GENERAL_ERROR])

export class Pkcs11Sealer implements Sealer {
  readonly alg = 'pkcs11-aes-256-gcm'
  readonly #config: Pkcs11KeyStoreConfig
  readonly #logger: KeyStoreLogger
  readonly #kekLabel: string
  #open: Open | undefined
  #pin: string | undefined

  constructor (config: Pkcs11KeyStoreConfig, components: { logger: KeyStoreLogger }) {
    if (typeof config.module !== 'string' || config.module === '') throw new KeyStoreConfigError('pkcs11 key store needs a module path')
    if (typeof config.tokenLabel !== 'string' || config.tokenLabel === '') throw new KeyStoreConfigError('pkcs11 key store needs a token label')
    this.#config = config
    this.#logger = components.logger
    this.#kekLabel = config.kekLabel ?? DEFAULT_KEK_LABEL
  }

  async start (context: { readonly hasRecords: boolean }, options?: AbortOptions): Promise<void> {
    const pin = await readPin(this.#config.pin, options)
    const lease = await acquireModule(this.#config.module)
    let session: Pkcs11Handle | undefined
    let slot: Pkcs11Handle | undefined
    let loggedIn = false
    try {
      slot = this.#findSlot(lease.p11)
      session = this.#openSession(lease.p11, slot)
      lease.login(slot, session, pin)
      loggedIn = true
      let kek = this.#findKek(lease.p11, session)
      if (kek === undefined) {
        if (context.hasRecords) throw new KekNotFoundError(`token '${this.#config.tokenLabel}' has no key labelled '${this.#kekLabel}' but ${this.#config.dir} holds wrapped records`)
        kek = this.#generateKek(lease.p11, session)
      }
      this.#open = { lease, p11: lease.p11, slot, session, kek }
      this.#pin = pin
    } catch (err) {
      this.#abandon(lease, slot, session, loggedIn)
      throw err
    }
    this.#logger.info?.({ backend: 'pkcs11', module: lease.path, token: this.#config.tokenLabel, kek: this.#kekLabel }, 'PKCS#11 key store started')
  }

  /** Undoes a failed start. The start error is what the caller needs: cleanup failures are logged. */
  #abandon (lease: ModuleLease, slot: Pkcs11Handle | undefined, session: Pkcs11Handle | undefined, loggedIn: boolean): void {
    const steps: Array<[string, () => void]> = []
    if (slot !== undefined && session !== undefined) {
      if (loggedIn) steps.push(['C_Logout', () => { lease.logout(slot, session) }])
      steps.push(['C_CloseSession', () => { lease.p11.C_CloseSession(session) }])
    }
    steps.push(['C_Finalize', () => { lease.release() }])
    for (const [call, step] of steps) {
      try {
        step()
      } catch (err) {
        const code = codeOf(err)
        this.#logger.warn({ backend: 'pkcs11', call, code: code === undefined ? String(err) : ckrName(code) }, 'PKCS#11 cleanup after a failed start failed too')
      }
    }
  }

  async stop (): Promise<void> {
    const o = this.#open
    if (o === undefined) return
    this.#open = undefined
    this.#pin = undefined
    // Every step runs even if one before failed; the first failure is reported.
    let failure: unknown
    try {
      o.lease.logout(o.slot, o.session)
    } catch (err) {
      failure = err
    }
    try {
      o.p11.C_CloseSession(o.session)
    } catch (err) {
      if (!isSessionLost(err)) failure ??= toTokenError(err, 'C_CloseSession')
    }
    try {
      o.lease.release()
    } catch (err) {
      failure ??= toTokenError(err, 'C_Finalize')
    }
    if (failure !== undefined) throw failure
  }

  #findSlot (p11: Pkcs11): Pkcs11Handle {
    const label = this.#config.tokenLabel
    const found: Pkcs11Handle[] = []
    try {
      for (const slot of p11.C_GetSlotList(true)) {
        const info = p11.C_GetTokenInfo(slot)
        if ((info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) !== 0 && info.label.trimEnd() === label) found.push(slot)
      }
    } catch (err) {
      throw toTokenError(err, 'C_GetSlotList/C_GetTokenInfo')
    }
    const slot = found[0]
    if (slot === undefined) throw new TokenNotFoundError(`no token labelled '${label}' in ${this.#config.module}`)
    if (found.length > 1) throw new KeyStoreConfigError(`${found.length} tokens are labelled '${label}'`)
    return slot
  }

  #openSession (p11: Pkcs11, slot: Pkcs11Handle): Pkcs11Handle {
    try {
      return p11.C_OpenSession(slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION)
    } catch (err) {
      throw toTokenError(err, 'C_OpenSession')
    }
  }

  #findKek (p11: Pkcs11, session: Pkcs11Handle): Pkcs11Handle | undefined {
    let found: Pkcs11Handle[]
    try {
      p11.C_FindObjectsInit(session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_LABEL, value: this.#kekLabel }
      ])
      try {
        found = p11.C_FindObjects(session, 2)
      } finally {
        p11.C_FindObjectsFinal(session)
      }
    } catch (err) {
      throw toTokenError(err, 'C_FindObjects')
    }
    const kek = found[0]
    if (kek === undefined) return undefined
    if (found.length > 1) throw new KeyStoreConfigError(`several keys in the token are labelled '${this.#kekLabel}'`)
    this.#checkKekPolicy(p11, session, kek)
    return kek
  }

  /** Refuses a KEK someone else created with our label but weaker attributes. */
  #checkKekPolicy (p11: Pkcs11, session: Pkcs11Handle, kek: Pkcs11Handle): void {
    let attrs: TemplateResult
    try {
      attrs = p11.C_GetAttributeValue(session, kek, [
        { type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_ENCRYPT },
        { type: pkcs11js.CKA_DECRYPT }, { type: pkcs11js.CKA_VALUE_LEN }
      ])
    } catch (err) {
      throw toTokenError(err, 'C_GetAttributeValue')
    }
    const get = (type: number): Buffer | undefined => attrs.find((a) => a.type === type)?.value
    if (!readBool(get(pkcs11js.CKA_SENSITIVE)) || readBool(get(pkcs11js.CKA_EXTRACTABLE))) {
      throw new KekPolicyError(`key '${this.#kekLabel}' is extractable or not sensitive; refusing to use it`)
    }
    if (!readBool(get(pkcs11js.CKA_ENCRYPT)) || !readBool(get(pkcs11js.CKA_DECRYPT)) || readUlong(get(pkcs11js.CKA_VALUE_LEN)) !== 32) {
      throw new KekPolicyError(`key '${this.#kekLabel}' is not an AES-256 encrypt/decrypt key`)
    }
  }

  #generateKek (p11: Pkcs11, session: Pkcs11Handle): Pkcs11Handle {
    try {
      const kek = p11.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11js.CKA_LABEL, value: this.#kekLabel },
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_MODIFIABLE, value: false },
        { type: pkcs11js.CKA_ENCRYPT, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: true },
        { type: pkcs11js.CKA_WRAP, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false }
      ])
      this.#logger.info?.({ backend: 'pkcs11', token: this.#config.tokenLabel, kek: this.#kekLabel }, 'generated the key-encryption key inside the token')
      return kek
    } catch (err) {
      throw toTokenError(err, 'C_GenerateKey')
    }
  }

  /** Reopens the session after the token lost it: new session, login, KEK found again. */
  #reopen (o: Open): void {
    try {
      o.p11.C_CloseSession(o.session)
    } catch (err) {
      if (!isSessionLost(err)) throw toTokenError(err, 'C_CloseSession')
    }
    o.lease.forgetLogin(o.slot) // the token dropped this store's login with the session
    o.slot = this.#findSlot(o.p11)
    o.session = this.#openSession(o.p11, o.slot)
    o.lease.login(o.slot, o.session, this.#pin as string)
    const kek = this.#findKek(o.p11, o.session)
    if (kek === undefined) throw new KekNotFoundError(`key '${this.#kekLabel}' disappeared from token '${this.#config.tokenLabel}'`)
    o.kek = kek
  }

  /** Runs `op` on the session; on a lost session reopens and retries once. Errors come back raw. */
  #withSession<T> (op: (p11: Pkcs11, session: Pkcs11Handle, kek: Pkcs11Handle) => T): T {
    const o = this.#open
    if (o === undefined) throw new KeyStoreNotStartedError()
    try {
      return op(o.p11, o.session, o.kek)
    } catch (err) {
      if (!isSessionLost(err)) throw err
      const code = codeOf(err) as number
      this.#logger.warn({ backend: 'pkcs11', token: this.#config.tokenLabel, code: ckrName(code) }, 'PKCS#11 session lost; reopening it and retrying once')
      this.#reopen(o)
      return op(o.p11, o.session, o.kek)
    }
  }

  async seal (aad: Uint8Array, plaintext: Uint8Array): Promise<{ iv: Uint8Array, ciphertext: Uint8Array }> {
    const iv = randomFillSync(new Uint8Array(GCM_IV))
    try {
      const ciphertext = this.#withSession((p11, session, kek) => {
        p11.C_EncryptInit(session, gcm(iv, aad), kek)
        return p11.C_Encrypt(session, view(plaintext), Buffer.alloc(plaintext.length + GCM_TAG))
      })
      return { iv, ciphertext: new Uint8Array(ciphertext) }
    } catch (err) {
      throw toTokenError(err, 'C_Encrypt')
    }
  }

  async open (aad: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
    if (iv.length !== GCM_IV || ciphertext.length < GCM_TAG) throw new TamperedRecordError('record iv or ciphertext has the wrong length')
    // Buffer.alloc is never pooled, so zeroing `out` reaches every copy this code made.
    const out = Buffer.alloc(ciphertext.length)
    try {
      const plain = this.#withSession((p11, session, kek) => {
        p11.C_DecryptInit(session, gcm(iv, aad), kek)
        return p11.C_Decrypt(session, view(ciphertext), out)
      })
      const secret = new Uint8Array(plain.length)
      secret.set(plain)
      return secret
    } catch (err) {
      const code = codeOf(err)
      if (code !== undefined && DECRYPT_FAILURES.has(code)) throw new TamperedRecordError(`token refused the record (${ckrName(code)})`, { cause: err })
      throw toTokenError(err, 'C_Decrypt')
    } finally {
      out.fill(0)
    }
  }
}

/** A PKCS#11 KeyStore (not started). */
export function pkcs11KeyStore (config: Pkcs11KeyStoreConfig, components: { logger: KeyStoreLogger }): KeyStore {
  return new SealedKeyStore({
    backend: 'pkcs11',
    sealer: new Pkcs11Sealer(config, components),
    records: new RecordStore(config.dir)
  })
}
