// LevelLog: the node's append-only, single-writer chain of signed entries, its reduced state and
// its outbox of effects.
//
// Appends are queued and written in group commits. Each group is built in order (group.ts: seq,
// prev, Lamport clock, reducers, a checkpoint marker every `checkpointEvery` entries, a signature
// on the last entry — on every entry with `signing: 'entry'`), and then
//   1. every block of the group (entries and the blocks they link, e.g. envelopes) is written in
//      one LevelDB batch of the blockstore;
//   2. only then, one batch of the state DB moves the head and writes the seq index, the outbox
//      records of the group's effects and any checkpoint record.
// Both batches are fsynced unless `sync: false`. A crash at any instant leaves either the old head
// (plus unreferenced blocks, harmless) or the new one with everything it refers to: a valid log.
// While one group is being written the next is built, so CPU and disk overlap; heads still move
// strictly in order. `append` resolves once its entry is durable, with the entry and its effects.
//
// `start()` checks the layout version and verifies what a restart relies on (recover.ts): the
// head against the index, the newest checkpoint against its signed marker, and every entry after
// it (hashes, chain, clocks, signatures). A log that does not verify is refused with
// CorruptLogError; `milagro audit` verifies everything from genesis.
//
// Not done here: networking (Helia serves the same blockstore), deciding what to append (node/),
// executing effects (node/). A log opened without a signer is read-only.
import { CID } from 'multiformats/cid'
import { audit } from './audit.ts'
import type { Block, LogBlockstore } from './blockstore.ts'
import { blockMatches, decodeEntry, type StoredEntry } from './entry.ts'
import { BlockNotFoundError, CorruptLogError, LogClosedError, LogFailedError, SignerMismatchError } from './errors.ts'
import { buildGroup, checkDraft, effectIndex, type Built, type EntryDraft, type LogSigner, type Tip } from './group.ts'
import { crashPoint } from './crash-point.ts'
import { checkLayout, seqKey, sublevels, type Sublevels } from './layout.ts'
import { outboxKey } from './outbox.ts'
import { recover, type Head } from './recover.ts'
import type { ResolveSigningKey, VerifyBatch } from './replay.ts'
import type { StateDb } from './stores.ts'
import type { Effect, KeyedEffect, StateMachine } from './types.ts'

export type { Head } from './recover.ts'

export type { EntryDraft, LogSigner } from './group.ts'

export interface AppendOptions {
  readonly signal?: AbortSignal
  /** Blocks the entry links to (the envelope of an `envelope.*` entry), stored in the same batch. */
  readonly blocks?: readonly Block[]
  /**
   * Keys of pending effects this entry completes (the judgement of a received envelope, for its
   * open effect): they leave the outbox in the entry's own group commit, atomically with it,
   * instead of in a markDone batch of their own after it.
   */
  readonly done?: readonly string[]
}

export interface Appended<E extends Effect = Effect> {
  readonly entry: StoredEntry
  readonly effects: readonly KeyedEffect<E>[]
}

/** Events of a LevelLog: `log:append` once per appended entry when it is durable (not for checkpoint markers). */
export interface LogEvents<E extends Effect = Effect> {
  'log:append': CustomEvent<Appended<E>>
}

export interface LogComponents {
  readonly blockstore: LogBlockstore
  readonly state: StateDb
}

export interface LogInit<S, E extends Effect> {
  /** CID of this node's identity document: the author of every entry it appends. */
  readonly author: CID
  /** The identity's signing key. Without one the log is read-only. */
  readonly signer?: LogSigner
  readonly resolveSigningKey: ResolveSigningKey
  readonly verifyBatch?: VerifyBatch
  readonly machine?: StateMachine<S, E>
  /** Fewest entries between checkpoint markers; 0 disables checkpoints. Default 1000. */
  readonly checkpointEvery?: number
  /**
   * The interval also grows with the state: one marker per this many bytes of the last
   * checkpoint's state (group.ts, checkpointInterval). Default 256; 0: exactly checkpointEvery.
   */
  readonly checkpointBytesPerEntry?: number
  /** Checkpoint records kept. Default 2. */
  readonly keepCheckpoints?: number
  /** 'group' (default): sign the last entry of each group commit; 'entry': sign every entry. */
  readonly signing?: 'group' | 'entry'
  /** Largest group commit, in entries. Default 1024. */
  readonly maxGroup?: number
  /** fsync each group commit. Default true. */
  readonly sync?: boolean
  /** What CorruptLogError tells the operator to run, e.g. `milagro audit --home /srv/node`. */
  readonly auditHint?: string
  /**
   * 'tail' (default): at start, verify the head, the newest checkpoint and the entries after it.
   * 'full': audit the whole log from genesis first (slow on a long log; what `milagro audit` does).
   */
  readonly verifyOnStart?: 'tail' | 'full'
}

