// The skeleton shared by the log-driven services (custody, safeguard, threshold custody, M-Pin):
// everything between the node's log and a service's own rules and work.
//
// The log is the truth. A service never changes state itself: it does the non-deterministic or
// secret work an effect asks for and appends the facts recording the result; its reducer does the
// rest and asks for the next effects. `ServiceCore` runs that loop:
//   - effects come from the log — `log:append` while running, `log.pending()` at start — so an
//     effect whose fact did not reach the disk before a crash runs again after the restart; the
//     Scheduler (service-base-scheduler.ts) runs each once at a time, retries, parks and marks done;
//   - a received envelope (the inbox's `envelope.open`, offered to every service) is taken by the
//     service whose message type it is, in the lane of its subject (its thread, or itself), and
//     judged once (`judgeOnce`): a judgement already recorded is not made again; a message that
//     came too early is parked until its subject's next fact; a refusal is recorded as the
//     service's rejected fact (its state otherwise unchanged); any other error is thrown and the
//     effect tried again;
//   - work on one subject (order, deposit, request) runs in one lane (serially), subjects
//     concurrently;
//   - what one step appends — envelopes sent (`envelope.sent`) and the facts they establish — is
//     issued in one synchronous pass (`commit`), in order, so it joins one group commit (one
//     fsynced batch) unless the log cuts a long queue in two (storage/log.ts); either way the
//     effect that asked for it is marked done only after, so a crash repeats it, idempotently.
//
// Why a helper object rather than a base class: each service keeps its own public surface (typed
// events, REST operations) and private state, and hands the core a narrow set of functions — its
// rules, its executors, its fact encoding — in the style of the components objects elsewhere. The
// core has no view of the service, and the differences between services (custody's look-ahead
// commit, M-Pin's own judgement that answers with envelopes, threshold's park time) stay in the
// service where a reader expects them instead of in overridden hooks of an abstract parent.
import type { CID } from 'multiformats/cid'
import type { KeyStore } from '../../crypto/index.ts'
import type { DecodedEnvelope } from '../../protocol/envelope.ts'
import type { KeyedEffect } from '../../protocol/state/effects.ts'
import { ENVELOPE_OPEN, type OpenEnvelopeEffect } from '../../protocol/state/inbox.ts'
import type { Appended, EntryDraft } from '../../storage/log.ts'
import type { Logger } from '../logger.ts'
import type { CustodyNode } from './custody-port.ts'
import { MachineMismatchError, ServiceStoppedError } from './errors.ts'
import { Lanes, Waiters } from './lanes.ts'
import { NotYetError, Scheduler } from './service-base-scheduler.ts'

export { NotDueError, NotYetError } from './service-base-scheduler.ts'

/** What a service needs of the node for the loop: its log, stored and received envelopes, sending. */
export type ServiceNode = Pick<CustodyNode, 'log' | 'readEnvelope' | 'open' | 'recordSent'>

/** One thing a step appends: an envelope sent (as `envelope.sent`), or a fact. */
export type PlanItem<F> = { readonly fact: F } | { readonly envelope: DecodedEnvelope }

type Options = { signal?: AbortSignal }

/** The standard judgement of a received message (see `judgeOnce`). */
export interface JudgeOnce<F> {
  /** Whether a judgement of `envelope` (about `subject`) is recorded already (taken, or refused). */
  readonly judged: (subject: string, envelope: DecodedEnvelope) => boolean
  /** The fact for an envelope addressed to this node, opened. `final`: what came too early is refused rather than thrown. */
  readonly judge: (envelope: DecodedEnvelope, body: unknown, final: boolean) => Promise<F>
  /** Whether an error means "came too early: judge again on the subject's next fact". */
  readonly early: (err: unknown) => boolean
  /** Whether an error means "refused" (recorded), as opposed to "this node failed" (thrown, tried again). */
  readonly refused: (err: unknown) => boolean
  /** The rejected fact recording a refusal. */
  readonly rejected: (envelope: DecodedEnvelope, err: Error) => F
  /** The refusal a fact records, if it is a rejected fact (logged). */
  readonly refusal: (fact: F) => { readonly error: string, readonly message: string } | undefined
  /**
   * Appends the fact (with whatever the service appends along with it). `done`: effect keys the
   * fact completes (the envelope's open effect), to pass on to `ServiceCore.commit`.
   */
  readonly record: (fact: F, done: readonly string[]) => Promise<void>
}

