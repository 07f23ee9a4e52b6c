// The M-Pin D-TA service: distributed issuance of M-Pin secrets (protocol/mpin) and two-pass
// M-Pin authentication, on top of the node's log, envelopes, key store and crypto pool.
//
// Roles (one node may play several): a D-TA (the `fiduciary` role, mpin-dta.ts) holds a
// master-secret share per curve and answers requests with shares; a beneficiary (mpin-holder.ts)
// receives shares, checks and adds them; an authentication server (mpin-auth.ts) uses its combined
// server secret for pass 1 / pass 2. A requester — the beneficiary itself, or a principal for it —
// sends one `mpin/request` to the D-TAs and the beneficiary.
//
// Built like the custody service: the log is the truth. The service never changes state itself:
// it does the non-deterministic or secret work (generate a master share, compute and seal a
// share, check and import a received one, add them) and appends the facts recording the result;
// the reducer (protocol/mpin/reduce.ts, folded by the node's machine with `withMpin`) does the
// rest and asks for the next effects (`mpin.serve`, `mpin.open-own`, `mpin.combine`). Effects and
// received envelopes (the inbox's `envelope.open` of `mpin/*` types) come from the log — from
// `log:append` while running and from `log.pending()` at start — and every executor first asks
// the state whether its work is recorded, so a crash between the work and its fact repeats the
// work at most once and never loses it. Work on one request runs in one lane. That loop is
// ServiceCore's (service-base.ts); M-Pin judges its messages itself (a D-TA answers with envelopes).
//
// Shares never appear in clear in a fact, an effect, a log line or an API response: they travel
// in envelopes sealed to the beneficiary alone and go straight into its key store; a combined
// client secret or time permit leaves it only HPKE-sealed to a key its owner chose.
import { EventEmitter } from 'node:events'
import type { CID } from 'multiformats/cid'
import { loadCurve, type CryptoPool, type CurveName, type KeyStore, type MpinCurve } from '../../crypto/index.ts'
import type { DecodedEnvelope } from '../../protocol/envelope.ts'
import { getOrder } from '../../protocol/custody/order-map.ts'
import { dayOf } from '../../protocol/mpin/entitlement.ts'
import { factEntry, rejectedFact, readFact } from '../../protocol/mpin/facts.ts'
import { checkTerms, decodeMessage, requestBody, requestRecipients } from '../../protocol/mpin/messages.ts'
import { issuanceView, issuanceViews, servedOf, type IssuanceView } from '../../protocol/mpin/queries.ts'
import { isMpinEffect, MPIN_EFFECTS, type MpinEffect } from '../../protocol/mpin/reduce.ts'
import type { MasterRecord, MpinState } from '../../protocol/mpin/state.ts'
import { isMpinMessageType, MPIN_FACTS, MPIN_MESSAGES, type IssuanceKind, type MpinFact } from '../../protocol/mpin/types.ts'
import type { Appended } from '../../storage/log.ts'
import type { Logger } from '../logger.ts'
import type { NodeService } from '../node.ts'
import type { CustodyNode } from './custody-port.ts'
import { InvalidRequestError, RoleError } from './errors.ts'
import { AuthServer, type Pass1Input, type Pass1Result, type Pass2Result } from './mpin-auth.ts'
import { Dta } from './mpin-dta.ts'
import { UnknownIssuanceError } from './mpin-errors.ts'
import type { SealedSecret } from './mpin-export.ts'
import { Holder, PrematureAnswerError } from './mpin-holder.ts'
import { isRefusal, type PlanItem } from './mpin-plan.ts'
import { ServiceCore } from './service-base.ts'

export interface MpinComponents {
  readonly node: CustodyNode
  /** Started by whichever service starts first (custody starts it; its stop stops it). */
  readonly keystore: KeyStore
  /** The node's crypto pool (node.parts.pool). */
  readonly pool: CryptoPool
  readonly logger: Logger
}

