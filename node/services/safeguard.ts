// The safeguard service: secrets deposited k-of-n with fiduciaries for a named beneficiary
// (protocol/safeguard), on top of the node's log, envelopes and key store.
//
// Built like the custody and M-Pin services: the log is the truth. The service never changes
// state itself: it does the non-deterministic or secret work (split a secret, make a transfer key,
// open and keep a share, release one, combine shares, destroy records) and appends the facts
// recording the result; the reducer (protocol/safeguard/reduce.ts, folded by the node's machine
// with `withSafeguard`) does the rest and asks for the next effects. Effects and received
// envelopes (the inbox's `envelope.open` of `safeguard/*` types) come from the log — from
// `log:append` while running and from `log.pending()` at start — and every executor first asks
// the state whether its work is recorded, so a crash between the work and its fact repeats the
// work at most once and never loses it. Work on one deposit runs in one lane. That loop is
// ServiceCore's (service-base.ts).
//
// A release whose deposit sets a delay waits, on this node's clock, until the delay has run since
// the request was recorded (a timer; after a restart the pending effect sets it again). A message
// about a deposit this node has not recorded yet (a release overtaking its deposit) is parked and
// judged again on the deposit's next fact, or refused as unknown after `parkTtlMs`.
//
// Secrets and shares never appear in clear in a fact, an effect, a log line or an API response:
// shares travel sealed to a per-deposit transfer key (to a fiduciary) or to the beneficiary's
// identity key, live in key stores, and a recovered secret leaves the beneficiary's key store only
// HPKE-sealed to a key its operator chose (`exportSecret`).
import { EventEmitter } from 'node:events'
import type { CID } from 'multiformats/cid'
import type { KeyStore } from '../../crypto/index.ts'
import { DepositRevokedError, DepositStateError, InsufficientSharesError, UnknownDepositError } from '../../protocol/safeguard/errors.ts'
import { isSafeguardEffect, type SafeguardEffect } from '../../protocol/safeguard/effects.ts'
import { getOrder } from '../../protocol/custody/order-map.ts'
import { factEntry, readFact, rejectedFact } from '../../protocol/safeguard/facts.ts'
import { checkTerms, depositBody, depositRecipients, emptyBody, releaseRequestBody } from '../../protocol/safeguard/messages.ts'
import { mayRequest } from '../../protocol/safeguard/rules-release.ts'
import { checkFact } from '../../protocol/safeguard/reduce.ts'
import { deposit, depositView, releasedCount, summary, type DepositView } from '../../protocol/safeguard/queries.ts'
import { checkSplit, MAX_SECRET_BYTES } from '../../protocol/safeguard/sharing.ts'
import type { DepositRecord, SafeguardState } from '../../protocol/safeguard/state.ts'
import { isSafeguardMessageType, SAFEGUARD_FACTS, SAFEGUARD_MESSAGES, type DepositFact, type Requesters, type SafeguardFact } from '../../protocol/safeguard/types.ts'
import type { Appended } from '../../storage/log.ts'
import type { Logger } from '../logger.ts'
import type { NodeService } from '../node.ts'
import type { CustodyNode } from './custody-port.ts'
import { InvalidRequestError, RoleError } from './errors.ts'
import type { SealedSecret } from './safeguard-export.ts'
import { judge, type JudgeComponents } from './safeguard-judge.ts'
import { exportRecovered, splitIntoStore } from './safeguard-keys.ts'
import { pageOfDeposits, type DepositPage } from './safeguard-pages.ts'
import { sealMessage, Work } from './safeguard-work.ts'
import { ServiceCore } from './service-base.ts'

export interface SafeguardComponents {
  readonly node: CustodyNode
  /** Started by whichever service starts first (custody starts it; its stop stops it). */
  readonly keystore: KeyStore
  readonly logger: Logger
}

export interface SafeguardInit {
  /** Roles this node serves (default all three); a deposit naming it in another role is refused. */
  readonly roles?: readonly string[]
  /** First retry delay of a failed effect (ms, default 500), doubled per attempt up to 30 s. */
  readonly retryMs?: number
  /** How long a message about a deposit not recorded yet waits for it before it is refused (ms, default 60 s). */
  readonly parkTtlMs?: number
  /** Messages waiting for their deposit, at most (default 1,024); beyond, they are refused at once. */
  readonly maxParked?: number
}