/** A judgement of the service's own: judges `envelope` about `subject` inside its lane and appends the result. */
export type JudgeInLane = (envelope: DecodedEnvelope, subject: string, final: boolean, done: readonly string[]) => Promise<void>

export interface ServiceCoreInit<F extends { readonly kind: string }, E extends { readonly type: string }> {
  /** The service's name in log lines and errors ('custody', 'M-Pin', …). */
  readonly name: string
  readonly node: ServiceNode
  /** Started with the service; stopping it is left to the service that owns it. */
  readonly keystore: Pick<KeyStore, 'start'>
  readonly logger: Logger
  /** Whether the node's state folds this service's reducer (checked at start). */
  readonly folds: (state: unknown) => boolean
  /** The MachineMismatchError message when it does not. */
  readonly foldsHint: string
  /** The log entry of one of the service's facts. */
  readonly entry: (fact: F) => EntryDraft
  /** Whether an effect is one of the service's own (besides `envelope.open`, offered to every service). */
  readonly accepts: (effect: { readonly type: string }) => effect is E
  /** Runs one of the service's effects (in the lane of its choice); false when it is not the service's after all. */
  readonly execute: (effect: E, final: boolean) => Promise<boolean>
  /** Whether a received envelope's type is one of the service's messages. */
  readonly messages: (type: string) => boolean
  /** How a message of the service is judged: the standard judge-once rules, or the service's own judgement. */
  readonly judge: JudgeOnce<F> | JudgeInLane
  /** Called for every entry appended (after its effects are scheduled): the service reads its facts, unparks, wakes, emits. */
  readonly appended: (entry: Appended['entry']) => void
  /** First retry delay of a failed effect (ms, default 500), doubled per attempt up to 30 s. */
  readonly retryMs?: number
  /** How long a message that came too early waits before it is judged for good (ms); default: as long as it takes. */
  readonly parkTtlMs?: number
  /** Messages waiting at most (default: no bound). */
  readonly maxParked?: number
  /** Clock for due times (default Date.now). */
  readonly now?: () => number
}

