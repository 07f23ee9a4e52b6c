// The executors of the safeguard reducer's effects (protocol/safeguard/effects.ts): each does the
// non-deterministic or secret work an effect asks for and returns what to append — the envelopes
// it sends and the facts that record them — or nothing when the state shows the work recorded
// already (effects are idempotent per deposit). A release whose delay has not run yet throws
// NotDueError: the service tries it again at the due time.
import type { CID } from 'multiformats/cid'
import type { KeyStore } from '../../crypto/index.ts'
import type { DecodedEnvelope } from '../../protocol/envelope.ts'
import type { IpldValue } from '../../protocol/state/types.ts'
import { SAFEGUARD_EFFECTS, type SafeguardEffect, type SendEffect } from '../../protocol/safeguard/effects.ts'
import {
  acceptBody, decodeMessage, indexBody, RELEASE_INFO, releaseAad, releasedBody, sealedShareBody, SHARE_INFO, shareAad
} from '../../protocol/safeguard/messages.ts'
import { deposit } from '../../protocol/safeguard/queries.ts'
import { checkFact } from '../../protocol/safeguard/reduce.ts'
import type { DepositRecord, SafeguardState } from '../../protocol/safeguard/state.ts'
import { SAFEGUARD_FACTS, SAFEGUARD_MESSAGES, type MessageFact, type SafeguardMessageType } from '../../protocol/safeguard/types.ts'
import type { Logger } from '../logger.ts'
import type { CustodyNode } from './custody-port.ts'
import { combineIntoStore, destroyAll, newTransferKey } from './safeguard-keys.ts'
import type { PlanItem } from './safeguard-plan.ts'
import { NotDueError } from './service-base.ts'

export interface WorkComponents {
  readonly node: CustodyNode
  readonly keystore: KeyStore
  readonly state: () => SafeguardState
  readonly now: () => number
  readonly logger: Logger
}

type Options = { signal?: AbortSignal }

/** Seals `body` as a `type` message of the deposit (or a new deposit when `deposit` is null) and decodes the fact it establishes. */
export async function sealMessage (
  node: CustodyNode, depositId: CID | null, type: SafeguardMessageType, to: readonly CID[], body: IpldValue, prev: readonly CID[], options: Options = {}
): Promise<{ readonly envelope: DecodedEnvelope, readonly fact: MessageFact }> {
  const recipients = await Promise.all(to.map(async (c) => await node.resolve(c, options)))
  const envelope = node.seal(recipients, type, body, { thread: depositId, prev })
  return { envelope, fact: decodeMessage(envelope, body).fact }
}

export class Work {
  readonly #c: WorkComponents

  constructor (components: WorkComponents) {
    this.#c = components
  }

