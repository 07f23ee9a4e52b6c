// Typed errors of threshold custody (protocol/threshold/). Callers discriminate on `.name`; every
// class accepts `{ cause }`. Structural problems of a message reuse protocol/'s MalformedError and
// UnsupportedVersionError; a bad point is crypto/'s InvalidKeyError, a bad proof crypto/'s
// InvalidProofError. Names shared with the custody and safeguard flows (UnknownOrderError,
// UnauthorizedSenderError, WrongBeneficiaryError, OrderStateError, PrematureMessageError,
// DuplicateMessageError, AlreadyReleasedError, KeyMismatchError, AddressMismatchError) mean the
// same thing here, so the REST API answers them with the same statuses. Messages name orders,
// rounds, indexes and identities, never secret material.
import { ProtocolError } from '../errors.ts'

export class ThresholdCustodyError extends ProtocolError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ThresholdCustodyError'
  }
}

/** No order with this id is known to this node in a role that takes the message or operation. */
export class UnknownOrderError extends ThresholdCustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnknownOrderError'
  }
}

/** The sender is not the party entitled to send this message (a release request not from the principal, a deal from a non-dealer). */
export class UnauthorizedSenderError extends ThresholdCustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnauthorizedSenderError'
  }
}

/** A release request, or a release, names someone other than the order's beneficiary. */
export class WrongBeneficiaryError extends ThresholdCustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'WrongBeneficiaryError'
  }
}

/** The message does not fit the order's stage (a release before the address, a deal for a round not started). */
export class OrderStateError extends ThresholdCustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'OrderStateError'
  }
}

/**
 * The message needs a stage this node has not reached for the order yet, though it may: a dealer's
 * share overtaking the principal's start, a release overtaking the address. Not a refusal: the
 * node keeps the message and judges it again when the order moves.
 */
export class PrematureMessageError extends OrderStateError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PrematureMessageError'
  }
}

/** This order already recorded this message; the repeat is ignored. */
export class DuplicateMessageError extends ThresholdCustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DuplicateMessageError'
  }
}

/** The fiduciary already released its share; a repeated request is answered with the earlier release. */
export class AlreadyReleasedError extends ThresholdCustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AlreadyReleasedError'
  }
}

/** A key in a message (group key, public share, wallet key) differs from the one this node computed. */
export class KeyMismatchError extends ThresholdCustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KeyMismatchError'
  }
}

/** A published address is not the address of the published wallet key on the order's network. */
export class AddressMismatchError extends ThresholdCustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AddressMismatchError'
  }
}

/** A message restates the order's or the epoch's terms differently from what this node recorded. */
export class TermsMismatchError extends ThresholdCustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'TermsMismatchError'
  }
}

/** A dealing whose commitments do not fit the round (count, proof of knowledge, re-shared constant term). */
export class InvalidDealingError extends ThresholdCustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidDealingError'
  }
}

/** A share (released to the beneficiary) that does not match its public share; the error names the fiduciary. */
export class InvalidShareError extends ThresholdCustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidShareError'
  }
}

/** Fewer valid shares than the threshold: the wallet key cannot be combined (yet). */
export class InsufficientSharesError extends ThresholdCustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InsufficientSharesError'
  }
}
