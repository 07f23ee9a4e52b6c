// What the safeguard service appends for one step of a deposit: the envelopes it sends and the
// facts they establish, in one group commit (each envelope before its fact). And which errors mean
// "this message is refused" (recorded as a `safeguard.rejected` fact, the deposit's record
// unchanged) rather than "this node failed" (thrown: the effect stays in the outbox and is tried
// again).
import type { SafeguardFact } from '../../protocol/safeguard/types.ts'
import type { PlanItem as Item } from './service-base.ts'

/** Appended in one group commit by the service (ServiceCore.commit). */
export type PlanItem = Item<SafeguardFact>

const REFUSALS = new Set([
  'MalformedError', 'UnsupportedVersionError', 'DecryptionError',
  'UnknownDepositError', 'DepositRevokedError', 'UnauthorizedSenderError', 'WrongBeneficiaryError', 'DepositStateError',
  'DuplicateMessageError', 'AlreadyReleasedError', 'DelayNotElapsedError', 'TamperedShareError'
])

export function isRefusal (err: unknown): err is Error {
  return err instanceof Error && REFUSALS.has(err.name)
}
