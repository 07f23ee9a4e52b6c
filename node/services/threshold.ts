// The threshold custody service: t-of-n fiduciaries holding the fiduciary part of a wallet key as
// shares made by a distributed key generation among themselves (protocol/threshold), on top of the
// node's log, envelopes and key store.
//
// Built like the safeguard service: the log is the truth. The service never changes state itself:
// it does the non-deterministic or secret work (make a transfer key, deal a polynomial, open and
// check a share, combine shares, release one, interpolate) and appends the facts recording the
// result; the reducer (protocol/threshold/reduce.ts, folded by the node's machine with
// `withThreshold`) does the rest and asks for the next effects. Effects and received envelopes
// (the inbox's `envelope.open` of `threshold/*` types) come from the log — from `log:append` while
// running and from `log.pending()` at start — and every executor first asks the state whether its
// work is recorded, so a crash between the work and its fact repeats the work at most once and
// never loses it. Work on one order runs in one lane. That loop is ServiceCore's (service-base.ts).
//
// Time: each phase of a round waits at most the order's `phaseMs` on this node's clock (a timeout
// effect due then; after a restart the pending effect is due again). A message about an order or
// round this node has not reached yet (a dealing overtaking the principal's start) is parked and
// judged again on the order's next fact, or refused after `parkTtlMs`.
//
// Shares and keys never appear in clear in a fact, an effect, a log line or an API response: a
// dealt share travels sealed to the receiver's per-round transfer key (destroyed when the round
// ends), a combined share lives in the fiduciary's key store, a released share is sealed to the
// beneficiary's identity key, and the wallet key leaves the beneficiary's key store only
// HPKE-sealed to a key its operator chose (`exportKey`).
import { EventEmitter } from 'node:events'
import type { CID } from 'multiformats/cid'
import type { BitcoinNetwork, KeyStore, SecretKeyFormat } from '../../crypto/index.ts'
import { getOrder } from '../../protocol/custody/order-map.ts'
import { isThresholdEffect, othersOf, type ThresholdEffect } from '../../protocol/threshold/effects.ts'
import { OrderStateError, UnknownOrderError } from '../../protocol/threshold/errors.ts'
import { factEntry, readFact, rejectedFact } from '../../protocol/threshold/facts.ts'
import {
  checkFiduciaries, checkTerms, DEFAULT_PHASE_MS, orderBody, releaseRequestBody, reshareBody, roundBody
} from '../../protocol/threshold/messages.ts'
import { orderIds, orderView, summary, type ThresholdOrderView } from '../../protocol/threshold/queries.ts'
import { checkFact, orderOf } from '../../protocol/threshold/reduce.ts'
import type { OrderRecord, ThresholdState } from '../../protocol/threshold/state.ts'
import { isThresholdMessageType, THRESHOLD_FACTS, THRESHOLD_MESSAGES, type ThresholdFact, type ThresholdMessageType } from '../../protocol/threshold/types.ts'
import type { IpldValue } from '../../protocol/state/types.ts'
import type { Appended } from '../../storage/log.ts'
import type { Logger } from '../logger.ts'
import type { NodeService } from '../node.ts'
import { childAddressOf, exportWalletKey, type ChildAddress, type ExportedThresholdKey } from './threshold-export.ts'
import { InvalidRequestError, RoleError } from './errors.ts'
import { ServiceCore } from './service-base.ts'
import { isEarly, judge, type JudgeComponents } from './threshold-judge.ts'
import type { DealHook } from './threshold-keys.ts'
import type { ThresholdNode } from './threshold-port.ts'
import { sealMessage, Work } from './threshold-work.ts'

export interface ThresholdComponents {
  readonly node: ThresholdNode
  /** Started by whichever service starts first (custody starts it; its stop stops it). */
  readonly keystore: KeyStore
  readonly logger: Logger
}

export interface ThresholdInit {
  /** Roles this node serves (default all three). */
  readonly roles?: readonly string[]
  /** Network of orders that do not name one (default 'mainnet'). */
  readonly network?: BitcoinNetwork
  /** Phase bound of orders that do not name one (ms, default 30 s). */
  readonly phaseMs?: number
  /** First retry delay of a failed effect (ms, default 500), doubled per attempt up to 30 s. */
  readonly retryMs?: number
  /** How long a message about an order or round not reached yet waits before it is refused (ms, default 60 s). */
  readonly parkTtlMs?: number
  /** Messages waiting, at most (default 1,024); beyond, they are refused at once. */
  readonly maxParked?: number
  /** Test hook, never set in production: corrupts the shares this node deals (tests of complaints and exclusion). */
  readonly dealHook?: DealHook
}

export interface ThresholdEvents {
  /** A threshold fact about an order was appended (the order id, and the fact). */
  'order:updated': [string, ThresholdFact]
}

