// The custody service: executes the custody reducers' effects, handles received custody
// envelopes, and offers the principal's and beneficiary's operations to the REST API.
//
// The log is the truth. The service never changes state itself: it does the non-deterministic or
// secret work an effect asks for (generate a share in the key store, seal and send an envelope,
// release a share, import a released one), then appends the fact that records the result, and
// the reducers do the rest. Effects come from the log — from `log:append` events while running,
// and from `log.pending()` at start — so an effect whose fact did not make it to disk before a
// crash is executed again after the restart. Each executor first asks the state whether its work
// is already recorded (a share generated, a message sent, an envelope judged) and then does
// nothing: effects are idempotent per order. Work on one order runs in one lane (serially);
// orders proceed concurrently. That loop is ServiceCore's (service-base.ts), shared with the
// safeguard, threshold and M-Pin services; what is custody's own is below.
//
// Every message this node sends is appended as `envelope.sent` together with the fact it
// establishes (same group commit); a message addressed to this node itself (one node playing
// several roles) is judged like a received one. Received envelopes reach the service through the
// inbox's `envelope.open` effects. Secrets never leave the key store except sealed (HPKE) to the
// beneficiary or to the exporting operator; no fact, effect, log line or return value holds one.
import { EventEmitter } from 'node:events'
import type { CID } from 'multiformats/cid'
import {
  checkCombined, createProofOfPossession, exportSecretKey, wipe, type BitcoinNetwork, type CustodyRole, type KeyStore, type SecretKeyFormat
} from '../../crypto/index.ts'
import {
  applyFact, checkReleaseRequest, CUSTODY_EFFECTS, CUSTODY_FACTS, CUSTODY_MESSAGES, decodeMessage, distinct, factEntry, isCustodyEffect,
  custodyEffectSettled, isCustodyMessageType, isRecorded, orderBody, orderView, readFact, rejectedFact, releaseAad,
  releaseBody, RELEASE_INFO, releaseRequestBody, roleOrder, shareContext, entriesOf, OrderStateError, UnknownOrderError,
  type CustodyEffect, type CustodyFact, type CustodyMessageType, type CustodyState, type OrderView
} from '../../protocol/custody/index.ts'
import type { DecodedEnvelope } from '../../protocol/envelope.ts'
import type { IpldValue } from '../../protocol/state/types.ts'
import { crashPoint } from '../../storage/crash-point.ts'
import type { Appended } from '../../storage/log.ts'
import type { Logger } from '../logger.ts'
import type { NodeService } from '../node.ts'
import { sealExport, type SealedExport } from './custody-export.ts'
import { isRefusal, Judge } from './custody-judge.ts'
import type { CustodyNode, SealLinks } from './custody-port.ts'
import { InvalidRequestError, RoleError } from './errors.ts'
import { pageOfOrders, type OrderPage } from './custody-pages.ts'
import { ServiceCore, type PlanItem } from './service-base.ts'

export interface CustodyComponents {
  readonly node: CustodyNode
  /** The service starts and stops it. */
  readonly keystore: KeyStore
  readonly logger: Logger
}

export interface CustodyInit {
  /** Network of orders that do not name one (default 'mainnet'). */
  readonly network?: BitcoinNetwork
  /** Fiduciary of orders that do not name one. */
  readonly defaultFiduciary?: CID
  /** Roles this node serves (default all three). */
  readonly roles?: readonly string[]
  /** First retry delay of a failed effect (ms, default 500), doubled per attempt up to 30 s. */
  readonly retryMs?: number
}

export interface CustodyEvents {
  /** A custody fact about the order was appended (its id, and the fact). */
  'order:updated': [string, CustodyFact]
}

export interface NewOrder {
  readonly beneficiary: CID
  readonly fiduciary?: CID
  readonly network?: BitcoinNetwork
}

export interface ExportedKey extends SealedExport {
  readonly format: SecretKeyFormat
  readonly network: BitcoinNetwork
  readonly walletKey: Uint8Array
}

type Options = { signal?: AbortSignal }

