// What the safeguard service appends for one step of a deposit: the envelopes it sends and the
// facts they establish, in one group commit (each envelope before its fact). And which errors mean
// "this message is refused" (recorded as a `safeguard.rejected` fact, the deposit's record
// unchanged) rather than "this node failed" (thrown: the effect stays in the outbox and is tried
// again).
import type { DecodedEnvelope } from '../../protocol/envelope.ts'
import { factEntry } from '../../protocol/safeguard/facts.ts'
import type { SafeguardFact } from '../../protocol/safeguard/types.ts'
import type { CustodyNode } from './custody-port.ts'

export type PlanItem = { readonly fact: SafeguardFact } | { readonly envelope: DecodedEnvelope }

/** Appends the items in order, in one group commit (the appends are issued in one synchronous pass). */
export async function commitPlan (node: CustodyNode, items: readonly PlanItem[]): Promise<void> {
  await Promise.all(items.map(async (item) => {
    if ('envelope' in item) await node.recordSent(item.envelope)
    else await node.log.append(factEntry(item.fact))
  }))
}

const REFUSALS = new Set([
  'MalformedError', 'UnsupportedVersionError', 'DecryptionError',
  'UnknownDepositError', 'DepositRevokedError', 'UnauthorizedSenderError', 'WrongBeneficiaryError', 'DepositStateError',
  'DuplicateMessageError', 'AlreadyReleasedError', 'DelayNotElapsedError', 'TamperedShareError'
])

export function isRefusal (err: unknown): err is Error {
  return err instanceof Error && REFUSALS.has(err.name)
}
