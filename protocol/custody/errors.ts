// Typed errors of the custody flow (protocol/custody/). Callers discriminate on `.name`; every
// class accepts `{ cause }`. Structural problems of a message reuse protocol/'s MalformedError and
// UnsupportedVersionError; a bad proof of possession is crypto/'s InvalidProofError, a bad point
// crypto/'s InvalidKeyError. The classes below are the decisions of the role rules (rules.ts):
// the message is well formed but this node does not accept it in the order's current state.
// Messages name orders and identities (CIDs), never secret material.
import { ProtocolError } from '../errors.ts'

export class CustodyError extends ProtocolError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CustodyError'
  }
}

/** No order with this id is known to this node in a role that takes this message. */
export class UnknownOrderError extends CustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnknownOrderError'
  }
}

/** An order names this node neither as beneficiary nor as fiduciary. */
export class NotAPartyError extends CustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NotAPartyError'
  }
}

/** The sender is not the party of the order entitled to send this message (e.g. a release request not from the principal). */
export class UnauthorizedSenderError extends CustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnauthorizedSenderError'
  }
}

/** A release request, or a release, names a beneficiary other than the order's. */
export class WrongBeneficiaryError extends CustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'WrongBeneficiaryError'
  }
}

/** A message restates the order's terms (beneficiary, fiduciary, network) differently from the order. */
export class TermsMismatchError extends CustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'TermsMismatchError'
  }
}

/** The fiduciary has not committed to this order: it has not generated its share and sent its key. */
export class OrderNotCommittedError extends CustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'OrderNotCommittedError'
  }
}

/** The share of this order was already released; a repeated request is answered with the earlier release. */
export class AlreadyReleasedError extends CustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AlreadyReleasedError'
  }
}

/** The message does not fit the order's stage (e.g. a release requested before the address is published). */
export class OrderStateError extends CustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'OrderStateError'
  }
}

/**
 * The message needs a stage this node has not reached for the order yet, though it may: e.g. the
 * fiduciary's release reaching the beneficiary before the principal's address (they travel on
 * different paths). Not a refusal: the node keeps the message and judges it again when the order moves.
 */
export class PrematureMessageError extends OrderStateError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PrematureMessageError'
  }
}

/** This order already recorded a message of this type; the repeat is ignored. */
export class DuplicateMessageError extends CustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DuplicateMessageError'
  }
}

/** A public key in a message (own share, wallet key, released share) differs from the one this node holds or computed. */
export class KeyMismatchError extends CustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KeyMismatchError'
  }
}

/** A published address is not the address of the published wallet key on the order's network. */
export class AddressMismatchError extends CustodyError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AddressMismatchError'
  }
}
