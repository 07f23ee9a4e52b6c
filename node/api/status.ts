// HTTP status of each typed error the API can answer with. Errors not listed are answered 500
// with a generic message (and logged): their text may describe the node's internals.
const STATUS: Readonly<Record<string, number>> = {
  ValidationError: 400,
  InvalidRequestError: 400,
  MalformedError: 400,
  UnauthenticatedError: 401,
  RoleError: 403,
  NotFoundError: 404,
  UnknownOrderError: 404,
  UnknownIdentityError: 404,
  OrderStateError: 409,
  DuplicateMessageError: 409,
  AlreadyReleasedError: 409,
  NotAPartyError: 409,
  OrderNotCommittedError: 409,
  KeyMismatchError: 409,
  ServiceStoppedError: 503,
  NotStartedError: 503,
  // M-Pin (node/api/mpin-routes.ts)
  InvalidPointError: 400,
  InvalidKeyError: 400,
  TimePermitRequiredError: 400,
  UnknownIssuanceError: 404,
  UnknownRequestError: 404,
  UnknownChallengeError: 404,
  IssuanceStateError: 409,
  NoServerSecretError: 409,
  ChallengeUsedError: 409,
  ChallengeExpiredError: 410,
  TooManyChallengesError: 503,
  // Safeguard and backup (node/api/safeguard-routes.ts)
  UnknownDepositError: 404,
  UnknownBackupError: 404,
  DepositStateError: 409,
  DepositRevokedError: 409,
  InsufficientSharesError: 409,
  UnauthorizedSenderError: 403,
  WrongBeneficiaryError: 409,
  BackupError: 409,
  // Threshold custody (node/api/threshold-routes.ts)
  PrematureMessageError: 409,
  TermsMismatchError: 409,
  AddressMismatchError: 409,
  InvalidDealingError: 409,
  InvalidShareError: 409
}

export interface HttpError {
  readonly status: number
  readonly name: string
  readonly message: string
}

export function httpError (err: unknown): HttpError {
  const e = err as Error & { statusCode?: number, code?: string }
  const status = STATUS[e.name]
  if (status !== undefined) return { status, name: e.name, message: e.message }
  // Fastify's own client errors (bad JSON, wrong content type, body too large).
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, name: e.statusCode === 413 ? 'PayloadTooLargeError' : 'ValidationError', message: e.message }
  }
  return { status: 500, name: 'InternalError', message: 'internal error (see the node log)' }
}
