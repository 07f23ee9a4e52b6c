// What a restart verifies before the node serves its log, and how it rebuilds state quickly.
//
// Checked: the head record against the seq index (a truncated or rewritten index is caught
// here), the newest checkpoint record of the current state machine version against its marker
// entry (the marker is signed: an altered record no longer hashes to the marker's `state`), and
// every entry from that marker to the head — block present, hash, canonical decoding, seq, prev,
// clock, signatures (the head is always signed, so the whole tail is covered). The state is the
// checkpoint's, with the tail folded on top; markers in the tail are compared with the state too.
// Entries before the checkpoint were verified when it was written and are covered by its hash
// chain; re-checking them all is what `milagro audit` does (and `verifyOnStart: 'full'`).
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import type { LogBlockstore } from './blockstore.ts'
import { decodeCheckpoint, listCheckpoints, type CheckpointRecord } from './checkpoint.ts'
import { checkpointBody, cidOfBlock, decodeEntry, type StoredEntry } from './entry.ts'
import { CorruptLogError, type LogProblem } from './errors.ts'
import { parseSeqKey, seqKey, type Sublevels } from './layout.ts'
import { decodeOutbox } from './outbox.ts'
import { ChainVerifier, scan, type ResolveSigningKey, type VerifyBatch } from './replay.ts'
import { LOG_KINDS, type Effect, type KeyedEffect, type StateMachine } from './types.ts'

export interface Head {
  readonly seq: number
  readonly cid: CID
  readonly clock: number
}

export interface RecoverOptions<S, E extends Effect> {
  readonly machine: StateMachine<S, E>
  readonly resolveSigningKey: ResolveSigningKey
  readonly verifyBatch?: VerifyBatch
  readonly auditHint?: string
  readonly signal?: AbortSignal
}

export interface Recovered<S> {
  readonly head: Head | undefined
  readonly state: S
  readonly lastMarker: number
  /** Seqs of the stored checkpoint records, newest first. */
  readonly checkpoints: number[]
  /** Size of the newest stored checkpoint's state (0: none). */
  readonly lastStateBytes: number
  readonly pending: readonly KeyedEffect[]
  /** Seq of the checkpoint the state was loaded from (undefined: replayed from genesis). */
  readonly from: number | undefined
  /** Entries folded on top of it. */
  readonly replayed: number
}

export async function readHead (subs: Sublevels): Promise<Head | undefined> {
  const raw = await subs.meta.get('head')
  if (raw === undefined) return undefined
  const v = dagCbor.decode(raw) as { seq?: unknown, cid?: unknown, clock?: unknown }
  const cid = CID.asCID(v.cid)
  if (typeof v.seq !== 'number' || typeof v.clock !== 'number' || cid === null) throw new TypeError('malformed head record')
  return { seq: v.seq, cid, clock: v.clock }
}

export async function lastIndexSeq (subs: Sublevels): Promise<number> {
  const keys = await subs.seq.keys({ reverse: true, limit: 1 }).all()
  return keys[0] === undefined ? -1 : parseSeqKey(keys[0])
}

/** Follows `prev` links back from a known entry to find the CID of entry `target` (bounded walk). */
export async function cidByWalkingBack (blockstore: LogBlockstore, from: { seq: number, cid: CID }, target: number, limit = 10_000): Promise<CID | undefined> {
  let cur: { seq: number, cid: CID } = from
  while (cur.seq > target && from.seq - cur.seq < limit) {
    const [bytes] = await blockstore.getBlocks([cur.cid])
    if (bytes === undefined) return undefined
    let e: StoredEntry
    try { e = decodeEntry(bytes, cur.cid) } catch { return undefined }
    if (e.prev === null) return undefined
    cur = { seq: e.seq - 1, cid: e.prev }
  }
  return cur.seq === target ? cur.cid : undefined
}

/** Head record against the index: the first problem, if any. */
export async function checkHead (blockstore: LogBlockstore, subs: Sublevels, head: Head | undefined): Promise<LogProblem | undefined> {
  const last = await lastIndexSeq(subs)
  if (head === undefined) {
    return last === -1 ? undefined : { code: 'head-mismatch', seq: last, message: `the index holds entries up to seq ${last} but there is no head record` }
  }
  if (last < head.seq) {
    const missing = last + 1
    const cid = await cidByWalkingBack(blockstore, head, missing)
    return { code: 'index-gap', seq: missing, ...(cid !== undefined ? { cid: cid.toString() } : {}), message: `the index ends at seq ${last} but the head is seq ${head.seq} (${head.cid.toString()}): the index was truncated` }
  }
  if (last > head.seq) return { code: 'head-mismatch', seq: head.seq + 1, message: `the index has entries past the head (seq ${head.seq}) up to seq ${last}` }
  const raw = await subs.seq.get(seqKey(head.seq))
  const cid = raw === undefined ? undefined : CID.decode(raw)
  if (cid === undefined || !cid.equals(head.cid)) {
    return { code: 'head-mismatch', seq: head.seq, cid: head.cid.toString(), message: `the head record names ${head.cid.toString()} but the index holds ${String(cid)} at that seq` }
  }
  return undefined
}