  /** What to append for `effect` (empty: nothing to do, or done already). */
  async execute (effect: SafeguardEffect, options: Options = {}): Promise<PlanItem[]> {
    const r = deposit(this.#c.state(), effect.deposit)
    if (r === undefined) throw new Error(`effect ${effect.type} names deposit ${effect.deposit.toString()}, which is not recorded`)
    switch (effect.type) {
      case SAFEGUARD_EFFECTS.accept: return await this.#accept(r, options)
      case SAFEGUARD_EFFECTS.deal: return await this.#deal(r, effect.index, options)
      case SAFEGUARD_EFFECTS.send: return await this.#send(r, effect, options)
      case SAFEGUARD_EFFECTS.release: return await this.#release(r, options)
      case SAFEGUARD_EFFECTS.combine: return await this.#combine(r, options)
      case SAFEGUARD_EFFECTS.destroy:
        await destroyAll(this.#c.keystore, effect.handles, options)
        return []
      case SAFEGUARD_EFFECTS.revokeShare: return await this.#revokeShare(r, options)
    }
  }

  async #accept (r: DepositRecord, options: Options): Promise<PlanItem[]> {
    const f = r.asFiduciary
    if (f === null || f.accept !== null || r.revoke !== null) return []
    const tk = await newTransferKey(this.#c.keystore, options)
    const m = await sealMessage(this.#c.node, r.id, SAFEGUARD_MESSAGES.accept, [r.principal], acceptBody(f.index, tk.key), [r.id], options)
    return [{ envelope: m.envelope }, { fact: { ...m.fact, kind: SAFEGUARD_FACTS.accept, index: f.index, key: tk.key, handle: tk.handle } }]
  }

  async #deal (r: DepositRecord, index: number, options: Options): Promise<PlanItem[]> {
    const p = r.asPrincipal
    const slot = p?.slots[index]
    const handle = p?.handles[index]
    const fiduciary = r.fiduciaries[index]
    if (slot === undefined || handle === undefined || fiduciary === undefined || slot.dealt !== null || slot.key === null || slot.accepted === null || r.revoke !== null) return []
    const sealed = await this.#c.keystore.release(handle, slot.key, SHARE_INFO, { aad: shareAad(r.id, fiduciary, index), ...options })
    const body = sealedShareBody({ index, enc: sealed.enc, ct: sealed.ciphertext })
    const m = await sealMessage(this.#c.node, r.id, SAFEGUARD_MESSAGES.share, [fiduciary], body, [slot.accepted], options)
    return [{ envelope: m.envelope }, { fact: m.fact }]
  }

  async #send (r: DepositRecord, e: SendEffect, options: Options): Promise<PlanItem[]> {
    if (e.message === SAFEGUARD_MESSAGES.held && (r.asFiduciary === null || r.asFiduciary.held !== null)) return []
    const m = await sealMessage(this.#c.node, r.id, e.message, e.to, e.body, e.prev, options)
    return [{ envelope: m.envelope }, { fact: m.fact }]
  }

  async #release (r: DepositRecord, options: Options): Promise<PlanItem[]> {
    const f = r.asFiduciary
    const request = r.request
    if (f === null || f.release !== null || f.share === null || request === null || r.revoke !== null || (r.approver !== null && r.approval === null)) return []
    const due = request.received + r.delayMs
    if (this.#c.now() < due) throw new NotDueError(due)
    const { node, keystore } = this.#c
    const beneficiary = await node.resolve(r.beneficiary, options)
    const sealed = await keystore.release(f.share, beneficiary.doc.encryptionKey, RELEASE_INFO, { aad: releaseAad(r.id, r.beneficiary, f.index), ...options })
    const body = sealedShareBody({ index: f.index, enc: sealed.enc, ct: sealed.ciphertext })
    const release = await sealMessage(node, r.id, SAFEGUARD_MESSAGES.release, [r.beneficiary], body, [request.envelope], options)
    // The envelope is dated by the wall clock, which may have stepped back since the check above:
    // never send a release this node's own rules would not record.
    const refusal = checkFact(this.#c.state(), release.fact, node.identity.cid)
    if (refusal?.name === 'DelayNotElapsedError') throw new NotDueError(due)
    if (refusal !== null) throw refusal
    const notice = await sealMessage(node, r.id, SAFEGUARD_MESSAGES.released, [r.principal], releasedBody(f.index, r.beneficiary, release.envelope.cid), [release.envelope.cid], options)
    this.#c.logger.info({ deposit: r.id.toString(), beneficiary: r.beneficiary.toString(), index: f.index }, 'safeguarded share released (sealed to the beneficiary)')
    return [{ envelope: release.envelope }, { fact: release.fact }, { envelope: notice.envelope }, { fact: notice.fact }]
  }

  async #combine (r: DepositRecord, options: Options): Promise<PlanItem[]> {
    const b = r.asBeneficiary
    if (b === null || b.recovered !== null) return []
    const shares = b.shares.flatMap((s, index) => s === null ? [] : [{ index, handle: s.handle }]).slice(0, r.threshold)
    if (shares.length < r.threshold) return []
    let handle: string
    try {
      handle = await combineIntoStore(this.#c.keystore, r, shares, options)
    } catch (err) {
      // Every share matched its own commitment, so the principal dealt shares of another secret:
      // no fiduciary is at fault and no further share would help. Reported, not retried.
      if ((err as Error).name !== 'CommitmentMismatchError') throw err
      this.#c.logger.error({ deposit: r.id.toString(), principal: r.principal.toString() }, 'the released shares do not combine into the committed secret (inconsistent dealing by the principal)')
      return []
    }
    this.#c.logger.info({ deposit: r.id.toString(), shares: shares.map((s) => s.index) }, 'safeguarded secret recovered into the key store')
    return [{ fact: { kind: SAFEGUARD_FACTS.recovered, deposit: r.id, handle, combined: shares.map((s) => s.index), time: this.#c.now() } }]
  }

  async #revokeShare (r: DepositRecord, options: Options): Promise<PlanItem[]> {
    const f = r.asFiduciary
    if (f === null || f.destroyed !== null || r.revoke === null) return []
    await destroyAll(this.#c.keystore, [f.share, f.transferKey].filter((h): h is string => h !== null), options)
    const m = await sealMessage(this.#c.node, r.id, SAFEGUARD_MESSAGES.destroyed, [r.principal], indexBody(f.index), [r.revoke], options)
    this.#c.logger.info({ deposit: r.id.toString() }, 'safeguarded share destroyed on revocation')
    return [{ envelope: m.envelope }, { fact: m.fact }]
  }
}
