// What the M-Pin service appends for one step of the flow: envelopes it sends and the facts they
// establish, in one group commit (envelope first, then its facts). And which errors mean "this
// message is refused" (recorded as a fact, the flow's state unchanged) rather than "this node
// failed" (thrown: the effect stays in the outbox and is tried again).
import type { DecodedEnvelope } from '../../protocol/envelope.ts'
import { factEntry } from '../../protocol/mpin/facts.ts'
import type { MpinFact } from '../../protocol/mpin/types.ts'
import type { CustodyNode } from './custody-port.ts'

export type PlanItem = { readonly fact: MpinFact } | { readonly envelope: DecodedEnvelope }

/** Appends the items in order, in one group commit (the appends are issued in one synchronous pass). */
export async function commitPlan (node: CustodyNode, items: readonly PlanItem[]): Promise<void> {
  await Promise.all(items.map(async (item) => {
    if ('envelope' in item) await node.recordSent(item.envelope)
    else await node.log.append(factEntry(item.fact))
  }))
}

const REFUSALS = new Set([
  'MalformedError', 'UnsupportedVersionError', 'InvalidPointError', 'InvalidKeyError', 'DecryptionError',
  'NotEntitledError', 'DateOutOfRangeError', 'UnknownRequestError', 'UnexpectedAnswerError', 'ShareMismatchError',
  'CommitmentChangedError', 'RoleError'
])

export function isRefusal (err: unknown): err is Error {
  return err instanceof Error && REFUSALS.has(err.name)
}
