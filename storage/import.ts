// Importing a foreign copy of a node's own chain into an empty log: how a node restored from a
// backup gets its log back from the peers that replicated it (node/services/backup-recover.ts).
//
// The chain arrives as batches of entry blocks in seq order from genesis, each with the blocks its
// entries link (envelopes) and any other blocks to keep with it (the identity documents the
// envelopes name). Nothing in it is trusted:
//   - while it streams, every batch goes through replay's ChainVerifier (hash, canonical form, seq,
//     prev, clock, every entry covered by a signature of `author` — a signature by anyone else is
//     `unknown-author`), every linked block must be present and hash to its link, and the
//     reducers are folded over it: checkpoint markers must match the replayed state, and each
//     entry's effects are collected;
//   - blocks are written as they are verified (unreferenced blocks are harmless, as in LevelLog);
//     the state DB is written once, at the end, in one fsynced batch: the seq index, the outbox
//     (every effect of every entry — the services' executors check the state first, so work
//     already recorded is not done again, and work the lost node had not finished resumes), the
//     records of the newest checkpoint markers, and the head;
//   - then the whole log is audited from genesis (audit.ts, with `verifyEnvelope`): the imported
//     log is exactly what `milagro audit` accepts.
// Any problem — in the stream or in the audit — undoes the import (the state DB's new records and
// the blocks this import added are deleted) and throws ChainRejectedError naming the entry. A crash
// before the final state batch leaves an empty log with some unreferenced blocks; a crash after it
// leaves a log that LevelLog verifies at start like any other.
//
// The target must be an empty log (LogNotEmptyError otherwise): importing never rewrites or
// extends a chain, so LevelLog's invariants (one writer, heads only move forward over durable
// entries) hold. The seq index and outbox of the import are held in memory until the final batch
// (≈ 100 bytes per entry plus the effects).
import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import { audit, type AuditReport, type VerifyEnvelope } from './audit.ts'
import { blockKey, type Block, type LogBlockstore } from './blockstore.ts'
import { encodeCheckpoint } from './checkpoint.ts'
import { blockMatches, cidOfBlock, checkpointBody, type StoredEntry } from './entry.ts'
import { ChainRejectedError, LogNotEmptyError, type LogProblem } from './errors.ts'
import { effectIndex } from './group.ts'
import { checkLayout, seqKey, sublevels } from './layout.ts'
import { encodeOutbox, outboxKey } from './outbox.ts'
import { checkMarker, lastIndexSeq, readHead, type Head } from './recover.ts'
import { ChainVerifier, type ResolveSigningKey, type VerifyBatch } from './replay.ts'
import type { StateDb, StateOps } from './stores.ts'
import { LOG_KINDS, type Effect, type StateMachine } from './types.ts'

export interface ChainBatch {
  /** Entry blocks continuing the chain, in seq order (the first batch starts at seq 0). */
  readonly entries: readonly Uint8Array[]
  /** Blocks the entries link, and other blocks to store with the chain (identity documents). */
  readonly blocks: readonly Block[]
}

export interface ImportOptions<S, E extends Effect> {
  /** The identity whose chain this is: every entry must be covered by its signature. */
  readonly author: CID
  readonly machine: StateMachine<S, E>
  readonly resolveSigningKey: ResolveSigningKey
  readonly verifyBatch?: VerifyBatch
  /** Checks linked envelopes in the final audit (signatures, sender and recipients). */
  readonly verifyEnvelope?: VerifyEnvelope
  /** Checkpoint records written for the newest markers. Default 2 (LevelLog's default). */
  readonly keepCheckpoints?: number
  readonly signal?: AbortSignal
}

export interface Imported {
  readonly head: Head | undefined
  readonly entries: number
  /** Linked and other blocks stored besides the entries. */
  readonly blocks: number
  /** Bytes of every block stored (entries included). */
  readonly bytes: number
  /** Effects queued in the outbox. */
  readonly effects: number
  readonly checkpoints: number
  readonly audit: AuditReport
}