export interface StartInfo {
  /** Seq of the checkpoint the state was loaded from; undefined: replayed from genesis. */
  readonly from: number | undefined
  /** Entries folded on top of it. */
  readonly replayed: number
}

interface Pending {
  readonly draft: EntryDraft
  readonly time: number
  readonly blocks: readonly Block[]
  readonly done: readonly string[]
  readonly resolve: (a: Appended<never>) => void
  readonly reject: (err: unknown) => void
  readonly signal: AbortSignal | undefined
  readonly onAbort: (() => void) | undefined
}

const NULL_MACHINE: StateMachine<null, never> = { version: 0, initial: null, apply: (state) => ({ state, effects: [] }) }

export class LevelLog<S = null, E extends Effect = Effect> extends EventTarget {
  readonly #components: LogComponents
  readonly #init: LogInit<S, E>
  readonly #machine: StateMachine<S, E>
  readonly #subs: Sublevels
  readonly #every: number
  readonly #bytesPerEntry: number
  readonly #keep: number
  readonly #maxGroup: number
  readonly #sync: boolean
  #started = false
  #failed: Error | undefined
  /** The last durable entry and the state after it: what readers see. */
  #head: Head | undefined
  #state: S
  /** Where the next group is built from: ahead of #head while a group is being written. */
  #tip: Tip<S>
  #pending = new Map<string, { readonly outbox: string, readonly effect: KeyedEffect<E> }>()
  #queue: Pending[] = []
  #startInfo: StartInfo = { from: undefined, replayed: 0 }
  #committing: Promise<void> | undefined