export class ServiceCore<F extends { readonly kind: string }, E extends { readonly type: string }> {
  readonly #init: ServiceCoreInit<F, E>
  readonly #judge: JudgeInLane
  readonly #scheduler: Scheduler
  readonly #lanes = new Lanes()
  readonly #waiters = new Waiters()
  #started = false
  readonly #onAppend = (evt: Event): void => {
    const a = (evt as CustomEvent<Appended>).detail
    for (const k of a.effects) this.#scheduler.schedule(k)
    this.#init.appended(a.entry)
  }

  constructor (init: ServiceCoreInit<F, E>) {
    this.#init = init
    this.#judge = typeof init.judge === 'function' ? init.judge : judgeOnce(init.name, init.node, init.logger, init.judge)
    this.#scheduler = new Scheduler({
      name: init.name,
      logger: init.logger,
      accepts: (k) => k.effect.type === ENVELOPE_OPEN || init.accepts(k.effect),
      run: (k, final) => this.#run(k, final),
      markDone: async (keys) => { await init.node.log.markDone(keys) },
      now: init.now ?? Date.now,
      retryMs: init.retryMs ?? 500,
      parkTtlMs: init.parkTtlMs,
      maxParked: init.maxParked ?? Number.POSITIVE_INFINITY
    })
  }

  get running (): boolean {
    return this.#started
  }

  /** Checks the node's machine, starts the key store, and runs the pending effects and those of every append from now on. */
  async start (options: Options = {}): Promise<void> {
    if (this.#started) return
    const { node, keystore } = this.#init
    if (!this.#init.folds(node.log.state)) throw new MachineMismatchError(this.#init.foldsHint)
    await keystore.start(options)
    node.log.addEventListener('log:append', this.#onAppend)
    this.#started = true
    this.#scheduler.start()
    for (const k of node.log.pending()) this.#scheduler.schedule(k)
  }

  /** Stops taking effects; resolves once the work in flight has run and its done marks are written. */
  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.#init.node.log.removeEventListener('log:append', this.#onAppend)
    this.#scheduler.stop()
    await this.#lanes.idle()
    await this.#scheduler.settled()
  }

  /** Throws ServiceStoppedError unless running (API operations). */
  assertRunning (): void {
    if (!this.#started) throw new ServiceStoppedError(`the ${this.#init.name} service is not running`)
  }

  /** Runs `fn` in the lane of `subject`: after the work queued for it so far. */
  lane<T> (subject: string, fn: () => Promise<T>): Promise<T> {
    return this.#lanes.run(subject, fn)
  }

  /** What waited for a fact about `subject` (parked messages) runs again. */
  unpark (subject: string): void {
    this.#scheduler.unpark(subject)
  }

  /** `waitFor` callers of `subject` check their condition again. */
  wake (subject: string): void {
    this.#waiters.wake(subject)
  }

  /** Resolves with `view(subject)` once `until` holds for it: now, or after a `wake` of the subject. */
  async waitFor<V> (subject: CID | string, view: (subject: string) => V | undefined, until: (view: V) => boolean, options: Options = {}): Promise<V> {
    const id = subject.toString()
    return await this.#waiters.until(id, () => {
      const v = view(id)
      return v !== undefined && until(v) ? v : undefined
    }, options)
  }

  /**
   * Appends `items` in order; the appends are issued in one synchronous pass, so they join one group
   * commit. `done` (effect keys the first fact completes) leaves the outbox with that fact.
   */
  async commit (items: ReadonlyArray<PlanItem<F>>, done: readonly string[] = []): Promise<void> {
    const { node, entry } = this.#init
    const first = items.findIndex((item) => !('envelope' in item))
    await Promise.all(items.map(async (item, i) => {
      if ('envelope' in item) await node.recordSent(item.envelope)
      else await node.log.append(entry(item.fact), i === first && done.length > 0 ? { done } : {})
    }))
  }

  /** Judges the stored envelope `cid` if it is one of the service's messages (false if not: left for its service to mark done). */
  async open (cid: CID, final = false, done: readonly string[] = []): Promise<boolean> {
    const envelope = await this.#init.node.readEnvelope(cid)
    if (envelope === undefined) throw new Error(`received envelope ${cid.toString()} is not in the blockstore`)
    if (!this.#init.messages(envelope.header.type)) return false // another service's: left for it to mark done
    const subject = (envelope.header.thread ?? envelope.cid).toString()
    await this.#lanes.run(subject, () => this.#judge(envelope, subject, final, done))
    return true
  }

  #run (k: KeyedEffect, final: boolean): Promise<boolean> {
    const effect = k.effect
    // The judgement's first fact takes the open effect out of the outbox with it (no markDone batch).
    if (effect.type === ENVELOPE_OPEN) return this.open((effect as OpenEnvelopeEffect).envelope, final, [k.key])
    return this.#init.execute(effect as unknown as E, final)
  }
}

/**
 * The standard judgement, in the subject's lane: nothing when a judgement is recorded already;
 * else open the envelope and judge it; a message that came too early is thrown as NotYetError (the
 * scheduler parks it), a refusal recorded as the rejected fact, any other error thrown.
 */
export function judgeOnce<F> (name: string, node: Pick<ServiceNode, 'open'>, logger: Logger, rules: JudgeOnce<F>): JudgeInLane {
  return async (envelope, subject, final, done) => {
    if (rules.judged(subject, envelope)) return
    let fact: F
    try {
      const opened = await node.open(envelope)
      fact = await rules.judge(envelope, opened.body, final)
    } catch (err) {
      if (rules.early(err)) throw new NotYetError(subject, undefined, { cause: err })
      if (!rules.refused(err)) throw err
      fact = rules.rejected(envelope, err as Error)
    }
    const refusal = rules.refusal(fact)
    if (refusal !== undefined) {
      logger.warn({ envelope: envelope.cid.toString(), type: envelope.header.type, from: envelope.header.sender.toString(), error: refusal.error, reason: refusal.message }, `${name} message refused`)
    }
    await rules.record(fact, done)
  }
}