export class CustodyService extends EventEmitter<CustodyEvents> implements NodeService {
  readonly #c: CustodyComponents
  readonly #network: BitcoinNetwork
  readonly #defaultFiduciary: CID | undefined
  readonly #roles: ReadonlySet<string>
  readonly #judge: Judge
  readonly #core: ServiceCore<CustodyFact, CustodyEffect>

  constructor (components: CustodyComponents, init: CustodyInit = {}) {
    super()
    this.#c = components
    this.#network = init.network ?? 'mainnet'
    this.#defaultFiduciary = init.defaultFiduciary
    this.#roles = new Set(init.roles ?? ['principal', 'fiduciary', 'beneficiary'])
    const { node, keystore, logger } = components
    this.#judge = new Judge({ node, keystore, state: () => this.state }, { roles: this.#roles })
    // A received envelope judged premature waits for its order's next fact, however long
    // (no park time): the order moves when its own messages arrive.
    this.#core = new ServiceCore({
      name: 'custody',
      node,
      keystore,
      logger,
      folds: (s) => {
        const c = s as Partial<CustodyState> | null
        return typeof s === 'object' && c?.principal?.orders !== undefined && c.fiduciary?.orders !== undefined && c.beneficiary?.orders !== undefined
      },
      foldsHint: 'the node log does not fold the custody reducers: create the node with machine: nodeMachine()',
      entry: factEntry,
      accepts: isCustodyEffect,
      execute: async (effect) => {
        await this.#core.lane(effect.order.toString(), async () => { await this.#execute(effect) })
        return true
      },
      messages: isCustodyMessageType,
      judge: {
        judged: (_order, envelope) => isRecorded(this.state, envelope),
        judge: (envelope, body) => this.#judge.judge(envelope, body),
        early: (err) => (err as Error).name === 'PrematureMessageError',
        refused: isRefusal,
        rejected: rejectedFact,
        refusal: (fact) => fact.kind === CUSTODY_FACTS.rejected ? fact : undefined,
        record: (fact, done) => this.#commit([fact], undefined, done)
      },
      appended: (entry) => { this.#appended(entry) },
      retryMs: init.retryMs ?? 500
    })
  }

  /** The custody slices of the node's state. */
  get state (): CustodyState {
    return this.#c.node.log.state as CustodyState
  }

  get network (): BitcoinNetwork {
    return this.#network
  }

  async start (options: Options = {}): Promise<void> {
    await this.#core.start(options)
  }

  async stop (): Promise<void> {
    if (!this.#core.running) return
    await this.#core.stop()
    await this.#c.keystore.stop()
  }

  // ---- operations (REST API) ----

  /** Creates an order as its principal; resolves once the order envelope and its fact are in the log. */
  async createOrder (input: NewOrder, options: Options = {}): Promise<OrderView> {
    this.#core.assertRunning()
    if (!this.#roles.has('principal')) throw new RoleError('this node does not serve as principal')
    const fiduciary = input.fiduciary ?? this.#defaultFiduciary
    if (fiduciary === undefined) throw new InvalidRequestError('no fiduciary named, and none is configured')
    const self = this.#c.node.identity.cid
    for (const [role, party] of [['beneficiary', input.beneficiary], ['fiduciary', fiduciary]] as const) {
      if (party.equals(self) && !this.#roles.has(role)) throw new RoleError(`this node does not serve as ${role}`)
    }
    const body = orderBody({ beneficiary: input.beneficiary, fiduciary, network: input.network ?? this.#network })
    const envelope = await this.#send(CUSTODY_MESSAGES.order, [input.beneficiary, fiduciary], body, { thread: null, prev: [] }, options)
    const view = orderView(this.state, envelope.cid)
    if (view === undefined) throw new OrderStateError(`order ${envelope.cid.toString()} was refused by this node's own rules`)
    return view
  }

  /** Asks the order's fiduciary to release its share to the beneficiary (principal only); a repeat is a no-op. */
  async requestRelease (order: CID, options: Options = {}): Promise<OrderView> {
    this.#core.assertRunning()
    return await this.#core.lane(order.toString(), async () => {
      const self = this.#c.node.identity.cid
      const refusal = checkReleaseRequest(this.state, order, self)
      if (refusal !== null && refusal.name !== 'DuplicateMessageError') throw refusal
      const o = roleOrder(this.state, 'principal', order)
      if (refusal === null && o?.wallet != null) {
        const prev = distinct([o.envelopes[CUSTODY_MESSAGES.address]].filter((c): c is CID => c !== undefined))
        await this.#send(CUSTODY_MESSAGES.releaseRequest, [o.fiduciary], releaseRequestBody({ beneficiary: o.beneficiary, walletKey: o.wallet.walletKey }), { thread: order, prev }, options)
      }
      return orderView(this.state, order) as OrderView
    })
  }

  /**
   * The redeemed wallet key of `order` (beneficiary only), HPKE-sealed to `recipientKey` (custody-export.ts):
   * never in clear outside the key store and the caller.
   */
  async exportKey (order: CID, format: SecretKeyFormat, recipientKey: Uint8Array, options: Options = {}): Promise<ExportedKey> {
    this.#core.assertRunning()
    const b = roleOrder(this.state, 'beneficiary', order)
    if (b === undefined) {
      if (orderView(this.state, order) !== undefined) throw new RoleError(`this node is not the beneficiary of order ${order.toString()}`)
      throw new UnknownOrderError(`order ${order.toString()} is not known to this node`)
    }
    if (b.imported === null || b.wallet === null) throw new OrderStateError(`order ${order.toString()} is not redeemed yet`)
    if (recipientKey.length !== 32) throw new InvalidRequestError('the export recipient key must be a 32-byte X25519 public key')
    const walletKey = b.wallet.walletKey
    const sealed = await this.#c.keystore.use(b.imported.wallet, (w) => {
      checkCombined(w, walletKey)
      const text = new TextEncoder().encode(exportSecretKey(w, format, b.network))
      try {
        return sealExport(recipientKey, order, text)
      } finally {
        wipe(text)
      }
    }, options)
    this.#c.logger.info({ order: order.toString(), format }, 'wallet key exported (sealed to the operator)')
    return { ...sealed, format, network: b.network, walletKey }
  }

  order (order: CID | string): OrderView | undefined {
    return orderView(this.state, order)
  }

  orders (page: { cursor?: string, limit?: number } = {}): OrderPage {
    return pageOfOrders(this.state, page)
  }

  /** Resolves with the order's view once `until` holds for it (checked now and on every update of the order). */
  async waitFor (order: CID | string, until: (view: OrderView) => boolean, options: Options = {}): Promise<OrderView> {
    return await this.#core.waitFor(order, (id) => orderView(this.state, id), until, options)
  }

  /** Counts of orders per role and status. */
  summary (): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {}
    for (const role of ['principal', 'fiduciary', 'beneficiary'] as const) {
      const counts: Record<string, number> = {}
      for (const [, o] of entriesOf<{ readonly status: string }>(this.state[role].orders)) counts[o.status] = (counts[o.status] ?? 0) + 1
      out[role] = counts
    }
    return out
  }

  // ---- effects ----

  #appended (entry: Appended['entry']): void {
    const fact = readFact(entry)
    if (fact === undefined) return
    if (fact.order === null) return
    const id = fact.order.toString()
    this.#core.unpark(id)
    this.#core.wake(id)
    this.emit('order:updated', id, fact)
  }

  async #execute (e: CustodyEffect): Promise<void> {
    // Usually already done: effects are looked ahead and executed with the fact that asks for
    // them (#commit); then the state shows the work recorded and the executor has nothing to do.
    const next = await this.#prepare(e, this.state)
    if (next !== undefined) await this.#commit(next.facts, next.envelope)
  }

  /**
   * Appends `facts` (after `envelope.sent` of `sent`, when given) together with what they lead to,
   * in one go. The pure rules (applyFact, the reducers' own) say which effects each fact will ask
   * for; those this node can do right away — generate a share, seal a message to other nodes,
   * seal a released share — are done now, and their envelopes and facts are appended in the same
   * group commit. A message's path through a node then costs one commit instead of one per step.
   * The effects the reducers emit when the facts are applied find the work recorded and do nothing;
   * whatever is not looked ahead (a message to this node itself) runs as an ordinary effect.
   */
  async #commit (facts: readonly CustodyFact[], sent?: DecodedEnvelope, done: readonly string[] = []): Promise<void> {
    const { node } = this.#c
    const self = node.identity.cid
    const plan: Array<PlanItem<CustodyFact>> = []
    if (sent !== undefined) plan.push({ envelope: sent })
    const queue = [...facts]
    let state = this.state
    for (let fact = queue.shift(); fact !== undefined; fact = queue.shift()) {
      plan.push({ fact })
      const r = applyFact(state, fact, self)
      state = r.state
      for (const e of r.effects) {
        const next = await this.#prepare(e, state, { ahead: true })
        if (next === undefined) continue
        if (next.envelope !== undefined) plan.push({ envelope: next.envelope })
        queue.push(...next.facts)
      }
    }
    // Issued in one synchronous pass: the log takes them in this order, in one group commit.
    await this.#core.commit(plan, done)
  }

  /**
   * The work an effect asks for, done against `state`: the facts that record it (and the envelope
   * to append before them), or undefined when `state` shows it done. With `ahead`, a message to
   * this node itself is left to the effect (its judgement needs the state with the facts applied).
   */
  async #prepare (e: CustodyEffect, state: CustodyState, options: { ahead?: boolean } = {}): Promise<{ facts: CustodyFact[], envelope?: DecodedEnvelope } | undefined> {
    const { node, keystore } = this.#c
    const self = node.identity.cid
    if (custodyEffectSettled(state, e)) return undefined
    switch (e.type) {
      case CUSTODY_EFFECTS.generateShare:
        return { facts: [await this.#newShare(e.order, e.role)] }
      case CUSTODY_EFFECTS.send:
        if (options.ahead === true && e.to.some((c) => c.equals(self))) return undefined
        return await this.#message(e.message, e.to, e.body, { thread: e.order, prev: e.prev })
      case CUSTODY_EFFECTS.releaseShare: {
        if (options.ahead === true && e.beneficiary.equals(self)) return undefined
        const beneficiary = await node.resolve(e.beneficiary)
        const sealed = await keystore.release(e.handle, beneficiary.doc.encryptionKey, RELEASE_INFO, { aad: releaseAad(e.order, e.beneficiary, e.publicKey) })
        crashPoint('custody.share-sealed')
        return await this.#message(CUSTODY_MESSAGES.release, [e.beneficiary], releaseBody({ publicKey: e.publicKey, enc: sealed.enc, ct: sealed.ciphertext }), { thread: e.order, prev: e.prev })
      }
    }
  }

  /**
   * A fresh share of `role` for `order` in the key store, with its proof of possession. A crash
   * before its fact is appended leaves an unused record in the key store, never a reused share.
   */
  async #newShare (order: CID, role: CustodyRole): Promise<CustodyFact> {
    const { keystore, node } = this.#c
    const { stored, result: pop } = await keystore.generateAndUse('secp256k1', (secret, s) => {
      crashPoint('custody.share-generated')
      return createProofOfPossession(secret, shareContext(order, role, node.identity.cid), { publicKey: s.publicPart })
    })
    return { kind: CUSTODY_FACTS.share, order, role, handle: stored.handle, publicKey: stored.publicPart, pop }
  }

  /** Seals `body` as a `type` message of the order to `to`, with the fact it establishes here (judged as received when addressed to this node too). */
  async #message (type: CustodyMessageType, to: readonly CID[], body: IpldValue, links: SealLinks, options: Options = {}): Promise<{ facts: CustodyFact[], envelope: DecodedEnvelope }> {
    const { node } = this.#c
    const recipients = await Promise.all(distinct(to).map(async (c) => await node.resolve(c, options)))
    const envelope = node.seal(recipients, type, body, links)
    const self = node.identity.cid
    const fact = to.some((c) => c.equals(self))
      ? await this.#judge.judge(envelope, body, options)
      : decodeMessage(envelope, body, { verify: false }).fact
    return { facts: [fact], envelope }
  }

  /** Sends a message (API operations): sealed, appended with its fact and what follows, delivered. */
  async #send (type: CustodyMessageType, to: readonly CID[], body: IpldValue, links: SealLinks, options: Options = {}): Promise<DecodedEnvelope> {
    const m = await this.#message(type, to, body, links, options)
    await this.#commit(m.facts, m.envelope)
    return m.envelope
  }
}
