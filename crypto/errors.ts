// Typed errors of crypto/. Callers discriminate on `.name`; every class accepts `{ cause }`.
// Programmer mistakes (wrong argument types) stay TypeError / RangeError.

export class CryptoError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CryptoError'
  }
}

/** A key has the wrong length or encoding, or is not a valid point / scalar. */
export class InvalidKeyError extends CryptoError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidKeyError'
  }
}

/** A signature does not verify. */
export class InvalidSignatureError extends CryptoError {
  constructor (message = 'signature does not verify', options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidSignatureError'
  }
}

/** AEAD / HPKE open failed: wrong key, tampered ciphertext or associated data. */
export class DecryptionError extends CryptoError {
  constructor (message = 'decryption failed', options?: ErrorOptions) {
    super(message, options)
    this.name = 'DecryptionError'
  }
}

/** A Diffie-Hellman output was all zero (low-order public key), RFC 7748 §6.1 / RFC 9180 §7.1.4. */
export class LowOrderPointError extends CryptoError {
  constructor (message = 'key agreement produced the all-zero value (low-order point)', options?: ErrorOptions) {
    super(message, options)
    this.name = 'LowOrderPointError'
  }
}

/** A point is not on the curve / not in the prime-order subgroup, or an encoding is malformed. */
export class InvalidPointError extends CryptoError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidPointError'
  }
}

/** An HPKE context's sequence number is exhausted (RFC 9180 §5.2); set up a new context. */
export class MessageLimitReachedError extends CryptoError {
  constructor (message = 'HPKE message limit reached for this context', options?: ErrorOptions) {
    super(message, options)
    this.name = 'MessageLimitReachedError'
  }
}

/** A Bitcoin or Ethereum address is malformed, has a bad checksum, or belongs to another network. */
export class InvalidAddressError extends CryptoError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidAddressError'
  }
}

/** A proof (e.g. a custody proof of possession of a key) does not verify for its key and context. */
export class InvalidProofError extends CryptoError {
  constructor (message = 'proof does not verify', options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidProofError'
  }
}

/** A revealed value (key, combined secret) does not match what was committed to earlier. */
export class CommitmentMismatchError extends CryptoError {
  constructor (message = 'revealed value does not match its commitment', options?: ErrorOptions) {
    super(message, options)
    this.name = 'CommitmentMismatchError'
  }
}
