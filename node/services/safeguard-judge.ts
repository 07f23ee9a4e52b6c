// What a node makes of a safeguard envelope addressed to it: the fact to record. The message is
// validated at the boundary (protocol/safeguard/messages.ts), then judged by the same rules the
// reducer applies (checkFact). Anything refused becomes a `safeguard.rejected` fact naming the
// typed error; the deposit's record stays as it was.
//
// Two messages carry a sealed share, and only once the rules accept the message is it opened:
//   safeguard/share    at fiduciary i: opened with the deposit's transfer key inside the key
//                      store, checked against commitment i, imported (safeguard-keys.ts)
//   safeguard/release  at the beneficiary: opened with the node's encryption key, checked against
//                      commitment i — a share that does not match is refused with a
//                      TamperedShareError whose fact names the fiduciary that sent it — imported
// A release request is stamped with this node's clock (`received`): a fiduciary's delay runs from
// there, whatever time the requester wrote in its envelope.
//
// A repeated release request, once the share is released, is answered with the earlier release:
// the same envelopes are queued again, and nothing is released twice.
//
// Errors that are not the sender's fault — key store or storage failures — are thrown, not
// recorded: the effect that asked for the judgement stays in the outbox and is tried again.
import type { CID } from 'multiformats/cid'
import type { KeyStore } from '../../crypto/index.ts'
import type { DecodedEnvelope } from '../../protocol/envelope.ts'
import { DepositStateError } from '../../protocol/safeguard/errors.ts'
import { rejectedFact } from '../../protocol/safeguard/facts.ts'
import { decodeMessage } from '../../protocol/safeguard/messages.ts'
import { deposit } from '../../protocol/safeguard/queries.ts'
import { checkFact } from '../../protocol/safeguard/reduce.ts'
import type { SafeguardState } from '../../protocol/safeguard/state.ts'
import { SAFEGUARD_FACTS, type SafeguardFact } from '../../protocol/safeguard/types.ts'
import type { CustodyNode } from './custody-port.ts'
import { holdShare, keepReleased } from './safeguard-keys.ts'
import { isRefusal } from './safeguard-plan.ts'

export interface JudgeComponents {
  readonly node: CustodyNode
  readonly keystore: KeyStore
  readonly state: () => SafeguardState
  readonly now: () => number
  /** Roles this node serves: a deposit naming it in another role is refused. */
  readonly roles: ReadonlySet<string>
}

type Options = { signal?: AbortSignal }

/** The fact this node records for `envelope` (addressed to it) with opened `body`; `final`: an unknown deposit is refused rather than thrown for parking. */
export async function judge (c: JudgeComponents, envelope: DecodedEnvelope, body: unknown, options: Options & { final?: boolean } = {}): Promise<SafeguardFact> {
  const self = c.node.identity.cid
  try {
    const decoded = decodeMessage(envelope, body)
    const sealed = decoded.sealed
    let fact = decoded.fact
    if (fact.kind === SAFEGUARD_FACTS.releaseRequest) fact = { ...fact, received: c.now() }
    if (fact.kind === SAFEGUARD_FACTS.deposit) {
      if (fact.fiduciaries.some((f) => f.equals(self)) && !c.roles.has('fiduciary')) throw new DepositStateError('this node does not serve as fiduciary')
      if (fact.beneficiary.equals(self) && !c.roles.has('beneficiary')) throw new DepositStateError('this node does not serve as beneficiary')
    }
    const refusal = checkFact(c.state(), fact, self, { beforeImport: true })
    if (refusal !== null) throw refusal
    if (fact.kind === SAFEGUARD_FACTS.share && sealed !== undefined) {
      const r = deposit(c.state(), fact.deposit)
      const f = r?.asFiduciary
      if (r === undefined || f == null || f.transferKey === null) throw new Error('checkFact took a share this node has no transfer key for')
      return { ...fact, handle: await holdShare(c.keystore, f.transferKey, fact.deposit, self, r, r.principal, sealed, options) }
    }
    if (fact.kind === SAFEGUARD_FACTS.release && sealed !== undefined) {
      const r = deposit(c.state(), fact.deposit)
      if (r === undefined) throw new Error('checkFact took a release of an unknown deposit')
      return { ...fact, handle: await keepReleased(c.keystore, c.node.encryptionSecretKey, fact.deposit, self, r, fact.from, sealed, options) }
    }
    return fact
  } catch (err) {
    if (!isRefusal(err)) throw err
    // An unknown deposit may be one whose deposit envelope is still on its way (a release can
    // overtake it: P→F→B against P→B): the service parks the envelope and judges it again.
    if (err.name === 'UnknownDepositError' && options.final !== true && envelope.header.type !== 'safeguard/deposit') throw err
    const answer = err.name === 'AlreadyReleasedError' && envelope.header.thread !== null ? await answerAgain(c, envelope.header.thread) : []
    return rejectedFact(envelope, err, answer)
  }
}

/** Queues the earlier release and its announcement again; returns their CIDs. */
async function answerAgain (c: JudgeComponents, id: CID): Promise<CID[]> {
  const f = deposit(c.state(), id)?.asFiduciary
  const out: CID[] = []
  for (const cid of [f?.release, f?.released]) {
    if (cid == null) continue
    await c.node.requeue(cid)
    out.push(cid)
  }
  return out
}
