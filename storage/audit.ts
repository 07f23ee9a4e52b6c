// Audit: verify a node's whole log from genesis, read-only, and say exactly what is wrong.
//
// Walks every entry in seq order (replay.ts: block present, hash, canonical form, seq, prev,
// clock, signatures — every entry covered by its author's signature), checks the blocks that
// entries link (present, hashing to their CID, and through an injected `verifyEnvelope` the
// envelopes' own signatures and recipients), replays the reducers from the initial state and
// compares the result with every checkpoint marker and every stored checkpoint record. Stops at
// the first problem, in seq order, and names it: seq, CID and what is wrong.
//
// Nothing is written: a log that fails audit is left as it is for the operator to inspect.
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import type { LogBlockstore } from './blockstore.ts'
import { decodeCheckpoint, listCheckpoints, type CheckpointRecord } from './checkpoint.ts'
import { blockMatches, checkpointBody, type StoredEntry } from './entry.ts'
import type { LogProblem } from './errors.ts'
import { checkLayout, parseSeqKey, seqKey, sublevels, type Sublevels } from './layout.ts'
import { checkHead, checkMarker, cidByWalkingBack, readHead, type Head } from './recover.ts'
import { ChainVerifier, scan, type ResolveSigningKey, type VerifyBatch } from './replay.ts'
import type { StateDb } from './stores.ts'
import { LOG_KINDS, type Effect, type LogEntry, type StateMachine } from './types.ts'

/** Verifies one linked envelope (signature, sender/recipients against the entry); throws a typed error. */
export type VerifyEnvelope = (bytes: Uint8Array, context: { readonly entry: LogEntry }) => Promise<void>

export interface AuditOptions<S, E extends Effect> {
  readonly machine: StateMachine<S, E>
  readonly resolveSigningKey: ResolveSigningKey
  readonly verifyBatch?: VerifyBatch
  readonly verifyEnvelope?: VerifyEnvelope
  /** Orders in a state, for the summary. */
  readonly countOrders?: (state: S) => number
  /** Called after each batch: entries verified so far, and the total to verify. */
  readonly onProgress?: (done: number, total: number) => void
  readonly batch?: number
  readonly signal?: AbortSignal
}

export interface AuditReport<S = unknown> {
  readonly ok: boolean
  /** Entries verified (all of them when ok). */
  readonly entries: number
  readonly head: Head | undefined
  readonly signatures: number
  /** Linked blocks (envelopes) checked. */
  readonly envelopes: number
  readonly orders: number | undefined
  /** Checkpoint markers and records compared with the replayed state; skipped: other state version. */
  readonly checkpoints: { readonly compared: number, readonly skipped: number }
  readonly ms: number
  readonly problem?: LogProblem
  /** The replayed state (when ok). */
  readonly state?: S
}

export async function audit<S, E extends Effect> (components: { readonly blockstore: LogBlockstore, readonly state: StateDb }, options: AuditOptions<S, E>): Promise<AuditReport<S>> {
  const started = performance.now()
  const { blockstore } = components
  const subs = sublevels(components.state)
  await checkLayout(components.state, subs.meta, { create: false })
  const { machine } = options
  let entries = 0
  let envelopes = 0
  let compared = 0
  let skipped = 0
  let state = machine.initial
  let verifier: ChainVerifier | undefined
  let head: Head | undefined
  const report = (problem?: LogProblem): AuditReport<S> => ({
    ok: problem === undefined,
    entries,
    head,
    signatures: verifier?.signatures ?? 0,
    envelopes,
    orders: options.countOrders?.(state),
    checkpoints: { compared, skipped },
    ms: performance.now() - started,
    ...(problem === undefined ? { state } : { problem })
  })

  try {
    head = await readHead(subs)
  } catch (err) {
    return report({ code: 'head-mismatch', seq: 0, message: `the head record is unreadable: ${(err as Error).message}` })
  }
  const headProblem = await checkHead(blockstore, subs, head)
  if (headProblem !== undefined) return report(headProblem)
  if (head === undefined) return report()

  const records = new Map<number, CheckpointRecord>()
  for (const s of await listCheckpoints(subs.ckpt)) {
    try {
      records.set(s.seq, decodeCheckpoint(s.bytes))
    } catch (err) {
      return report({ code: 'checkpoint-malformed', seq: s.seq, message: `the checkpoint record is unreadable: ${(err as Error).message}` })
    }
  }

  const total = head.seq + 1
  verifier = new ChainVerifier({
    resolveSigningKey: options.resolveSigningKey,
    ...(options.verifyBatch !== undefined ? { verifyBatch: options.verifyBatch } : {}),
    start: { seq: 0, prev: null, clock: 0 }
  })
  for await (const batch of scan(subs.seq, blockstore, { from: 0, to: head.seq, ...(options.batch !== undefined ? { batch: options.batch } : {}), ...(options.signal !== undefined ? { signal: options.signal } : {}) })) {
    const checked = await verifier.check(batch)
    let problem = checked.problem
    const links = await checkLinks(blockstore, checked.entries, options.verifyEnvelope)
    envelopes += links.checked
    if (links.problem !== undefined && (problem === undefined || links.problem.seq < problem.seq)) problem = links.problem
    for (const entry of checked.entries) {
      if (problem !== undefined && entry.seq >= problem.seq) break
      if (entry.kind === LOG_KINDS.checkpoint) {
        const p = checkCheckpoint(entry, state, machine.version, records.get(entry.seq))
        if (p === 'skipped') skipped++
        else if (p !== undefined) { problem = p; break } else compared++
        records.delete(entry.seq)
      } else {
        state = machine.apply(state, entry).state
      }
      entries++
    }
    if (problem !== undefined) return report(await nameGap(blockstore, subs, head, problem))
    options.onProgress?.(entries, total)
  }
  const tail = verifier.unfinished()
  if (tail !== undefined) return report(tail)
  if (verifier.position.seq !== total) return report({ code: 'index-gap', seq: verifier.position.seq, message: `the index ends before the head (seq ${head.seq})` })
  const stray = [...records.keys()][0]
  if (stray !== undefined) return report({ code: 'checkpoint-mismatch', seq: stray, message: 'a checkpoint record is stored at a seq that holds no checkpoint marker' })
  return report()
}

