// What the M-Pin service appends for one step of the flow: envelopes it sends and the facts they
// establish, in one group commit (envelope first, then its facts). And which errors mean "this
// message is refused" (recorded as a fact, the flow's state unchanged) rather than "this node
// failed" (thrown: the effect stays in the outbox and is tried again).
import type { MpinFact } from '../../protocol/mpin/types.ts'
import type { PlanItem as Item } from './service-base.ts'

/** Appended in one group commit by the service (ServiceCore.commit). */
export type PlanItem = Item<MpinFact>

const REFUSALS = new Set([
  'MalformedError', 'UnsupportedVersionError', 'InvalidPointError', 'InvalidKeyError', 'DecryptionError',
  'NotEntitledError', 'DateOutOfRangeError', 'UnknownRequestError', 'UnexpectedAnswerError', 'ShareMismatchError',
  'CommitmentChangedError', 'RoleError'
])

export function isRefusal (err: unknown): err is Error {
  return err instanceof Error && REFUSALS.has(err.name)
}