export interface SafeguardEvents {
  /** A safeguard fact about a deposit was appended (the deposit id, and the fact). */
  'deposit:updated': [string, SafeguardFact]
}

export interface NewDeposit {
  readonly secret: Uint8Array
  readonly beneficiary: CID
  readonly fiduciaries: readonly CID[]
  /** Default: all of them (n-of-n). */
  readonly threshold?: number
  readonly requesters?: Requesters
  readonly delayMs?: number
  readonly approver?: CID | null
  readonly label?: string
}

export interface ExportedSecret extends SealedSecret {
  readonly size: number
}

type Options = { signal?: AbortSignal }

export class SafeguardService extends EventEmitter<SafeguardEvents> implements NodeService {
  readonly #c: SafeguardComponents
  readonly #roles: ReadonlySet<string>
  readonly #now: () => number
  readonly #work: Work
  readonly #core: ServiceCore<SafeguardFact, SafeguardEffect>

  constructor (components: SafeguardComponents, init: SafeguardInit = {}) {
    super()
    this.#c = components
    this.#roles = new Set(init.roles ?? ['principal', 'fiduciary', 'beneficiary'])
    // The wall clock that also dates the envelopes this node seals: a release's date is checked
    // against the request's `received` on the same clock.
    this.#now = Date.now
    const { node, keystore, logger } = components
    const state = (): SafeguardState => this.state
    this.#work = new Work({ node, keystore, state, now: this.#now, logger })
    const judging: JudgeComponents = { node, keystore, state, now: this.#now, roles: this.#roles }
    this.#core = new ServiceCore({
      name: 'safeguard',
      node,
      keystore,
      logger,
      folds: (s) => {
        const slice = (s as { safeguard?: Partial<SafeguardState> } | null)?.safeguard
        return typeof s === 'object' && slice?.deposits !== undefined && slice.refusals !== undefined
      },
      foldsHint: 'the node log does not fold the safeguard reducer: create the node with machine: withSafeguard(…nodeMachine())',
      entry: factEntry,
      accepts: isSafeguardEffect,
      execute: async (effect) => {
        await this.#core.lane(effect.deposit.toString(), async () => {
          const items = await this.#work.execute(effect)
          if (items.length > 0) await this.#core.commit(items)
        })
        return true
      },
      messages: isSafeguardMessageType,
      judge: {
        judged: (id, envelope) => this.#judged(id, envelope.cid),
        judge: async (envelope, body, final) => await judge(judging, envelope, body, { final }),
        early: (err) => (err as Error).name === 'UnknownDepositError',
        // An envelope that does not open, or does not parse, addressed to this node: refused.
        refused: (err) => (err as Error).name === 'DecryptionError' || (err as Error).name === 'MalformedError',
        rejected: rejectedFact,
        refusal: (fact) => fact.kind === SAFEGUARD_FACTS.rejected ? fact : undefined,
        record: async (fact, done) => { await this.#core.commit([{ fact }], done) }
      },
      appended: (entry) => { this.#appended(entry) },
      retryMs: init.retryMs ?? 500,
      parkTtlMs: init.parkTtlMs ?? 60_000,
      maxParked: init.maxParked ?? 1024,
      now: this.#now
    })
  }

  /** The safeguard slice of the node's state. */
  get state (): SafeguardState {
    return (this.#c.node.log.state as { safeguard: SafeguardState }).safeguard
  }

  async start (options: Options = {}): Promise<void> {
    await this.#core.start(options)
  }

  async stop (): Promise<void> {
    await this.#core.stop()
  }

  // ---- operations (REST API) ----

  #record (id: CID): DepositRecord {
    const r = deposit(this.state, id)
    if (r === undefined) throw new UnknownDepositError(`deposit ${id.toString()} is not known to this node`)
    return r
  }

  #view (id: CID | string): DepositView {
    return depositView(this.state, id) as DepositView
  }

  /**
   * Deposits `secret` as principal: splits it, keeps the shares in the key store until each
   * fiduciary has a transfer key to receive its own, and sends the deposit to the parties.
   * Resolves once the deposit is in the log (the shares follow as the fiduciaries accept).
   */
  async deposit (input: NewDeposit, options: Options = {}): Promise<DepositView> {
    this.#core.assertRunning()
    if (!this.#roles.has('principal')) throw new RoleError('this node does not serve as principal')
    const { node, keystore } = this.#c
    const self = node.identity.cid
    if (!(input.secret instanceof Uint8Array) || input.secret.length < 1 || input.secret.length > MAX_SECRET_BYTES) {
      throw new InvalidRequestError(`a safeguarded secret is 1..${MAX_SECRET_BYTES} bytes`)
    }
    if (input.beneficiary.equals(self) && !this.#roles.has('beneficiary')) throw new RoleError('this node does not serve as beneficiary')
    const n = input.fiduciaries.length
    const k = input.threshold ?? n
    try {
      checkSplit(input.secret.length, n, k)
    } catch (err) {
      throw new InvalidRequestError((err as Error).message, { cause: err })
    }
    const draft = {
      beneficiary: input.beneficiary,
      fiduciaries: input.fiduciaries,
      threshold: k,
      size: input.secret.length,
      salt: new Uint8Array(32),
      commitment: new Uint8Array(32),
      shares: input.fiduciaries.map(() => new Uint8Array(32)),
      requesters: input.requesters ?? 'principal',
      delayMs: input.delayMs ?? 0,
      approver: input.approver ?? null,
      label: input.label ?? ''
    }
    checkTerms(self, draft, (m) => new InvalidRequestError(m))
    const to = depositRecipients(self, draft)
    await Promise.all(to.map(async (c) => await node.resolve(c, options))) // UnknownIdentityError before any secret work
    const split = await splitIntoStore(keystore, input.secret, n, k, options)
    const terms = { ...draft, salt: split.salt, commitment: split.commitment, shares: split.commitments }
    const m = await sealMessage(node, null, SAFEGUARD_MESSAGES.deposit, to, depositBody(terms), [], options)
    const fact: DepositFact = { ...(m.fact as DepositFact), handles: split.handles }
    await this.#core.commit([{ envelope: m.envelope }, { fact }])
    this.#c.logger.info({ deposit: m.envelope.cid.toString(), fiduciaries: n, threshold: k, size: input.secret.length }, 'secret deposited')
    return this.#view(m.envelope.cid)
  }

  /** Asks the fiduciaries to release to the beneficiary (principal, or beneficiary when the deposit allows); a repeat is a no-op. */
  async requestRelease (id: CID, options: Options = {}): Promise<DepositView> {
    this.#core.assertRunning()
    return await this.#core.lane(id.toString(), async () => {
      const r = this.#record(id)
      const self = this.#c.node.identity.cid
      if (!mayRequest(r, self)) throw new RoleError(`this node may not ask for the release of deposit ${id.toString()}`)
      if (r.revoke !== null) throw new DepositRevokedError(`deposit ${id.toString()} was revoked`)
      if (r.request !== null) return this.#view(id)
      const to = this.#others([...r.fiduciaries, r.principal, r.beneficiary])
      await this.#sendChecked(r, SAFEGUARD_MESSAGES.releaseRequest, to, releaseRequestBody(r.beneficiary), options)
      return this.#view(id)
    })
  }

  /** Approves the release (the deposit's approver only); a repeat is a no-op. */
  async approve (id: CID, options: Options = {}): Promise<DepositView> {
    this.#core.assertRunning()
    return await this.#core.lane(id.toString(), async () => {
      const r = this.#record(id)
      if (!r.asApprover) throw new RoleError(`this node is not the approver of deposit ${id.toString()}`)
      if (r.revoke !== null) throw new DepositRevokedError(`deposit ${id.toString()} was revoked`)
      if (r.approval !== null) return this.#view(id)
      await this.#sendChecked(r, SAFEGUARD_MESSAGES.approve, this.#others([...r.fiduciaries, r.principal]), emptyBody(), options)
      return this.#view(id)
    })
  }

  /** Revokes the deposit (principal only): fiduciaries that have not released destroy their shares. A repeat is a no-op. */
  async revoke (id: CID, options: Options = {}): Promise<DepositView> {
    this.#core.assertRunning()
    return await this.#core.lane(id.toString(), async () => {
      const r = this.#record(id)
      if (r.asPrincipal === null) throw new RoleError(`this node is not the principal of deposit ${id.toString()}`)
      if (r.revoke !== null) return this.#view(id)
      if (releasedCount(r) >= r.threshold) throw new DepositStateError(`deposit ${id.toString()} was already released to its beneficiary`)
      const to = this.#others([...r.fiduciaries, r.beneficiary, ...(r.approver === null ? [] : [r.approver])])
      await this.#sendChecked(r, SAFEGUARD_MESSAGES.revoke, to, emptyBody(), options)
      return this.#view(id)
    })
  }

  /** The recovered secret, HPKE-sealed to `recipientKey` (beneficiary only, once k shares are combined). */
  async exportSecret (id: CID, recipientKey: Uint8Array, options: Options = {}): Promise<ExportedSecret> {
    this.#core.assertRunning()
    const r = this.#record(id)
    const b = r.asBeneficiary
    if (b === null) throw new RoleError(`this node is not the beneficiary of deposit ${id.toString()}`)
    if (b.recovered === null) {
      const have = b.shares.filter((s) => s !== null).length
      if (have < r.threshold) throw new InsufficientSharesError(`deposit ${id.toString()}: ${have} of the ${r.threshold} shares needed are in`)
      throw new DepositStateError(`deposit ${id.toString()}: the shares are in but not combined (yet)`)
    }
    if (!(recipientKey instanceof Uint8Array) || recipientKey.length !== 32) throw new InvalidRequestError('the export recipient key must be a 32-byte X25519 public key')
    const sealed = await exportRecovered(this.#c.keystore, b.recovered, r.id, recipientKey, options)
    this.#c.logger.info({ deposit: id.toString() }, 'safeguarded secret exported (sealed to the operator)')
    return { ...sealed, size: r.size }
  }

  view (id: CID | string): DepositView | undefined {
    return depositView(this.state, id)
  }

  deposits (page: { cursor?: string, limit?: number } = {}): DepositPage {
    return pageOfDeposits(this.state, page)
  }

  /** Resolves with the deposit's view once `until` holds (checked now and on every fact about it). */
  async waitFor (id: CID | string, until: (view: DepositView) => boolean, options: Options = {}): Promise<DepositView> {
    return await this.#core.waitFor(id, (key) => depositView(this.state, key), until, options)
  }

  summary (): Record<string, Record<string, number>> {
    return summary(this.state)
  }

  /** Recipients but this node. */
  #others (cids: readonly CID[]): CID[] {
    const self = this.#c.node.identity.cid
    const out: CID[] = []
    for (const c of cids) if (!c.equals(self) && !out.some((o) => o.equals(c))) out.push(c)
    return out
  }

  /** Seals a message of deposit `r`, checks the fact it establishes against the rules, and appends both. */
  async #sendChecked (r: DepositRecord, type: typeof SAFEGUARD_MESSAGES[keyof typeof SAFEGUARD_MESSAGES], to: readonly CID[], body: Parameters<typeof sealMessage>[4], options: Options): Promise<void> {
    const m = await sealMessage(this.#c.node, r.id, type, to, body, [r.id], options)
    const refusal = checkFact(this.state, m.fact, this.#c.node.identity.cid)
    if (refusal !== null) throw refusal
    await this.#core.commit([{ envelope: m.envelope }, { fact: m.fact }])
  }

  // ---- effects ----

  #appended (entry: Appended['entry']): void {
    const fact = readFact(entry)
    if (fact === undefined) return
    if (fact.kind === SAFEGUARD_FACTS.rejected) {
      // A refusal changes no record but is part of the deposit's view (its refusals).
      if (fact.deposit !== null) this.#core.wake(fact.deposit.toString())
      return
    }
    const id = fact.deposit.toString()
    this.#core.unpark(id)
    this.#core.wake(id)
    this.emit('deposit:updated', id, fact)
  }

  /** Whether this node already recorded a judgement of envelope `cid` of deposit `id` (taken, or refused). */
  #judged (id: string, cid: CID): boolean {
    const r = deposit(this.state, id)
    if (r === undefined) return false
    const taken = [r.id, r.request?.envelope, r.approval, r.revoke, r.asFiduciary?.received,
      ...(r.asPrincipal?.slots.flatMap((x) => [x.accepted, x.held, x.released, x.destroyed]) ?? []),
      ...(r.asBeneficiary?.shares.map((x) => x?.envelope) ?? [])]
    if (taken.some((c) => c != null && c.equals(cid))) return true
    return (getOrder(this.state.refusals, id) ?? []).some((x) => x.envelope.equals(cid))
  }
}
