// Typed errors of the M-Pin D-TA flow (protocol/mpin/). Callers discriminate on `.name`; every
// class accepts `{ cause }`. Structural problems of a message reuse protocol/'s MalformedError and
// UnsupportedVersionError; a bad point is crypto/'s InvalidPointError. The classes below are the
// decisions of the flow's rules: the message is well formed, but this node does not accept it.
// Messages name requests, identities and M-Pin ids, never secret material.
import { ProtocolError } from '../errors.ts'

export class MpinError extends ProtocolError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MpinError'
  }
}

/**
 * The entitlement rule (entitlement.ts) refuses the request: the sender may not ask for the
 * beneficiary, the beneficiary does not own the M-Pin id, or it may not hold a server secret.
 */
export class NotEntitledError extends MpinError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NotEntitledError'
  }
}

/** A time permit is asked for a date outside the D-TA's window around its today. */
export class DateOutOfRangeError extends MpinError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DateOutOfRangeError'
  }
}

/** A share or refusal names a request this node does not know. */
export class UnknownRequestError extends MpinError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnknownRequestError'
  }
}

/** A share or refusal that does not fit its request: not from one of its D-TAs, not for its beneficiary, another kind or curve, or a second answer from the same D-TA. */
export class UnexpectedAnswerError extends MpinError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnexpectedAnswerError'
  }
}

/** A D-TA answered with another master share (fingerprint) than the one it used before on that curve. */
export class CommitmentChangedError extends MpinError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CommitmentChangedError'
  }
}
