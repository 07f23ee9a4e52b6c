// Errors of the custody crypto layer that the shared crypto/errors.ts does not name.

/** A signer's own consistency check failed (a computation fault); never expected in practice. */
export class SigningFaultError extends Error {
  constructor (message = 'BIP-340 signature failed its consistency check', options?: ErrorOptions) {
    super(message, options)
    this.name = 'SigningFaultError'
  }
}
