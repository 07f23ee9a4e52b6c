// Loading a PKCS#11 module, and turning its return values into the key store's typed errors.
//
// A Cryptoki library is initialised once per process (C_Initialize a second time returns
// CKR_CRYPTOKI_ALREADY_INITIALIZED and C_Finalize ends it for every user), and a token's login
// state is shared by all sessions of the process. Several key stores may run in one process
// (in-process multi-node simulations, one token each), so modules and logins are reference
// counted here: the last lease finalizes the module, the last login to a slot logs out. This
// map is the one process-wide table of the key store, mirroring state the library itself keeps
// per process.
//
// Because the login is the process's, C_Login on a token the process is logged in to returns
// CKR_USER_ALREADY_LOGGED_IN without looking at the PIN: a second store on the token (two nodes
// sharing an HSM partition in one process) would start with any PIN. So each login here keeps an
// HMAC of the PIN that logged in (under a random key of this process, never written anywhere),
// and a later login whose PIN differs is refused with WrongPinError. A token logged in to by code
// outside these leases cannot be checked without logging that code out: such a PIN is taken as is.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import pkcs11js from 'pkcs11js'
import { ModuleNotFoundError, PinLockedError, TokenError, WrongPinError } from './errors.ts'
import { isErrnoCode } from './files.ts'

export type Pkcs11 = InstanceType<typeof pkcs11js.PKCS11>
export type Pkcs11Handle = Buffer

interface Login {
  count: number
  /** HMAC of the PIN that logged the process in (null: logged in by code outside these leases). */
  proof: Buffer | null
}

interface LoadedModule {
  readonly p11: Pkcs11
  readonly owned: boolean
  refs: number
  readonly logins: Map<string, Login>
  /** Key of the PIN proofs: random, this process only. */
  readonly pinKey: Buffer
}

const modules = new Map<string, LoadedModule>()

export interface ModuleLease {
  readonly p11: Pkcs11
  readonly path: string
  /**
   * Logs the user in on `session`'s token unless this process already is — then the PIN must be the
   * one it logged in with (WrongPinError otherwise); counted per slot.
   */
  login (slot: Pkcs11Handle, session: Pkcs11Handle, pin: string): void
  /** Drops one login of `slot` without C_Logout (the token already logged out: session lost). */
  forgetLogin (slot: Pkcs11Handle): void
  /** Drops one login of `slot`; the last one calls C_Logout on `session`. */
  logout (slot: Pkcs11Handle, session: Pkcs11Handle): void
  /** Drops the lease; the last one calls C_Finalize (when this code initialised the module). */
  release (): void
}

