// Typed errors of the M-Pin service (node/services/mpin*.ts): the authentication server's
// challenge bookkeeping and the operations of the REST API. Callers discriminate on `.name`;
// every class accepts `{ cause }`. (Refusals of the flow's messages are protocol/mpin/errors.ts;
// a failed authentication is crypto/'s BadPinError.)
import { NodeError } from '../errors.ts'

export class MpinServiceError extends NodeError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MpinServiceError'
  }
}

/** No pending pass-1 challenge has this id (never issued, or forgotten long after it expired). */
export class UnknownChallengeError extends MpinServiceError {
  constructor (message = 'no such M-Pin challenge', options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnknownChallengeError'
  }
}

/** The challenge was answered after its lifetime; it is spent. */
export class ChallengeExpiredError extends MpinServiceError {
  constructor (message = 'the M-Pin challenge expired', options?: ErrorOptions) {
    super(message, options)
    this.name = 'ChallengeExpiredError'
  }
}

/** A pass 2 for a challenge already answered: a replay. */
export class ChallengeUsedError extends MpinServiceError {
  constructor (message = 'the M-Pin challenge was already answered', options?: ErrorOptions) {
    super(message, options)
    this.name = 'ChallengeUsedError'
  }
}

/** The authentication server holds its maximum of pending challenges: try again later. */
export class TooManyChallengesError extends MpinServiceError {
  constructor (message = 'too many pending M-Pin challenges', options?: ErrorOptions) {
    super(message, options)
    this.name = 'TooManyChallengesError'
  }
}

/** This node holds no server secret for the curve: it is not (yet) an authentication server on it. */
export class NoServerSecretError extends MpinServiceError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NoServerSecretError'
  }
}

/** The server requires time permits and the client's pass 1 has no UT. */
export class TimePermitRequiredError extends MpinServiceError {
  constructor (message = 'this server requires time permits: send UT', options?: ErrorOptions) {
    super(message, options)
    this.name = 'TimePermitRequiredError'
  }
}

/** No issuance request with this id is known to this node. */
export class UnknownIssuanceError extends MpinServiceError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnknownIssuanceError'
  }
}

/** The issuance is not in a state for the operation (not complete, not this node's, a server secret to export). */
export class IssuanceStateError extends MpinServiceError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'IssuanceStateError'
  }
}
