// `/milagro/log-replica/1.0.0`, the author's side (the replica's side and the guarantees:
// replica.ts): push a range of this node's own chain to a replica, ask a replica for the head of
// the copy it keeps, fetch the copy back as one stream of blocks. Nothing fetched is trusted here:
// storage's importChain verifies it (node/services/backup-recover.ts).
import type { PeerId, Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { cidOfBlock, type Block, type ChainBatch } from '../../storage/index.ts'
import { ProtocolViolationError, ReplicaRefusedError } from './errors.ts'
import { FrameReader, writeFrames } from './frames.ts'
import type { Peer } from './libp2p.ts'
import {
  control, controlFrame, MAX_REPLICA_FRAME, parseFrame, readAnswer, REPLICA_PROTOCOL, TAG, type Answer, type WireHead
} from './replica-wire.ts'

export type { WireHead } from './replica-wire.ts'

/** A range to push: where it attaches, and its frames (entries each followed by its linked block; documents). */
export interface PushRange {
  readonly from: number
  readonly prev: CID | null
  readonly frames: AsyncIterable<readonly Uint8Array[]>
}

export interface Pushed {
  /** The copy's head before the push. */
  readonly before: WireHead | null
  /** Its head after (the same when nothing was pushed). */
  readonly head: WireHead | null
  readonly pushed: boolean
}

const ANSWER_BYTES = 4096
const FETCH_BATCH = 512

function accepted (a: Answer): WireHead | null {
  if (!a.ok) throw new ReplicaRefusedError(a.reason, `the replica refused: ${a.reason}: ${a.message}`, a.problem === undefined ? undefined : { problem: a.problem })
  return a.head
}

async function open (libp2p: Peer, peer: PeerId, request: Record<string, unknown>, maxFrame: number, signal: AbortSignal): Promise<{ stream: Stream, reader: FrameReader, head: WireHead | null }> {
  const stream = await libp2p.dialProtocol(peer, REPLICA_PROTOCOL, { signal })
  try {
    const reader = new FrameReader(stream, maxFrame)
    await writeFrames(stream, [controlFrame({ v: 1, ...request })], { signal })
    const head = accepted(readAnswer(control(await reader.next({ signal }), 'answer')))
    return { stream, reader, head }
  } catch (err) {
    if ((err as Error).name === 'ReplicaRefusedError') await stream.close({ signal }).catch(() => { stream.abort(err as Error) })
    else stream.abort(err as Error)
    throw err
  }
}

/**
 * Pushes to the replica `peer` the range `plan` returns for the copy's head (undefined: the copy
 * is up to date, nothing is sent). Resolves once the replica has verified and stored it; throws
 * ReplicaRefusedError with the replica's reason otherwise.
 */
export async function pushToReplica (
  libp2p: Peer, peer: PeerId, author: CID, plan: (head: WireHead | null) => Promise<PushRange | undefined>, options: { signal: AbortSignal }
): Promise<Pushed> {
  const { signal } = options
  const { stream, reader, head: before } = await open(libp2p, peer, { op: 'push', author }, ANSWER_BYTES, signal)
  try {
    const range = await plan(before)
    if (range === undefined) {
      await stream.close({ signal })
      return { before, head: before, pushed: false }
    }
    await writeFrames(stream, [controlFrame({ from: range.from, prev: range.prev })], { signal })
    for await (const frames of range.frames) await writeFrames(stream, frames, { signal })
    await writeFrames(stream, [controlFrame({ end: true })], { signal })
    const head = accepted(readAnswer(control(await reader.next({ signal }), 'answer')))
    await stream.close({ signal })
    return { before, head, pushed: true }
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}

/** The head of the copy of `author`'s log that `peer` keeps (null: none). Only the author may ask. */
export async function replicaHead (libp2p: Peer, peer: PeerId, author: CID, options: { signal: AbortSignal }): Promise<WireHead | null> {
  const { stream, head } = await open(libp2p, peer, { op: 'head', author }, ANSWER_BYTES, options.signal)
  await stream.close({ signal: options.signal }).catch((err: Error) => { stream.abort(err) })
  return head
}

export interface FetchedChain {
  /** The head the replica announced. */
  readonly head: WireHead | null
  /** The chain from `from`, in batches (the documents first, in a batch of their own). */
  readonly batches: AsyncGenerator<ChainBatch>
}

/** Fetches the copy of `author`'s log from `peer`, from seq `from` (default 0). */
export async function fetchChain (libp2p: Peer, peer: PeerId, author: CID, options: { from?: number, signal: AbortSignal }): Promise<FetchedChain> {
  const { signal } = options
  const { stream, reader, head } = await open(libp2p, peer, { op: 'fetch', author, from: options.from ?? 0 }, MAX_REPLICA_FRAME, signal)
  return { head, batches: readChain(stream, reader, signal) }
}

async function * readChain (stream: Stream, reader: FrameReader, signal: AbortSignal): AsyncGenerator<ChainBatch> {
  let ended = false
  try {
    let docs: Block[] = []
    let entries: Uint8Array[] = []
    let blocks: Block[] = []
    for (;;) {
      const frame = await reader.next({ signal })
      if (frame === null) throw new ProtocolViolationError('the replica ended the chain before its end frame')
      const f = parseFrame(frame)
      if (f.tag === TAG.control) {
        if (f.value.end !== true) throw new ProtocolViolationError('expected the end of the chain')
        break
      }
      if (f.tag === TAG.identity) { docs.push({ cid: cidOfBlock(f.bytes), bytes: f.bytes }); continue }
      if (docs.length > 0) { yield { entries: [], blocks: docs }; docs = [] }
      if (f.tag === TAG.entry) {
        if (entries.length >= FETCH_BATCH) { yield { entries, blocks }; entries = []; blocks = [] }
        entries.push(f.bytes)
      } else {
        if (entries.length === 0) throw new ProtocolViolationError('a linked block that follows no entry')
        blocks.push({ cid: cidOfBlock(f.bytes), bytes: f.bytes })
      }
    }
    if (docs.length > 0 || entries.length > 0) yield { entries, blocks: [...docs, ...blocks] }
    ended = true
    await stream.close({ signal })
  } finally {
    if (!ended) stream.abort(new ProtocolViolationError('the chain was not read to its end'))
  }
}
