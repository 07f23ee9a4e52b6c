// Typed errors of protocol/. Callers discriminate on `.name`; every class accepts `{ cause }`.
// Signature and decryption failures reuse crypto/'s InvalidSignatureError and DecryptionError.

export class ProtocolError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ProtocolError'
  }
}

/** Bytes that do not parse as the expected structure (bad CBOR, non-canonical, wrong fields). */
export class MalformedError extends ProtocolError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MalformedError'
  }
}

/** A structure whose `v` this node does not speak. */
export class UnsupportedVersionError extends ProtocolError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnsupportedVersionError'
  }
}

/** Input over a documented size limit; rejected before it is parsed. */
export class OversizedError extends ProtocolError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'OversizedError'
  }
}

/** An envelope names the same recipient twice. */
export class DuplicateRecipientError extends ProtocolError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DuplicateRecipientError'
  }
}

/** The opening identity is not among an envelope's recipients. */
export class NotARecipientError extends ProtocolError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NotARecipientError'
  }
}

/** An identity CID this node cannot resolve to a verified identity document. */
export class UnknownIdentityError extends ProtocolError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnknownIdentityError'
  }
}

/** A document or envelope claims an identity that the presented document is not. */
export class IdentityMismatchError extends ProtocolError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'IdentityMismatchError'
  }
}

/** An envelope already seen (same CID) arrived again. */
export class ReplayedEnvelopeError extends ProtocolError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ReplayedEnvelopeError'
  }
}
