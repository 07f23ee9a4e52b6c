// Building one group commit: from the tip of the chain and the drafts queued since, the entries
// (seq, prev, Lamport clock, checkpoint markers — see `checkpointInterval` —, the signature on the last entry —
// or on every entry), the reducers run over them, and the state-DB operations that make the group
// durable (seq index, head, outbox records of its effects, checkpoint records). Nothing is written
// here; log.ts writes the result. A reducer or signer that throws leaves the tip as it was.
import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import { encodeCheckpoint } from './checkpoint.ts'
import { checkFields, cidOfBlock, encodeEntry, signingMessage, type EntryFields, type StoredEntry } from './entry.ts'
import { seqKey, type Sublevels } from './layout.ts'
import { encodeOutbox, outboxKey } from './outbox.ts'
import type { Head } from './recover.ts'
import type { StateOps } from './stores.ts'
import { LOG_KINDS, type Effect, type IpldValue, type KeyedEffect, type StateMachine } from './types.ts'

export interface LogSigner {
  readonly publicKey: Uint8Array
  sign (message: Uint8Array): Uint8Array | Promise<Uint8Array>
}

export interface EntryDraft {
  readonly kind: string
  readonly body?: IpldValue
  readonly link?: CID
  /** Wall-clock ms; default: `Date.now()` when `append` is called. */
  readonly time?: number
  /** Lamport clock of the envelope that caused this entry: the entry's clock goes past it. */
  readonly observedClock?: number
}

/** Where the next group is built from. */
export interface Tip<S> {
  readonly head: Head | undefined
  readonly state: S
  readonly lastMarker: number
  /** Seqs of the stored checkpoint records, newest first. */
  readonly checkpoints: readonly number[]
  /** Size of the newest checkpoint's encoded state (0: none yet); sets the next interval. */
  readonly lastStateBytes: number
}

/**
 * Entries from one checkpoint marker to the next: at least `every`, and at least one per
 * `bytesPerEntry` bytes of the last checkpoint's state. A checkpoint encodes the whole state on the
 * event loop (~55 MB/s measured on custody state), so with a fixed interval its cost per entry
 * grows with the state: at 2.7 MB of state (some 2,500 custody orders) one every 1,000 entries was
 * a 45 ms stall each second and 5.6 % of a node's CPU under load. With the interval growing with
 * the state, encoding costs at most `bytesPerEntry` bytes per entry appended, and a restart replays
 * at most state-bytes / `bytesPerEntry` entries after loading the checkpoint (at ~40k entries/s,
 * 0.26 s for that 2.7 MB state with the default 256). `bytesPerEntry` 0: every `every` entries.
 */
export function checkpointInterval (every: number, lastStateBytes: number, bytesPerEntry: number): number {
  if (every <= 0) return 0
  return bytesPerEntry > 0 ? Math.max(every, Math.ceil(lastStateBytes / bytesPerEntry)) : every
}

export interface GroupItem {
  readonly draft: EntryDraft
  readonly time: number
}

export interface Built<S, E extends Effect, T extends GroupItem> {
  /** In seq order; `item` is undefined for checkpoint markers. */
  readonly entries: Array<{ readonly entry: StoredEntry, readonly effects: readonly KeyedEffect<E>[], readonly item: T | undefined }>
  readonly ops: StateOps
  readonly tip: Tip<S>
}

export interface GroupContext<S, E extends Effect> {
  readonly author: CID
  readonly signer: LogSigner
  readonly signEvery: boolean
  readonly machine: StateMachine<S, E>
  /** Fewest entries between markers; 0: none. */
  readonly every: number
  /** Bytes of state per entry between markers (checkpointInterval); 0: exactly `every`. */
  readonly bytesPerEntry: number
  /** Checkpoint records kept. */
  readonly keep: number
  readonly subs: Sublevels
}

