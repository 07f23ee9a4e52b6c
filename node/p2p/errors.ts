// Typed errors of node/p2p/. Callers discriminate on `.name`; every class accepts `{ cause }`.

export class P2pError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'P2pError'
  }
}

/** A frame on a stream is longer than the protocol allows; it was not read. */
export class FrameTooLargeError extends P2pError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'FrameTooLargeError'
  }
}

/** A stream ended, or carried bytes that are not a frame of the protocol spoken on it. */
export class ProtocolViolationError extends P2pError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ProtocolViolationError'
  }
}

/** An identity document was refused by the directory; `reason` says why (see directory.ts). */
export class IdentityRejectedError extends P2pError {
  readonly reason: string
  constructor (reason: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'IdentityRejectedError'
    this.reason = reason
  }
}

/** An identity CID could not be resolved to a verified document (not known, not fetchable). */
export class IdentityNotFoundError extends P2pError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'IdentityNotFoundError'
  }
}

/** No route to a peer: unknown address, dial failed, or the protocol is not spoken. */
export class PeerUnreachableError extends P2pError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PeerUnreachableError'
  }
}

/** A component was used before `start()` or after `stop()`. */
export class NotStartedError extends P2pError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NotStartedError'
  }
}