export interface MpinInit {
  /** Roles this node serves (default all three); `fiduciary` makes it a D-TA. */
  readonly roles?: readonly string[]
  /** D-TA: identities that may ask on behalf of any beneficiary (entitlement rule 1). */
  readonly principals?: readonly CID[]
  /** D-TA: identities that may receive server-secret shares (entitlement rule 3). */
  readonly authServers?: readonly CID[]
  /** D-TA: days around today for which time permits are issued (default 1 before, 1 after). */
  readonly permitWindow?: { readonly before: number, readonly after: number }
  /** Authentication server: whether logins need a time permit (default 'optional'). */
  readonly timePermits?: 'optional' | 'required'
  /** Authentication server: lifetime of a pass-1 challenge (ms, default 30 s). */
  readonly challengeTtlMs?: number
  /** Authentication server: challenges remembered at once (default 100,000). */
  readonly maxChallenges?: number
  /** First retry delay of a failed effect (ms, default 500), doubled per attempt up to 30 s. */
  readonly retryMs?: number
  /** Answers waiting for their request (principal-orchestrated flows), at most (default 1,024). */
  readonly maxParked?: number
  /** Clock (ms since the epoch) for dates and challenge lifetimes; injectable for tests. */
  readonly now?: () => number
}

export interface MpinEvents {
  /** An M-Pin fact about a request was appended (the request id, and the fact). */
  'issuance:updated': [string, MpinFact]
}

export interface NewIssuance {
  readonly issuance: IssuanceKind
  readonly curve: CurveName
  readonly dtas: readonly CID[]
  /** Default: this node (then the request is for itself). */
  readonly beneficiary?: CID
  /** M-Pin id; default the beneficiary's identity CID (client secrets and time permits). */
  readonly id?: string
  /** Time-permit date (days since the epoch); default today. */
  readonly date?: number
}

type Options = { signal?: AbortSignal }

export class MpinService extends EventEmitter<MpinEvents> implements NodeService {
  readonly #c: MpinComponents
  readonly #roles: ReadonlySet<string>
  readonly #now: () => number
  readonly #dta: Dta
  readonly #holder: Holder
  readonly #auth: AuthServer
  readonly #core: ServiceCore<MpinFact, MpinEffect>

