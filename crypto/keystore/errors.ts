// Typed errors of crypto/keystore/. Callers discriminate on `.name`; every class accepts
// `{ cause }`. Messages never contain secret material or PINs — only handles, kinds, paths,
// token labels and PKCS#11 return-value names, all safe to log.
import { CryptoError } from '../errors.ts'

export class KeyStoreError extends CryptoError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KeyStoreError'
  }
}

/** A handle is not a string of the form `ks1:<kind>:<22-char base64url id>`. */
export class InvalidHandleError extends KeyStoreError {
  constructor (message = 'malformed key handle', options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidHandleError'
  }
}

/** A well-formed handle names no stored secret (never created, or destroyed). */
export class UnknownHandleError extends KeyStoreError {
  constructor (message = 'no secret is stored under this handle', options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnknownHandleError'
  }
}

/** The secret kind is not one the key store knows. */
export class UnsupportedKindError extends KeyStoreError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnsupportedKindError'
  }
}

/**
 * A wrapped record does not authenticate: its bytes were changed, it was moved to another
 * handle's file, or it was sealed under another key-encryption key.
 */
export class TamperedRecordError extends KeyStoreError {
  constructor (message = 'wrapped record failed authentication', options?: ErrorOptions) {
    super(message, options)
    this.name = 'TamperedRecordError'
  }
}

/** A method was called before `start()` or after `stop()`. */
export class KeyStoreNotStartedError extends KeyStoreError {
  constructor (message = 'key store is not started', options?: ErrorOptions) {
    super(message, options)
    this.name = 'KeyStoreNotStartedError'
  }
}

/** Configuration is inconsistent with what is on disk or in the token (refuses to start). */
export class KeyStoreConfigError extends KeyStoreError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KeyStoreConfigError'
  }
}

/** The key-encryption key that sealed the existing records cannot be found. */
export class KekNotFoundError extends KeyStoreError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KekNotFoundError'
  }
}

/** The key store's records are open in another store (another process: a running node). */
export class KeyStoreLockedError extends KeyStoreError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KeyStoreLockedError'
  }
}

/** A file holding a PIN, passphrase or key is readable by group/other, or not a regular file. */
export class InsecureFileError extends KeyStoreError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InsecureFileError'
  }
}

/** The PIN / passphrase source is missing (unset env var, absent or empty file). */
export class PinSourceError extends KeyStoreError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PinSourceError'
  }
}

/** The operator passphrase does not open the software key-encryption key. */
export class WrongPassphraseError extends KeyStoreError {
  constructor (message = 'wrong key store passphrase', options?: ErrorOptions) {
    super(message, options)
    this.name = 'WrongPassphraseError'
  }
}

/** The PKCS#11 module path does not exist or is not a loadable PKCS#11 library. */
export class ModuleNotFoundError extends KeyStoreError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ModuleNotFoundError'
  }
}

/** No slot holds a token with the configured label. */
export class TokenNotFoundError extends KeyStoreError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'TokenNotFoundError'
  }
}

/** C_Login refused the user PIN (CKR_PIN_INCORRECT, CKR_PIN_INVALID, CKR_PIN_LEN_RANGE). */
export class WrongPinError extends KeyStoreError {
  constructor (message = 'the token refused the user PIN', options?: ErrorOptions) {
    super(message, options)
    this.name = 'WrongPinError'
  }
}

/** The token locked the user PIN (CKR_PIN_LOCKED); an SO must unblock it. */
export class PinLockedError extends KeyStoreError {
  constructor (message = 'the token has locked the user PIN', options?: ErrorOptions) {
    super(message, options)
    this.name = 'PinLockedError'
  }
}

/** The existing key-encryption key in the token is extractable or not sensitive. */
export class KekPolicyError extends KeyStoreError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KekPolicyError'
  }
}

/** Any other PKCS#11 failure; `.code` is the CK_RV, the message names it. */
export class TokenError extends KeyStoreError {
  readonly code: number
  constructor (message: string, code: number, options?: ErrorOptions) {
    super(message, options)
    this.name = 'TokenError'
    this.code = code
  }
}