function checkCheckpoint (entry: StoredEntry, state: unknown, version: number, record: CheckpointRecord | undefined): LogProblem | 'skipped' | undefined {
  const at = { seq: entry.seq, cid: entry.cid.toString() }
  const body = checkpointBody(entry)
  if (record !== undefined) {
    if (!record.entry.equals(entry.cid)) return { code: 'checkpoint-mismatch', ...at, message: `the checkpoint record at this seq names another entry (${record.entry.toString()})` }
    if (record.version !== body.version) return { code: 'checkpoint-mismatch', ...at, message: `the checkpoint record says state version ${record.version}, its marker ${body.version}` }
  }
  if (body.version !== version) return 'skipped'
  const p = checkMarker(entry, state, version)
  if (p !== undefined) return p
  if (record !== undefined) {
    const fresh = dagCbor.encode(state)
    if (fresh.length !== record.state.length || !fresh.every((b, i) => b === record.state[i])) {
      return { code: 'checkpoint-mismatch', ...at, message: 'the stored checkpoint record does not match a fresh replay from genesis (the record was altered)' }
    }
  }
  return undefined
}

async function checkLinks (blockstore: LogBlockstore, entries: readonly StoredEntry[], verifyEnvelope: VerifyEnvelope | undefined): Promise<{ checked: number, problem?: LogProblem }> {
  const linked = entries.filter((e) => e.link !== undefined)
  if (linked.length === 0) return { checked: 0 }
  const found = await blockstore.getBlocks(linked.map((e) => e.link as CID))
  let checked = 0
  for (let i = 0; i < linked.length; i++) {
    const e = linked[i] as StoredEntry
    const link = e.link as CID
    const at = { seq: e.seq, cid: e.cid.toString() }
    const bytes = found[i]
    if (bytes === undefined) return { checked, problem: { code: 'missing-link', ...at, message: `the linked block ${link.toString()} is not in the block store` } }
    if (!blockMatches(link, bytes)) return { checked, problem: { code: 'link-hash-mismatch', ...at, message: `the linked block ${link.toString()} does not hash to its CID` } }
    if (verifyEnvelope !== undefined) {
      try {
        await verifyEnvelope(bytes, { entry: e })
      } catch (err) {
        return { checked, problem: { code: 'bad-envelope', ...at, message: `the linked envelope ${link.toString()} does not verify: ${(err as Error).name}: ${(err as Error).message}` } }
      }
    }
    checked++
  }
  return { checked }
}

/** An index gap names its seq; find the CID that belongs there by following `prev` from the next entry. */
async function nameGap (blockstore: LogBlockstore, subs: Sublevels, head: Head, p: LogProblem): Promise<LogProblem> {
  if (p.code !== 'index-gap' || p.cid !== undefined) return p
  const next = await subs.seq.iterator({ gt: seqKey(p.seq), limit: 1 }).all()
  const row = next[0]
  const from = row === undefined ? head : { seq: parseSeqKey(row[0]), cid: CID.decode(row[1]) }
  const cid = await cidByWalkingBack(blockstore, from, p.seq)
  return cid === undefined ? p : { ...p, cid: cid.toString() }
}