  constructor (components: MpinComponents, init: MpinInit = {}) {
    super()
    this.#c = components
    this.#roles = new Set(init.roles ?? ['principal', 'fiduciary', 'beneficiary'])
    this.#now = init.now ?? Date.now
    const state = (): MpinState => this.state
    const curve = async (name: CurveName): Promise<MpinCurve> => await loadCurve(name)
    const { node, keystore, pool, logger } = components
    this.#dta = new Dta({ node, keystore, pool, state, curve, commit: async (items) => { await this.#core.commit(items) } }, {
      serving: this.#roles.has('fiduciary'),
      principals: init.principals ?? [],
      authServers: init.authServers ?? [],
      now: this.#now,
      ...(init.permitWindow === undefined ? {} : { permitWindow: init.permitWindow })
    })
    this.#holder = new Holder({ keystore, state, curve })
    this.#auth = new AuthServer({ keystore, pool, state, curve, logger: components.logger }, {
      now: this.#now,
      ...(init.timePermits === undefined ? {} : { timePermits: init.timePermits }),
      ...(init.challengeTtlMs === undefined ? {} : { challengeTtlMs: init.challengeTtlMs }),
      ...(init.maxChallenges === undefined ? {} : { maxChallenges: init.maxChallenges })
    })
    // An answer to a request not recorded yet waits for it, however long (no park time); beyond
    // `maxParked` such answers are retried like failures.
    this.#core = new ServiceCore({
      name: 'M-Pin',
      node,
      keystore,
      logger,
      folds: (s) => {
        const slice = (s as { mpin?: Partial<MpinState> } | null)?.mpin
        return typeof s === 'object' && slice?.requests !== undefined && slice.masters !== undefined
      },
      foldsHint: 'the node log does not fold the M-Pin reducer: create the node with machine: withMpin(nodeMachine())',
      entry: factEntry,
      accepts: isMpinEffect,
      execute: async (effect, final) => await this.#execute(effect, final),
      messages: isMpinMessageType,
      judge: async (envelope) => { await this.#open(envelope) },
      appended: (entry) => { this.#appended(entry) },
      retryMs: init.retryMs ?? 500,
      maxParked: init.maxParked ?? 1024,
      now: this.#now
    })
  }

  /** The M-Pin slice of the node's state. */
  get state (): MpinState {
    return (this.#c.node.log.state as { mpin: MpinState }).mpin
  }

  async start (options: Options = {}): Promise<void> {
    await this.#core.start(options)
  }

  async stop (): Promise<void> {
    if (!this.#core.running) return
    await this.#core.stop()
    await this.#dta.idle()
    await this.#auth.stop()
  }

  // ---- operations (REST API) ----

  /** Sends a request to the D-TAs (and the beneficiary); resolves once it is in the log. */
  async requestIssuance (input: NewIssuance, options: Options = {}): Promise<IssuanceView> {
    this.#core.assertRunning()
    const { node } = this.#c
    const self = node.identity.cid
    const beneficiary = input.beneficiary ?? self
    const forSelf = beneficiary.equals(self)
    if (forSelf && !this.#roles.has('beneficiary')) throw new RoleError('this node does not serve as beneficiary')
    if (!forSelf && !this.#roles.has('principal')) throw new RoleError('this node does not serve as principal')
    const terms = {
      issuance: input.issuance,
      curve: input.curve,
      beneficiary,
      id: input.issuance === 'server-secret' ? (input.id ?? null) : (input.id ?? beneficiary.toString()),
      date: input.issuance === 'time-permit' ? (input.date ?? dayOf(this.#now())) : (input.date ?? null),
      dtas: input.dtas
    }
    checkTerms(terms, (m) => new InvalidRequestError(m))
    const recipients = await Promise.all(requestRecipients(terms).map(async (c) => await node.resolve(c, options)))
    const envelope = node.seal(recipients, MPIN_MESSAGES.request, requestBody(terms), { thread: null, prev: [] })
    const request = { kind: MPIN_FACTS.request, ...terms, request: envelope.cid, from: self, time: envelope.header.time } as const
    await this.#core.commit([{ envelope }, { fact: request }])
    return issuanceView(this.state, envelope.cid) as IssuanceView
  }

  issuance (id: CID | string): IssuanceView | undefined {
    return issuanceView(this.state, id)
  }

  issuances (): IssuanceView[] {
    return issuanceViews(this.state)
  }

  /** Resolves with the request's view once `until` holds (checked now and on every fact about it). */
  async waitFor (id: CID | string, until: (view: IssuanceView) => boolean, options: Options = {}): Promise<IssuanceView> {
    return await this.#core.waitFor(id, (key) => issuanceView(this.state, key), until, options)
  }

  /** The combined client secret or time permit of a complete request of this node's, sealed to `recipientKey`. */
  async exportSecret (id: CID, recipientKey: Uint8Array, options: Options = {}): Promise<SealedSecret & { readonly view: IssuanceView }> {
    this.#core.assertRunning()
    if (issuanceView(this.state, id) === undefined) throw new UnknownIssuanceError(`issuance ${id.toString()} is not known to this node`)
    const sealed = await this.#holder.exportSecret(id, recipientKey, options)
    this.#c.logger.info({ request: id.toString(), issuance: sealed.record.issuance }, 'M-Pin secret exported (sealed to its owner)')
    return { enc: sealed.enc, ciphertext: sealed.ciphertext, view: issuanceView(this.state, id) as IssuanceView }
  }

  /** D-TA: this node's master share on `curve` (handle, fingerprint), generating it on first call. */
  async master (curve: CurveName, options: Options = {}): Promise<MasterRecord> {
    this.#core.assertRunning()
    return await this.#dta.master(curve, options)
  }

  /** D-TA: the master shares this node holds (handles, fingerprints), by curve. */
  masters (): MpinState['masters'] {
    return this.state.masters
  }

  async pass1 (input: Pass1Input): Promise<Pass1Result> {
    this.#core.assertRunning()
    return await this.#auth.pass1(input)
  }

  async pass2 (challenge: string, V: Uint8Array, options: Options = {}): Promise<Pass2Result> {
    this.#core.assertRunning()
    return await this.#auth.pass2(challenge, V, options)
  }

  /** Pending and recently answered pass-1 challenges. */
  get challenges (): number {
    return this.#auth.challenges
  }

  // ---- effects ----

  #appended (entry: Appended['entry']): void {
    const fact = readFact(entry)
    if (fact === undefined || !('request' in fact) || fact.request === null) return
    const id = fact.request.toString()
    // Answers wait for their request (a principal's request still on its way), not for each other.
    if (fact.kind === MPIN_FACTS.request) this.#core.unpark(id)
    this.#core.wake(id)
    this.emit('issuance:updated', id, fact)
  }

  /** Runs one of M-Pin's effects; false when it is not M-Pin's (an envelope of another service: not marked done here). */
  async #execute (effect: MpinEffect, final: boolean): Promise<boolean> {
    switch (effect.type) {
      case MPIN_EFFECTS.openOwn: return await this.#core.open(effect.envelope, final)
      case MPIN_EFFECTS.serve: {
        await this.#core.lane(effect.request.toString(), async () => {
          if (servedOf(this.state, effect.request) !== undefined) return
          const r = getOrder(this.state.requests, effect.request.toString())
          if (r === undefined) throw new UnknownIssuanceError(`request ${effect.request.toString()} is not recorded`)
          await this.#core.commit(await this.#dta.answer(r))
        })
        return true
      }
      case MPIN_EFFECTS.combine: {
        await this.#core.lane(effect.request.toString(), async () => {
          const fact = await this.#holder.combine(effect.request)
          if (fact !== undefined) await this.#core.commit([{ fact }])
        })
        return true
      }
    }
  }

  /**
   * Judges an M-Pin envelope addressed to this node (received, or sent to itself), in its request's
   * lane. Unlike the other services' judgements it may answer with envelopes (a D-TA's shares), and
   * it asks the state whether the message is recorded only once it is decoded.
   */
  async #open (envelope: DecodedEnvelope): Promise<void> {
    let items: PlanItem[]
    try {
      items = await this.#judge(envelope)
    } catch (err) {
      // PrematureAnswerError (a NotYetError): parked by the scheduler until the request is recorded.
      if (err instanceof PrematureAnswerError || !isRefusal(err)) throw err
      this.#c.logger.warn({ envelope: envelope.cid.toString(), type: envelope.header.type, from: envelope.header.sender.toString(), error: err.name, reason: err.message }, 'M-Pin message refused')
      items = [{ fact: rejectedFact(envelope, err) }]
    }
    if (items.length > 0) await this.#core.commit(items)
  }

  /** What this node appends for an M-Pin envelope addressed to it; [] when that is recorded already. */
  async #judge (envelope: DecodedEnvelope): Promise<PlanItem[]> {
    const { node } = this.#c
    const self = node.identity.cid
    const opened = await node.open(envelope)
    const m = decodeMessage(envelope, opened.body)
    switch (m.type) {
      case MPIN_MESSAGES.request: {
        const r = m.request
        const mine = r.beneficiary.equals(self) || r.from.equals(self)
        if (mine) {
          // Recorded as this node's request; if it is also a D-TA of it, `mpin.serve` follows.
          if (getOrder(this.state.requests, r.request.toString()) !== undefined) return []
          if (r.beneficiary.equals(self) && !this.#roles.has('beneficiary')) throw new RoleError('this node does not serve as beneficiary')
          return [{ fact: { kind: MPIN_FACTS.request, ...r } }]
        }
        if (servedOf(this.state, r.request) !== undefined) return []
        return await this.#dta.answer(r)
      }
      case MPIN_MESSAGES.share:
        if (this.#holder.recorded(m)) return []
        return [{ fact: await this.#holder.judgeShare(m) }]
      case MPIN_MESSAGES.refused:
        if (this.#holder.recorded(m)) return []
        return [{ fact: this.#holder.judgeRefused(m) }]
    }
  }
}