export async function buildGroup<S, E extends Effect, T extends GroupItem> (tip: Tip<S>, group: readonly T[], ctx: GroupContext<S, E>): Promise<Built<S, E, T>> {
  // The plan fixes which entries are markers and which one is last (signed) before any CID exists.
  const plan: Array<T | 'marker'> = []
  let lastMarker = tip.lastMarker
  const interval = checkpointInterval(ctx.every, tip.lastStateBytes, ctx.bytesPerEntry)
  {
    let seq = (tip.head?.seq ?? -1) + 1
    for (const item of group) {
      plan.push(item)
      if (interval > 0 && seq - lastMarker >= interval) { plan.push('marker'); lastMarker = ++seq }
      seq++
    }
  }
  const { seq: seqSub, meta, ckpt, outbox } = ctx.subs
  const { author, machine } = ctx
  let state = tip.state
  let prev: CID | null = tip.head?.cid ?? null
  let clock = tip.head?.clock ?? 0
  let seq = (tip.head?.seq ?? -1) + 1
  const checkpoints = [...tip.checkpoints]
  let lastStateBytes = tip.lastStateBytes
  const entries: Array<{ entry: StoredEntry, effects: readonly KeyedEffect<E>[], item: T | undefined }> = []
  const ops: StateOps = []
  for (let i = 0; i < plan.length; i++) {
    const p = plan[i] as T | 'marker'
    let fields: EntryFields
    let stateBytes: Uint8Array | undefined
    if (p === 'marker') {
      stateBytes = dagCbor.encode(state)
      lastStateBytes = stateBytes.length
      fields = { v: 1, seq, prev, clock: clock + 1, time: Date.now(), kind: LOG_KINDS.checkpoint, body: { state: cidOfBlock(stateBytes), version: machine.version }, author }
    } else {
      const d = p.draft
      fields = {
        v: 1, seq, prev, clock: Math.max(clock, d.observedClock ?? 0) + 1, time: p.time, kind: d.kind, author,
        ...(d.link !== undefined ? { link: d.link } : { body: d.body ?? null })
      }
    }
    const sig = ctx.signEvery || i === plan.length - 1 ? await ctx.signer.sign(signingMessage(fields)) : undefined
    const entry = encodeEntry(fields, sig)
    let effects: readonly KeyedEffect<E>[] = []
    if (p === 'marker') {
      ops.push({ type: 'put', sublevel: ckpt, key: seqKey(seq), value: encodeCheckpoint({ seq, entry: entry.cid, version: machine.version, state: stateBytes as Uint8Array }) })
      checkpoints.unshift(seq)
      for (const old of checkpoints.splice(ctx.keep)) ops.push({ type: 'del', sublevel: ckpt, key: seqKey(old) })
    } else {
      const r = machine.apply(state, entry)
      state = r.state
      effects = r.effects
    }
    ops.push({ type: 'put', sublevel: seqSub, key: seqKey(seq), value: entry.cid.bytes })
    entries.push({ entry, effects, item: p === 'marker' ? undefined : p })
    prev = entry.cid
    clock = entry.clock
    seq++
  }
  // Effects whose work the group itself recorded are done (StateMachine.settled); the rest go to the outbox.
  const settled = machine.settled
  for (const e of entries) {
    if (e.effects.length === 0) continue
    if (settled !== undefined) e.effects = e.effects.filter((k) => !settled.call(machine, state, k.effect))
    for (const k of e.effects) ops.push({ type: 'put', sublevel: outbox, key: outboxKey(k.seq, effectIndex(k.key)), value: encodeOutbox(k) })
  }
  const last = entries[entries.length - 1]?.entry as StoredEntry
  const head = { seq: last.seq, cid: last.cid, clock: last.clock }
  ops.push({ type: 'put', sublevel: meta, key: 'head', value: dagCbor.encode(head) })
  return { entries, ops, tip: { head, state, lastMarker, checkpoints, lastStateBytes } }
}

/** n of an effect key `${entryCid}:${n}`. */
export function effectIndex (key: string): number {
  return Number.parseInt(key.slice(key.lastIndexOf(':') + 1), 10)
}

/** Rejects a draft that could never become a valid entry, before it joins a group. */
export function checkDraft (draft: EntryDraft, time: number, author: CID): void {
  if (draft.kind === LOG_KINDS.checkpoint) throw new TypeError('checkpoint entries are written by the log itself')
  if (draft.observedClock !== undefined && (!Number.isSafeInteger(draft.observedClock) || draft.observedClock < 0)) {
    throw new TypeError('observedClock must be a non-negative safe integer')
  }
  // Fields with a placeholder position: checks kind, body/link rules, time, and that the body encodes.
  const probe = { v: 1, seq: 1, prev: author, clock: 1, time, kind: draft.kind, author, ...(draft.link !== undefined ? { link: draft.link } : { body: draft.body ?? null }) }
  checkFields(probe, (m) => new TypeError(m))
  if (draft.link === undefined) dagCbor.encode(draft.body ?? null)
}
