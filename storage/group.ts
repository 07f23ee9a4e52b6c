// Building one group commit: from the tip of the chain and the drafts queued since, the entries
// (seq, prev, Lamport clock, checkpoint markers every N entries, the signature on the last entry —
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
  /** Entries between markers; 0: none. */
  readonly every: number
  /** Checkpoint records kept. */
  readonly keep: number
  readonly subs: Sublevels
}

export async function buildGroup<S, E extends Effect, T extends GroupItem> (tip: Tip<S>, group: readonly T[], ctx: GroupContext<S, E>): Promise<Built<S, E, T>> {
  // The plan fixes which entries are markers and which one is last (signed) before any CID exists.
  const plan: Array<T | 'marker'> = []
  let lastMarker = tip.lastMarker
  {
    let seq = (tip.head?.seq ?? -1) + 1
    for (const item of group) {
      plan.push(item)
      if (ctx.every > 0 && seq - lastMarker >= ctx.every) { plan.push('marker'); lastMarker = ++seq }
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
  const entries: Built<S, E, T>['entries'] = []
  const ops: StateOps = []
  for (let i = 0; i < plan.length; i++) {
    const p = plan[i] as T | 'marker'
    let fields: EntryFields
    let stateBytes: Uint8Array | undefined
    if (p === 'marker') {
      stateBytes = dagCbor.encode(state)
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
      for (const k of effects) ops.push({ type: 'put', sublevel: outbox, key: outboxKey(k.seq, effectIndex(k.key)), value: encodeOutbox(k) })
    }
    ops.push({ type: 'put', sublevel: seqSub, key: seqKey(seq), value: entry.cid.bytes })
    entries.push({ entry, effects, item: p === 'marker' ? undefined : p })
    prev = entry.cid
    clock = entry.clock
    seq++
  }
  const last = entries[entries.length - 1]?.entry as StoredEntry
  const head = { seq: last.seq, cid: last.cid, clock: last.clock }
  ops.push({ type: 'put', sublevel: meta, key: 'head', value: dagCbor.encode(head) })
  return { entries, ops, tip: { head, state, lastMarker, checkpoints } }
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