export interface NewThresholdOrder {
  readonly beneficiary: CID
  readonly fiduciaries: readonly CID[]
  readonly threshold: number
  readonly network?: BitcoinNetwork
  readonly phaseMs?: number
}

export type { ChildAddress, ExportedThresholdKey }

export interface ThresholdPage {
  readonly orders: readonly ThresholdOrderView[]
  readonly next: string | null
}

type Options = { signal?: AbortSignal }

export class ThresholdService extends EventEmitter<ThresholdEvents> implements NodeService {
  readonly #c: ThresholdComponents
  readonly #roles: ReadonlySet<string>
  readonly #network: BitcoinNetwork
  readonly #phaseMs: number
  readonly #now: () => number
  readonly #work: Work
  readonly #core: ServiceCore<ThresholdFact, ThresholdEffect>

  constructor (components: ThresholdComponents, init: ThresholdInit = {}) {
    super()
    this.#c = components
    this.#roles = new Set(init.roles ?? ['principal', 'fiduciary', 'beneficiary'])
    this.#network = init.network ?? 'mainnet'
    this.#phaseMs = init.phaseMs ?? DEFAULT_PHASE_MS
    // The wall clock that also dates the envelopes this node seals.
    this.#now = Date.now
    const { node, keystore, logger } = components
    const state = (): ThresholdState => this.state
    this.#work = new Work({ node, keystore, state, now: this.#now, logger, ...(init.dealHook === undefined ? {} : { dealHook: init.dealHook }) })
    const judging: JudgeComponents = { node, keystore, state, now: this.#now }
    this.#core = new ServiceCore({
      name: 'threshold',
      node,
      keystore,
      logger,
      folds: (s) => {
        const slice = (s as { threshold?: Partial<ThresholdState> } | null)?.threshold
        return typeof s === 'object' && slice?.orders !== undefined && slice.refusals !== undefined
      },
      foldsHint: 'the node log does not fold the threshold reducer: create the node with machine: withThreshold(…nodeMachine())',
      entry: factEntry,
      accepts: isThresholdEffect,
      execute: async (effect) => {
        await this.#core.lane(effect.order.toString(), async () => {
          const items = await this.#work.execute(effect)
          if (items.length > 0) await this.#core.commit(items)
        })
        return true
      },
      messages: isThresholdMessageType,
      judge: {
        judged: (id, envelope) => this.#judged(id, envelope.cid),
        judge: async (envelope, body, final) => {
          if (envelope.header.type === THRESHOLD_MESSAGES.order) this.#checkRoles(body)
          return await judge(judging, envelope, body, { final })
        },
        early: isEarly,
        // An envelope that does not open, or does not parse, or names this node in a role it does not serve: refused.
        refused: (err) => (err as Error).name === 'DecryptionError' || (err as Error).name === 'MalformedError' || (err as Error).name === 'RoleError',
        rejected: rejectedFact,
        refusal: (fact) => fact.kind === THRESHOLD_FACTS.rejected ? fact : undefined,
        record: async (fact, done) => { await this.#core.commit([{ fact }], done) }
      },
      appended: (entry) => { this.#appended(entry) },
      retryMs: init.retryMs ?? 500,
      parkTtlMs: init.parkTtlMs ?? 60_000,
      maxParked: init.maxParked ?? 1024,
      now: this.#now
    })
  }

  /** The threshold slice of the node's state. */
  get state (): ThresholdState {
    return (this.#c.node.log.state as { threshold: ThresholdState }).threshold
  }

  get #self (): CID {
    return this.#c.node.identity.cid
  }

  async start (options: Options = {}): Promise<void> {
    await this.#core.start(options)
  }

  async stop (): Promise<void> {
    await this.#core.stop()
  }

  // ---- operations (REST API) ----

  #record (id: CID): OrderRecord {
    const o = orderOf(this.state, id)
    if (o === undefined) throw new UnknownOrderError(`order ${id.toString()} is not known to this node`)
    return o
  }

  #view (id: CID | string): ThresholdOrderView {
    return orderView(this.state, id, this.#self) as ThresholdOrderView
  }

  #principalRecord (id: CID): OrderRecord {
    const o = this.#record(id)
    if (!o.isPrincipal) throw new RoleError(`this node is not the principal of order ${id.toString()}`)
    return o
  }

  /** Creates an order as its principal: the fiduciaries generate the key; resolves once the order is in the log. */
  async create (input: NewThresholdOrder, options: Options = {}): Promise<ThresholdOrderView> {
    this.#core.assertRunning()
    if (!this.#roles.has('principal')) throw new RoleError('this node does not serve as principal')
    const terms = { beneficiary: input.beneficiary, fiduciaries: input.fiduciaries, threshold: input.threshold, network: input.network ?? this.#network, phaseMs: input.phaseMs ?? this.#phaseMs }
    checkTerms(this.#self, terms, (m) => new InvalidRequestError(m))
    const m = await sealMessage(this.#c.node, null, THRESHOLD_MESSAGES.order, [...terms.fiduciaries, terms.beneficiary], orderBody(terms), [], options)
    await this.#core.commit([{ envelope: m.envelope }, { fact: m.fact }])
    this.#c.logger.info({ order: m.envelope.cid.toString(), fiduciaries: terms.fiduciaries.length, threshold: terms.threshold }, 'threshold order created')
    return this.#view(m.envelope.cid)
  }

  /** Asks the holders of the current epoch to release to the beneficiary (principal only); a repeat is a no-op. */
  async requestRelease (id: CID, options: Options = {}): Promise<ThresholdOrderView> {
    this.#core.assertRunning()
    return await this.#core.lane(id.toString(), async () => {
      const o = this.#principalRecord(id)
      if (o.release !== null) return this.#view(id)
      const e = o.epoch
      if (o.wallet === null || e === null) throw new OrderStateError(`order ${id.toString()} has no published address yet`)
      if (o.round.outcome === null) throw new OrderStateError(`order ${id.toString()} is in round ${o.round.round} (${o.round.kind}); ask again once it ends`)
      const holders = e.holders.map((i) => e.fiduciaries[i - 1]).filter((c): c is CID => c !== undefined)
      await this.#sendChecked(o, THRESHOLD_MESSAGES.releaseRequest, [...holders, o.beneficiary], releaseRequestBody(e.round, o.beneficiary, o.wallet.walletKey), [o.wallet.envelope], options)
      return this.#view(id)
    })
  }

  /** Asks the holders to re-randomise their shares (principal only): same group key, same address; old shares stop combining with new ones. */
  async refresh (id: CID, options: Options = {}): Promise<ThresholdOrderView> {
    this.#core.assertRunning()
    return await this.#core.lane(id.toString(), async () => {
      const o = this.#checkNewRound(this.#principalRecord(id))
      const e = o.epoch as NonNullable<OrderRecord['epoch']>
      const holders = e.holders.map((i) => e.fiduciaries[i - 1]).filter((c): c is CID => c !== undefined)
      await this.#sendChecked(o, THRESHOLD_MESSAGES.refresh, [...holders, o.beneficiary], roundBody(o.round.round + 1), [o.round.request], options)
      return this.#view(id)
    })
  }

  /** Re-shares the key to a new set of fiduciaries and threshold (principal only), without moving funds. */
  async reshare (id: CID, to: { readonly fiduciaries: readonly CID[], readonly threshold: number }, options: Options = {}): Promise<ThresholdOrderView> {
    this.#core.assertRunning()
    return await this.#core.lane(id.toString(), async () => {
      const o = this.#checkNewRound(this.#principalRecord(id))
      const e = o.epoch as NonNullable<OrderRecord['epoch']>
      const w = o.wallet
      if (w === null || o.beneficiaryKey === null) throw new OrderStateError(`order ${id.toString()} has no published address yet`)
      checkFiduciaries(this.#self, o.beneficiary, to.fiduciaries, to.threshold, (m) => new InvalidRequestError(m))
      const holders = e.holders.map((i) => e.fiduciaries[i - 1]).filter((c): c is CID => c !== undefined)
      const body = reshareBody({
        round: o.round.round + 1,
        beneficiary: o.beneficiary,
        network: o.network,
        phaseMs: o.phaseMs,
        wallet: { beneficiaryKey: w.beneficiaryKey, beneficiaryPop: o.beneficiaryKey.pop, groupKey: w.groupKey, walletKey: w.walletKey, chainCode: w.chainCode, p2wpkh: w.p2wpkh, p2pkh: w.p2pkh, ethereum: w.ethereum },
        previous: { fiduciaries: e.fiduciaries, threshold: e.threshold, holders: e.holders, commitments: e.commitments },
        fiduciaries: to.fiduciaries,
        threshold: to.threshold
      })
      await Promise.all(to.fiduciaries.map(async (c) => await this.#c.node.resolve(c, options))) // UnknownIdentityError before anything is sent
      await this.#sendChecked(o, THRESHOLD_MESSAGES.reshare, [...holders, ...to.fiduciaries, o.beneficiary], body, [o.round.request], options)
      return this.#view(id)
    })
  }

  #checkNewRound (o: OrderRecord): OrderRecord {
    const id = o.id.toString()
    if (o.epoch === null) throw new OrderStateError(`order ${id} has no committed epoch`)
    if (o.round.outcome === null) throw new OrderStateError(`order ${id} is in round ${o.round.round} (${o.round.kind}) already`)
    if (o.wallet === null) throw new OrderStateError(`order ${id} has no published address yet`)
    if (o.release !== null) throw new OrderStateError(`order ${id} is being released`)
    return o
  }

  /**
   * The redeemed wallet key of `id` (beneficiary only), or its non-hardened child `child`,
   * HPKE-sealed to `recipientKey` (threshold-export.ts): never in clear outside the key store and the caller.
   */
  async exportKey (id: CID, format: SecretKeyFormat, recipientKey: Uint8Array, child: number | null = null, options: Options = {}): Promise<ExportedThresholdKey> {
    this.#core.assertRunning()
    const sealed = await exportWalletKey(this.#c.keystore, this.#record(id), format, recipientKey, child, options)
    this.#c.logger.info({ order: id.toString(), format, child }, 'threshold wallet key exported (sealed to the operator)')
    return sealed
  }

  /** Receiving address `index` of the order: the wallet key's non-hardened BIP-32 child (public derivation, any role that knows the wallet). */
  childAddress (id: CID, index: number): ChildAddress {
    return childAddressOf(this.#record(id), index)
  }

  view (id: CID | string): ThresholdOrderView | undefined {
    return orderView(this.state, id, this.#self)
  }

  orders (page: { cursor?: string, limit?: number } = {}): ThresholdPage {
    const ids = orderIds(this.state)
    const limit = Math.min(Math.max(page.limit ?? 50, 1), 500)
    const start = page.cursor === undefined ? 0 : ids.indexOf(page.cursor) + 1
    if (page.cursor !== undefined && start === 0) throw new InvalidRequestError('unknown cursor')
    const slice = ids.slice(start, start + limit)
    return { orders: slice.map((id) => this.#view(id)), next: start + limit < ids.length ? (slice.at(-1) ?? null) : null }
  }

  /** Resolves with the order's view once `until` holds (checked now and on every fact about it). */
  async waitFor (id: CID | string, until: (view: ThresholdOrderView) => boolean, options: Options = {}): Promise<ThresholdOrderView> {
    return await this.#core.waitFor(id, (key) => orderView(this.state, key, this.#self), until, options)
  }

  /** Resolves once the work already queued for order `id` (effects, judgements) has run. */
  async settled (id: CID | string): Promise<void> {
    await this.#core.lane(id.toString(), async () => {})
  }

  summary (): Record<string, Record<string, number>> {
    return summary(this.state, this.#self)
  }

  /** Seals a message of order `o`, checks the fact it establishes against the rules, and appends both. */
  async #sendChecked (o: OrderRecord, type: ThresholdMessageType, to: readonly CID[], body: IpldValue, prev: readonly CID[], options: Options): Promise<void> {
    const m = await sealMessage(this.#c.node, o.id, type, othersOf(to, this.#self), body, prev, options)
    const refusal = checkFact(this.state, m.fact, this.#self)
    if (refusal !== null) throw refusal
    await this.#core.commit([{ envelope: m.envelope }, { fact: m.fact }])
  }

  // ---- effects ----

  #appended (entry: Appended['entry']): void {
    const fact = readFact(entry)
    if (fact === undefined) return
    if (fact.kind === THRESHOLD_FACTS.rejected) {
      if (fact.order !== null) this.#core.wake(fact.order.toString())
      return
    }
    const id = fact.order.toString()
    this.#core.unpark(id)
    this.#core.wake(id)
    this.emit('order:updated', id, fact)
  }

  /** An order naming this node in a role it does not serve is refused (RoleError). */
  #checkRoles (body: unknown): void {
    const b = body as { beneficiary?: unknown, fiduciaries?: unknown }
    const self = this.#self
    const is = (v: unknown): boolean => typeof v === 'object' && v !== null && typeof (v as CID).equals === 'function' && (v as CID).equals(self)
    if (is(b.beneficiary) && !this.#roles.has('beneficiary')) throw new RoleError('this node does not serve as beneficiary')
    if (Array.isArray(b.fiduciaries) && b.fiduciaries.some(is) && !this.#roles.has('fiduciary')) throw new RoleError('this node does not serve as fiduciary')
  }

  /** Whether this node already recorded a judgement of envelope `cid` of order `id` (taken, or refused). */
  #judged (id: string, cid: CID): boolean {
    const o = orderOf(this.state, id)
    if (o === undefined) return false
    const r = o.round
    const taken = [o.id, r.request, r.start, r.outcome?.envelope, o.beneficiaryKey?.envelope, o.wallet?.envelope, o.release?.envelope, o.redeemed,
      ...r.accepts.map((a) => a.envelope), ...r.deals.map((d) => d.envelope), ...r.verdicts.map((v) => v.envelope), ...o.shares.map((s) => s.envelope)]
    if (taken.some((c) => c != null && c.equals(cid))) return true
    return (getOrder(this.state.refusals, id) ?? []).some((x) => x.envelope.equals(cid))
  }
}