/** Loads and initialises the module at `path` (or shares it). ModuleNotFoundError if unloadable. */
export async function acquireModule (path: string): Promise<ModuleLease> {
  const key = resolve(path)
  let isFile: boolean
  try {
    isFile = (await stat(key)).isFile()
  } catch (err) {
    if (isErrnoCode(err, 'ENOENT')) throw new ModuleNotFoundError(`PKCS#11 module ${key} does not exist`, { cause: err })
    throw err
  }
  if (!isFile) throw new ModuleNotFoundError(`PKCS#11 module ${key} is not a file`)
  let entry = modules.get(key)
  if (entry === undefined) {
    const p11 = new pkcs11js.PKCS11()
    try {
      p11.load(key)
    } catch (err) {
      throw new ModuleNotFoundError(`cannot load PKCS#11 module ${key}`, { cause: err })
    }
    let owned = true
    try {
      p11.C_Initialize()
    } catch (err) {
      if (codeOf(err) !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        p11.close()
        throw toTokenError(err, 'C_Initialize')
      }
      owned = false // initialised by other code in this process: it finalizes, not us
    }
    entry = { p11, owned, refs: 0, logins: new Map(), pinKey: randomBytes(32) }
    modules.set(key, entry)
  }
  entry.refs++
  const e = entry
  let released = false
  return {
    p11: e.p11,
    path: key,
    login (slot, session, pin) {
      const slotKey = slot.toString('hex')
      const current = e.logins.get(slotKey)
      const proof = createHmac('sha256', e.pinKey).update(pin, 'utf8').digest()
      let checked = true
      try {
        e.p11.C_Login(session, pkcs11js.CKU_USER, pin)
      } catch (err) {
        if (codeOf(err) !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw loginError(err)
        // The token did not look at this PIN: compare it with the one the process logged in with.
        const known = current?.proof ?? null
        if (known !== null && !timingSafeEqual(known, proof)) {
          throw new WrongPinError('wrong user PIN: not the PIN this process is logged in to the token with', { cause: err })
        }
        checked = known !== null
      }
      if (current === undefined) e.logins.set(slotKey, { count: 1, proof: checked ? proof : null })
      else {
        current.count++
        if (checked) current.proof = proof
      }
    },
    forgetLogin (slot) {
      const slotKey = slot.toString('hex')
      const current = e.logins.get(slotKey)
      if (current !== undefined && --current.count <= 0) e.logins.delete(slotKey)
    },
    logout (slot, session) {
      const slotKey = slot.toString('hex')
      const current = e.logins.get(slotKey)
      if (current !== undefined && --current.count > 0) return
      e.logins.delete(slotKey)
      try {
        e.p11.C_Logout(session)
      } catch (err) {
        if (codeOf(err) !== pkcs11js.CKR_USER_NOT_LOGGED_IN && !isSessionLost(err)) throw toTokenError(err, 'C_Logout')
      }
    },
    release () {
      if (released) return
      released = true
      if (--e.refs > 0) return
      modules.delete(key)
      try {
        if (e.owned) e.p11.C_Finalize()
      } finally {
        e.p11.close()
      }
    }
  }
}

/** The CK_RV of a pkcs11js error, or undefined for anything else. */
export function codeOf (err: unknown): number | undefined {
  return err instanceof pkcs11js.Pkcs11Error ? err.code : undefined
}

let names: Map<number, string> | undefined
/** 'CKR_PIN_INCORRECT' for 0xa0, from pkcs11js' constants. */
export function ckrName (code: number): string {
  if (names === undefined) {
    names = new Map()
    for (const [k, v] of Object.entries(pkcs11js)) if (k.startsWith('CKR_') && typeof v === 'number' && !names.has(v)) names.set(v, k)
  }
  return names.get(code) ?? `CKR_0x${code.toString(16)}`
}

/** The session (or the token under it) is gone: reopen and retry once. */
export function isSessionLost (err: unknown): boolean {
  const code = codeOf(err)
  return code === pkcs11js.CKR_SESSION_HANDLE_INVALID || code === pkcs11js.CKR_SESSION_CLOSED ||
    code === pkcs11js.CKR_DEVICE_REMOVED || code === pkcs11js.CKR_TOKEN_NOT_PRESENT ||
    code === pkcs11js.CKR_USER_NOT_LOGGED_IN
}

/** C_Login failures: WrongPinError / PinLockedError, else TokenError. */
export function loginError (err: unknown): Error {
  const code = codeOf(err)
  if (code === pkcs11js.CKR_PIN_INCORRECT || code === pkcs11js.CKR_PIN_INVALID || code === pkcs11js.CKR_PIN_LEN_RANGE) {
    return new WrongPinError(undefined, { cause: err })
  }
  if (code === pkcs11js.CKR_PIN_LOCKED) return new PinLockedError(undefined, { cause: err })
  return toTokenError(err, 'C_Login')
}

/** A pkcs11js error as TokenError naming the call and the CK_RV; other errors unchanged. */
export function toTokenError (err: unknown, call: string): Error {
  const code = codeOf(err)
  if (code !== undefined) return new TokenError(`${call} failed: ${ckrName(code)}`, code, { cause: err })
  return err instanceof Error ? err : new Error(String(err))
}