  constructor (components: LogComponents, init: LogInit<S, E>) {
    super()
    this.#components = components
    this.#init = init
    this.#machine = init.machine ?? (NULL_MACHINE as unknown as StateMachine<S, E>)
    this.#state = this.#machine.initial
    this.#tip = { head: undefined, state: this.#state, lastMarker: -1, checkpoints: [], lastStateBytes: 0 }
    this.#subs = sublevels(components.state)
    this.#every = init.checkpointEvery ?? 1000
    this.#bytesPerEntry = init.checkpointBytesPerEntry ?? 256
    this.#keep = Math.max(1, init.keepCheckpoints ?? 2)
    this.#maxGroup = Math.max(1, init.maxGroup ?? 1024)
    this.#sync = init.sync ?? true
    if (!Number.isSafeInteger(this.#every) || this.#every < 0) throw new RangeError('checkpointEvery must be a non-negative integer')
    if (!Number.isSafeInteger(this.#bytesPerEntry) || this.#bytesPerEntry < 0) throw new RangeError('checkpointBytesPerEntry must be a non-negative integer')
  }

  async start (options?: { signal?: AbortSignal }): Promise<void> {
    if (this.#started) return
    const signer = this.#init.signer
    if (signer !== undefined) {
      const key = await this.#init.resolveSigningKey(this.#init.author)
      if (key.length !== signer.publicKey.length || !key.every((b, i) => b === signer.publicKey[i])) {
        throw new SignerMismatchError(`the signer does not hold the signing key of author ${this.#init.author.toString()}`)
      }
    }
    await checkLayout(this.#components.state, this.#subs.meta, { create: signer !== undefined })
    if (this.#init.verifyOnStart === 'full') {
      const report = await audit(this.#components, {
        machine: this.#machine,
        resolveSigningKey: this.#init.resolveSigningKey,
        ...(this.#init.verifyBatch !== undefined ? { verifyBatch: this.#init.verifyBatch } : {}),
        ...(options?.signal !== undefined ? { signal: options.signal } : {})
      })
      if (report.problem !== undefined) throw new CorruptLogError(report.problem, this.#init.auditHint !== undefined ? { auditHint: this.#init.auditHint } : undefined)
    }
    const r = await recover(this.#components, this.#subs, {
      machine: this.#machine,
      resolveSigningKey: this.#init.resolveSigningKey,
      ...(this.#init.verifyBatch !== undefined ? { verifyBatch: this.#init.verifyBatch } : {}),
      ...(this.#init.auditHint !== undefined ? { auditHint: this.#init.auditHint } : {}),
      ...(options?.signal !== undefined ? { signal: options.signal } : {})
    })
    this.#head = r.head
    this.#state = r.state
    this.#tip = { head: r.head, state: r.state, lastMarker: r.lastMarker, checkpoints: r.checkpoints, lastStateBytes: r.lastStateBytes }
    this.#pending = new Map(r.pending.map((e) => [e.key, { outbox: outboxKey(e.seq, effectIndex(e.key)), effect: e as KeyedEffect<E> }]))
    this.#startInfo = { from: r.from, replayed: r.replayed }
    this.#failed = undefined
    this.#started = true
  }

  async stop (): Promise<void> {
    if (!this.#started) return
    this.#started = false
    while (this.#committing !== undefined) await this.#committing.catch(() => {})
    for (const p of this.#queue.splice(0)) p.reject(new LogClosedError())
  }

  /** The last durable entry, or undefined for an empty log. */
  get head (): Head | undefined {
    return this.#head
  }

  /** How the last start rebuilt the state: from which checkpoint, folding how many entries. */
  get startInfo (): StartInfo {
    return this.#startInfo
  }

  /** The reduced state after the last durable entry. */
  get state (): S {
    return this.#state
  }

  /** Effects not yet marked done, in seq order (after a restart: those of earlier runs). */
  pending (): readonly KeyedEffect<E>[] {
    return [...this.#pending.values()].sort((a, b) => a.outbox < b.outbox ? -1 : 1).map((p) => p.effect)
  }

  /** Marks effects done: they leave the outbox and are not handed out again. */
  async markDone (keys: readonly string[], options?: { signal?: AbortSignal }): Promise<void> {
    this.#assertOpen()
    options?.signal?.throwIfAborted()
    const found = keys.flatMap((k) => {
      const p = this.#pending.get(k)
      return p === undefined ? [] : [[k, p.outbox] as const]
    })
    if (found.length === 0) return
    crashPoint('log.mark-done')
    await this.#components.state.batch(found.map(([, key]) => ({ type: 'del' as const, sublevel: this.#subs.outbox, key })), { sync: this.#sync })
    for (const [k] of found) this.#pending.delete(k)
  }

  /** Reads one entry (hash-checked, not signature-checked). */
  async get (seq: number, options?: { signal?: AbortSignal }): Promise<StoredEntry> {
    this.#assertOpen()
    options?.signal?.throwIfAborted()
    const raw = await this.#subs.seq.get(seqKey(seq))
    if (raw === undefined) throw new BlockNotFoundError(`no entry at seq ${seq}`)
    const cid = CID.decode(raw)
    const [bytes] = await this.#components.blockstore.getBlocks([cid])
    if (bytes === undefined) throw new BlockNotFoundError(`the block of seq ${seq} (${cid.toString()}) is missing`)
    return decodeEntry(bytes, cid)
  }

  append (draft: EntryDraft, options: AppendOptions = {}): Promise<Appended<E>> {
    if (!this.#started) return Promise.reject(new LogClosedError())
    if (this.#failed !== undefined) return Promise.reject(this.#failed)
    if (this.#init.signer === undefined) return Promise.reject(new TypeError('this log was opened without a signer (read-only)'))
    try {
      options.signal?.throwIfAborted()
    } catch (err) {
      return Promise.reject(err)
    }
    const time = draft.time ?? Date.now()
    try {
      checkDraft(draft, time, this.#init.author)
      for (const b of options.blocks ?? []) {
        if (!blockMatches(b.cid, b.bytes)) throw new TypeError(`block ${b.cid.toString()} does not hash to its CID (sha2-256)`)
      }
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise<Appended<E>>((resolve, reject) => {
      const signal = options.signal
      const item: Pending = {
        draft,
        time,
        blocks: options.blocks ?? [],
        done: options.done ?? [],
        resolve: resolve as (a: Appended<never>) => void,
        reject,
        signal,
        onAbort: signal === undefined
          ? undefined
          : () => {
              const i = this.#queue.indexOf(item)
              if (i !== -1) { this.#queue.splice(i, 1); reject(signal.reason) }
            }
      }
      if (signal !== undefined && item.onAbort !== undefined) signal.addEventListener('abort', item.onAbort, { once: true })
      this.#queue.push(item)
      this.#schedule()
    })
  }

  #assertOpen (): void {
    if (!this.#started) throw new LogClosedError()
  }

  #schedule (): void {
    if (this.#committing !== undefined) return
    this.#committing = new Promise<void>((resolve) => {
      // setImmediate: appends made by the callers woken by the previous commit join this group.
      setImmediate(() => {
        this.#drain().finally(() => {
          this.#committing = undefined
          resolve()
          // An append that arrived while the last group was being written is not left waiting.
          if (this.#queue.length > 0 && this.#failed === undefined) this.#schedule()
        })
      })
    })
  }

  /**
   * Group commits, two deep: while group k is being written, group k+1 is built from the tip. The
   * blocks of k+1 may be written while k's state batch is in flight (unreferenced blocks are
   * harmless), but k+1's state batch — the one that moves the head — waits for k's, so the head
   * only ever moves forward over entries whose blocks are durable.
   */
  async #drain (): Promise<void> {
    let writing: Promise<void> | undefined
    while (this.#queue.length > 0 && this.#failed === undefined) {
      // A long queue is cut in two so that building one half overlaps writing the other.
      const take = this.#queue.length > SPLIT_AT ? Math.ceil(this.#queue.length / 2) : this.#queue.length
      const group = this.#queue.splice(0, Math.min(this.#maxGroup, take))
      for (const p of group) if (p.signal !== undefined && p.onAbort !== undefined) p.signal.removeEventListener('abort', p.onAbort)
      let built: Built<S, E, Pending>
      try {
        built = await buildGroup(this.#tip, group, {
          author: this.#init.author,
          signer: this.#init.signer as LogSigner,
          signEvery: this.#init.signing === 'entry',
          machine: this.#machine,
          every: this.#every,
          bytesPerEntry: this.#bytesPerEntry,
          keep: this.#keep,
          subs: this.#subs
        })
      } catch (err) {
        // A reducer threw or the signer failed: nothing of this group is written, the tip stays.
        for (const p of group) p.reject(err)
        continue
      }
      this.#tip = built.tip
      const done: string[] = []
      for (const p of group) {
        for (const k of p.done) {
          const pending = this.#pending.get(k)
          if (pending === undefined) continue
          built.ops.push({ type: 'del', sublevel: this.#subs.outbox, key: pending.outbox })
          done.push(k)
        }
      }
      const blocks: Block[] = []
      for (const p of group) blocks.push(...p.blocks)
      for (const e of built.entries) blocks.push({ cid: e.entry.cid, bytes: e.entry.bytes })
      const blocksDurable = this.#components.blockstore.putBlocks(blocks, { sync: this.#sync })
      const previous = writing
      writing = (async () => {
        try {
          await blocksDurable
          if (previous !== undefined) await previous
          if (this.#failed !== undefined) throw this.#failed
          crashPoint('log.blocks')
          if (built.entries.some((e) => e.item === undefined)) crashPoint('log.checkpoint')
          await this.#components.state.batch(built.ops, { sync: this.#sync })
        } catch (err) {
          this.#fail(err, group)
          return
        }
        crashPoint('log.commit')
        for (const k of done) this.#pending.delete(k)
        this.#publish(built)
      })()
      if (previous !== undefined) await previous
      if (this.#queue.length === 0) {
        // Let the callers woken by this group append again before deciding the queue is empty.
        await writing
        if (this.#queue.length === 0) await new Promise<void>((resolve) => setImmediate(resolve))
      }
    }
    await writing
  }

  #fail (err: unknown, group: readonly Pending[]): void {
    this.#failed ??= new LogFailedError(`a group commit could not be written; the log is closed: ${(err as Error).message}`, { cause: err })
    for (const p of [...group, ...this.#queue.splice(0)]) p.reject(this.#failed)
  }

  /** The group is durable: move the head, hand out its effects, resolve its appends. */
  #publish (built: Built<S, E, Pending>): void {
    const last = built.entries[built.entries.length - 1]?.entry as StoredEntry
    this.#head = { seq: last.seq, cid: last.cid, clock: last.clock }
    this.#state = built.tip.state
    for (const e of built.entries) {
      for (const k of e.effects) this.#pending.set(k.key, { outbox: outboxKey(k.seq, effectIndex(k.key)), effect: k })
    }
    for (const e of built.entries) {
      if (e.item === undefined) continue
      const appended: Appended<E> = { entry: e.entry, effects: e.effects }
      e.item.resolve(appended as Appended<never>)
      this.dispatchEvent(new CustomEvent('log:append', { detail: appended }))
    }
  }
}

/** Queues longer than this are committed as two groups, so building one overlaps writing the other. */
const SPLIT_AT = 128