export async function importChain<S, E extends Effect> (
  components: { readonly blockstore: LogBlockstore, readonly state: StateDb },
  source: AsyncIterable<ChainBatch>,
  options: ImportOptions<S, E>
): Promise<Imported> {
  const { blockstore, state: db } = components
  const subs = sublevels(db)
  await checkLayout(db, subs.meta, { create: true })
  const outboxed = await subs.outbox.keys({ limit: 1 }).all()
  const ckpts = await subs.ckpt.keys({ limit: 1 }).all()
  if (await readHead(subs) !== undefined || await lastIndexSeq(subs) !== -1 || outboxed.length > 0 || ckpts.length > 0) {
    throw new LogNotEmptyError('a chain is imported only into an empty log; this one has entries')
  }
  const { author, machine } = options
  const resolveSigningKey: ResolveSigningKey = async (who) => {
    const id = who.toString()
    if (id !== author.toString()) throw new Error(`the entry is signed by ${id}, not by ${author.toString()} whose chain this is`)
    return await options.resolveSigningKey(who)
  }
  const verifier = new ChainVerifier({
    resolveSigningKey,
    ...(options.verifyBatch !== undefined ? { verifyBatch: options.verifyBatch } : {}),
    start: { seq: 0, prev: null, clock: 0 }
  })
  const keep = Math.max(1, options.keepCheckpoints ?? 2)
  const added: CID[] = []
  const ops: StateOps = []
  const records: Array<{ seq: number, value: Uint8Array }> = []
  let state = machine.initial
  let last: StoredEntry | undefined
  let entries = 0
  let blocks = 0
  let bytes = 0
  let effects = 0
  const reject = (problem: LogProblem): never => { throw new ChainRejectedError(problem) }

  try {
    for await (const batch of source) {
      options.signal?.throwIfAborted()
      if (batch.entries.length === 0 && batch.blocks.length === 0) continue
      const first = verifier.position.seq
      const scanned = batch.entries.map((b, i) => ({ seq: first + i, cid: cidOfBlock(b), bytes: b }))
      const checked = await verifier.check(scanned)
      if (checked.problem !== undefined) reject(checked.problem)
      const linked = new Map(batch.blocks.map((b) => [b.cid.toString(), b]))
      for (const b of batch.blocks) {
        if (!blockMatches(b.cid, b.bytes)) reject({ code: 'link-hash-mismatch', seq: first, message: `a block sent with the chain does not hash to its CID ${b.cid.toString()}` })
      }
      const missing = checked.entries.filter((e) => e.link !== undefined && !linked.has(e.link.toString()))
      if (missing.length > 0) {
        // A block linked twice (an envelope this node sent to itself) may come only once: look for it in what was written.
        const found = await blockstore.getBlocks(missing.map((e) => e.link as CID))
        const gap = missing.find((_, i) => found[i] === undefined)
        if (gap !== undefined) reject({ code: 'missing-link', seq: gap.seq, cid: gap.cid.toString(), message: `the linked block ${String(gap.link)} did not come with the chain` })
      }
      for (const entry of checked.entries) {
        if (entry.kind === LOG_KINDS.checkpoint) {
          const p = checkMarker(entry, state, machine.version)
          if (p !== undefined) reject(p)
          if (checkpointBody(entry).version === machine.version) {
            records.unshift({ seq: entry.seq, value: encodeCheckpoint({ seq: entry.seq, entry: entry.cid, version: machine.version, state: dagCbor.encode(state) }) })
            records.splice(keep)
          }
        } else {
          const r = machine.apply(state, entry)
          state = r.state
          for (const k of r.effects) ops.push({ type: 'put', sublevel: subs.outbox, key: outboxKey(k.seq, effectIndex(k.key)), value: encodeOutbox(k) })
          effects += r.effects.length
        }
        ops.push({ type: 'put', sublevel: subs.seq, key: seqKey(entry.seq), value: entry.cid.bytes })
        last = entry
      }
      const toWrite: Block[] = [...checked.entries.map((e) => ({ cid: e.cid, bytes: e.bytes })), ...batch.blocks]
      const present = await blockstore.getBlocks(toWrite.map((b) => b.cid))
      await blockstore.putBlocks(toWrite, { sync: true })
      toWrite.forEach((b, i) => { if (present[i] === undefined) added.push(b.cid) })
      entries += checked.entries.length
      blocks += batch.blocks.length
      for (const b of toWrite) bytes += b.bytes.length
    }
    const unfinished = verifier.unfinished()
    if (unfinished !== undefined) reject(unfinished)
    if (last === undefined) {
      return { head: undefined, entries: 0, blocks, bytes, effects: 0, checkpoints: 0, audit: await audit(components, { machine, resolveSigningKey }) }
    }
    const head: Head = { seq: last.seq, cid: last.cid, clock: last.clock }
    for (const r of records) ops.push({ type: 'put', sublevel: subs.ckpt, key: seqKey(r.seq), value: r.value })
    ops.push({ type: 'put', sublevel: subs.meta, key: 'head', value: dagCbor.encode(head) })
    await db.batch(ops, { sync: true })
    const report = await audit(components, {
      machine,
      resolveSigningKey,
      ...(options.verifyBatch !== undefined ? { verifyBatch: options.verifyBatch } : {}),
      ...(options.verifyEnvelope !== undefined ? { verifyEnvelope: options.verifyEnvelope } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {})
    })
    if (report.problem !== undefined) reject(report.problem)
    return { head, entries, blocks, bytes, effects, checkpoints: records.length, audit: report }
  } catch (err) {
    await undo(components, added)
    throw err
  }
}

/** Removes what an import wrote: the state DB's log records (it was empty) and the blocks it added. */
async function undo (components: { readonly blockstore: LogBlockstore, readonly state: StateDb }, added: readonly CID[]): Promise<void> {
  const subs = sublevels(components.state)
  await subs.meta.del('head')
  await subs.seq.clear()
  await subs.outbox.clear()
  await subs.ckpt.clear()
  for (let i = 0; i < added.length; i += 1024) {
    await components.blockstore.level.batch(added.slice(i, i + 1024).map((cid) => ({ type: 'del' as const, key: blockKey(cid) })), { sync: true })
  }
}
