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

/** Keeping a range of another node's log would take its copy past this node's replica quota. */
export class ReplicaQuotaError extends P2pError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ReplicaQuotaError'
  }
}

/**
 * A replica refused a request of `/milagro/log-replica/1.0.0`; `reason` is the refusal on the wire
 * ('unauthorized', 'not-replica', 'quota', 'no-link', 'rejected', 'too-large') and `problem` names
 * the entry a rejected range breaks at.
 */
export class ReplicaRefusedError extends P2pError {
  readonly reason: string
  readonly problem: { readonly code: string, readonly seq: number, readonly cid?: string, readonly message: string } | undefined
  constructor (reason: string, message: string, options?: ErrorOptions & { problem?: ReplicaRefusedError['problem'] }) {
    super(message, options)
    this.name = 'ReplicaRefusedError'
    this.reason = reason
    this.problem = options?.problem
  }
}
