// Typed errors of crypto/mpin/. Malformed or off-curve points raise crypto/'s InvalidPointError,
// malformed scalars its InvalidKeyError; this file adds the authentication outcome.
import { CryptoError } from '../errors.ts'

/**
 * The M-Pin server check failed (Milagro's MPIN_BAD_PIN, −19): e(V, Q)·e(y·A' + U', sQ) ≠ 1.
 * A wrong PIN, a wrong or stolen token, a wrong identity, a wrong or missing time permit and a
 * V computed for another challenge all end here — the pairing cannot tell them apart, and a
 * server should not try to.
 */
export class BadPinError extends CryptoError {
  readonly code = -19
  constructor (message = 'M-Pin authentication failed', options?: ErrorOptions) {
    super(message, options)
    this.name = 'BadPinError'
  }
}
