// Typed errors of safeguarded secrets (protocol/safeguard/). Callers discriminate on `.name`;
// every class accepts `{ cause }`. Structural problems of a message reuse protocol/'s
// MalformedError and UnsupportedVersionError; a share that does not open is crypto/'s
// DecryptionError, and combined shares that miss the secret's commitment are crypto/'s
// CommitmentMismatchError. Names shared with the custody flow (UnauthorizedSenderError, WrongBeneficiaryError,
// DuplicateMessageError, AlreadyReleasedError) mean the same thing here. Messages name deposits and
// identities (CIDs), never secret material.
import { ProtocolError } from '../errors.ts'

export class SafeguardError extends ProtocolError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SafeguardError'
  }
}

/** No deposit with this id is known to this node in a role that takes the message or operation. */
export class UnknownDepositError extends SafeguardError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnknownDepositError'
  }
}

/** The principal revoked the deposit: the fiduciaries destroyed their shares; nothing is released. */
export class DepositRevokedError extends SafeguardError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DepositRevokedError'
  }
}

/** The sender is not the party entitled to send this message (e.g. a release request from a stranger). */
export class UnauthorizedSenderError extends SafeguardError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnauthorizedSenderError'
  }
}

/** A release request, or a release, names someone other than the deposit's beneficiary. */
export class WrongBeneficiaryError extends SafeguardError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'WrongBeneficiaryError'
  }
}

/** The message does not fit the deposit's stage (e.g. a release request before the share is held). */
export class DepositStateError extends SafeguardError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DepositStateError'
  }
}

/** This deposit already recorded this message; the repeat is ignored. */
export class DuplicateMessageError extends SafeguardError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DuplicateMessageError'
  }
}

/** The fiduciary already released its share; a repeated request is answered with the earlier release. */
export class AlreadyReleasedError extends SafeguardError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AlreadyReleasedError'
  }
}

/** A release sent before the deposit's delay elapsed on the fiduciary's clock. */
export class DelayNotElapsedError extends SafeguardError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DelayNotElapsedError'
  }
}

/** A share that does not match its commitment recorded at deposit; the error names the party that sent it. */
export class TamperedShareError extends SafeguardError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'TamperedShareError'
  }
}

/** Fewer valid shares than the deposit's threshold: reconstruction is refused. */
export class InsufficientSharesError extends SafeguardError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InsufficientSharesError'
  }
}
