// Typed errors of crypto/threshold/. Callers discriminate on `.name`; every class accepts
// `{ cause }`. Messages never contain secret values (shares, coefficients, private keys).
import { CryptoError } from '../errors.ts'

/** Base class of every threshold error. */
export class ThresholdError extends CryptoError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ThresholdError'
  }
}

/**
 * Bytes that should encode a scalar (32 bytes, big-endian, < n), a compressed secp256k1 point
 * (33 bytes, on the curve) or a proof (64 bytes) do not. Raised for malformed input only: a
 * well-formed share or proof that is simply wrong makes the verifier return false instead.
 */
export class ThresholdEncodingError extends ThresholdError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ThresholdEncodingError'
  }
}

/**
 * A threshold, participant index or index set is out of range: t < 1, t > n, an index that is
 * not an integer in 1..65536, duplicate indices, an index missing from its set, a hardened BIP-32
 * child index, a commitment list of the wrong length.
 */
export class ThresholdParameterError extends ThresholdError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ThresholdParameterError'
  }
}

/**
 * A result is the point at infinity or the zero scalar where a key is needed (a group key, a
 * public share, an interpolated secret, a BIP-32 child). With honest inputs this happens with
 * probability ≈ 2⁻²⁵⁶; seeing it means inconsistent or adversarial inputs.
 */
export class ThresholdDegenerateError extends ThresholdError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ThresholdDegenerateError'
  }
}