/** A marker entry against the state replay computed at that point (undefined: fine or other version). */
export function checkMarker (entry: StoredEntry, state: unknown, version: number): LogProblem | undefined {
  const body = checkpointBody(entry)
  if (body.version !== version) return undefined
  const recorded = body.state.toString()
  const actual = cidOfBlock(dagCbor.encode(state)).toString()
  if (actual === recorded) return undefined
  return { code: 'checkpoint-mismatch', seq: entry.seq, cid: entry.cid.toString(), message: `the checkpoint marker records state ${recorded} but replay computes ${actual}` }
}

/** The stored record against its marker entry (undefined: fine). */
export async function checkRecord (blockstore: LogBlockstore, subs: Sublevels, rec: CheckpointRecord, head: Head): Promise<LogProblem | undefined> {
  const at = { seq: rec.seq, cid: rec.entry.toString() }
  if (rec.seq > head.seq) return { code: 'checkpoint-mismatch', ...at, message: `a checkpoint record is past the head (seq ${head.seq})` }
  const raw = await subs.seq.get(seqKey(rec.seq))
  if (raw === undefined || !CID.decode(raw).equals(rec.entry)) return { code: 'checkpoint-mismatch', ...at, message: 'the checkpoint record names an entry the index does not hold at that seq' }
  const [bytes] = await blockstore.getBlocks([rec.entry])
  if (bytes === undefined) return { code: 'missing-block', ...at, message: 'the checkpoint marker\'s block is not in the block store' }
  let marker: StoredEntry
  try {
    marker = decodeEntry(bytes, rec.entry)
  } catch (err) {
    return { code: 'hash-mismatch', ...at, message: `the checkpoint marker's block does not verify: ${(err as Error).message}` }
  }
  if (marker.kind !== LOG_KINDS.checkpoint) return { code: 'checkpoint-mismatch', ...at, message: `the checkpoint record points at a ${marker.kind} entry, not a checkpoint marker` }
  const body = checkpointBody(marker)
  if (body.version !== rec.version || !body.state.equals(cidOfBlock(rec.state))) {
    return { code: 'checkpoint-mismatch', ...at, message: 'the checkpoint record\'s state does not hash to the state its signed marker records (the record was altered)' }
  }
  return undefined
}

export async function recover<S, E extends Effect> (components: { readonly blockstore: LogBlockstore }, subs: Sublevels, options: RecoverOptions<S, E>): Promise<Recovered<S>> {
  const { blockstore } = components
  const { machine } = options
  const hint = options.auditHint !== undefined ? { auditHint: options.auditHint } : undefined
  const fail = (p: LogProblem): never => { throw new CorruptLogError(p, hint) }
  let head: Head | undefined
  try {
    head = await readHead(subs)
  } catch (err) {
    return fail({ code: 'head-mismatch', seq: 0, message: `the head record is unreadable: ${(err as Error).message}` })
  }
  const headProblem = await checkHead(blockstore, subs, head)
  if (headProblem !== undefined) fail(headProblem)
  const pending = (await subs.outbox.values().all()).map(decodeOutbox)
  if (head === undefined) return { head, state: machine.initial, lastMarker: -1, checkpoints: [], lastStateBytes: 0, pending, from: undefined, replayed: 0 }

  const stored = await listCheckpoints(subs.ckpt)
  let start: { seq: number, state: S } | undefined
  let lastStateBytes: number | undefined
  for (const s of stored) {
    let rec: CheckpointRecord
    try {
      rec = decodeCheckpoint(s.bytes)
    } catch (err) {
      return fail({ code: 'checkpoint-malformed', seq: s.seq, message: `the checkpoint record is unreadable: ${(err as Error).message}` })
    }
    if (rec.seq !== s.seq) fail({ code: 'checkpoint-mismatch', seq: s.seq, message: `the checkpoint record stored at seq ${s.seq} says seq ${rec.seq}` })
    lastStateBytes ??= rec.state.length
    if (rec.version !== machine.version) continue
    const problem = await checkRecord(blockstore, subs, rec, head)
    if (problem !== undefined) fail(problem)
    start = { seq: rec.seq, state: dagCbor.decode(rec.state) as S }
    break
  }

  const verifier = new ChainVerifier({
    resolveSigningKey: options.resolveSigningKey,
    ...(options.verifyBatch !== undefined ? { verifyBatch: options.verifyBatch } : {}),
    ...(options.auditHint !== undefined ? { auditHint: options.auditHint } : {}),
    start: start === undefined ? { seq: 0, prev: null, clock: 0 } : { seq: start.seq, prev: undefined, clock: 0 }
  })
  let state = start?.state ?? machine.initial
  let lastMarker = stored[0]?.seq ?? -1
  let replayed = 0
  for await (const batch of scan(subs.seq, blockstore, { from: start?.seq ?? 0, to: head.seq, ...(options.signal !== undefined ? { signal: options.signal } : {}) })) {
    for (const entry of await verifier.verify(batch)) {
      if (entry.kind === LOG_KINDS.checkpoint) {
        lastMarker = Math.max(lastMarker, entry.seq)
        if (entry.seq !== start?.seq) {
          const p = checkMarker(entry, state, machine.version)
          if (p !== undefined) fail(p)
        }
        continue
      }
      state = machine.apply(state, entry).state
      replayed++
    }
  }
  if (verifier.position.seq !== head.seq + 1) {
    fail({ code: 'index-gap', seq: verifier.position.seq, message: `the index ends before the head (seq ${head.seq})` })
  }
  verifier.finish()
  return { head, state, lastMarker, checkpoints: stored.map((s) => s.seq), lastStateBytes: lastStateBytes ?? 0, pending, from: start?.seq, replayed }
}
