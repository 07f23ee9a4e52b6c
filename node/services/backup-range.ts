// A range of this node's own chain as frames of `/milagro/log-replica/1.0.0` (node/p2p/replica-wire.ts),
// read from the log's stores with storage's `scan` (the seq index with a range iterator, blocks
// by multi-get: no link chasing), for the replication service (backup-replication.ts).
//
// Each entry is followed by the block it links (an envelope). The identity documents the range's
// envelopes name (sender, recipients) travel with it, each once per replica (`sent`), so that a
// node restored from the copy can audit its envelopes before it has met its peers again. The
// range ends at a signed entry: past `budget` bytes it stops at the next one (the head is always
// signed), so a replica never holds entries no signature covers.
import type { CID } from 'multiformats/cid'
import { decodeEnvelope } from '../../protocol/index.ts'
import { decodeEntry, scan, sublevels, type LogBlockstore, type StateDb, type StoredEntry } from '../../storage/index.ts'
import { blockFrame, TAG } from '../p2p/replica-wire.ts'

export interface RangeSource {
  readonly blockstore: LogBlockstore
  readonly state: StateDb
  /** This node's own identity document (its blockstore may not hold it). */
  readonly self: { readonly cid: CID, readonly bytes: Uint8Array }
}

export interface RangeRead {
  /** Seq of the last entry sent so far (−1: none). */
  last: number
}

/**
 * Frames of the chain from `from` to at most `to`, ending at a signed entry once `budget` bytes
 * are passed. `read.last` says where it stopped; `sent` (document CIDs) is updated as documents go.
 */
export async function * rangeFrames (
  source: RangeSource, from: number, to: number, budget: number, sent: Set<string>, read: RangeRead, options: { signal?: AbortSignal } = {}
): AsyncGenerator<Uint8Array[]> {
  const { seq } = sublevels(source.state)
  let bytes = 0
  read.last = from - 1
  const docs = async (ids: readonly CID[]): Promise<Uint8Array[]> => {
    const wanted = ids.filter((c) => !sent.has(c.toString()))
    const unique = [...new Map(wanted.map((c) => [c.toString(), c])).values()]
    if (unique.length === 0) return []
    const found = await source.blockstore.getBlocks(unique)
    const out: Uint8Array[] = []
    unique.forEach((c, i) => {
      const bytes = c.equals(source.self.cid) ? source.self.bytes : found[i]
      // A document this node does not hold is left out: the restored node's audit names it.
      if (bytes === undefined) return
      sent.add(c.toString())
      out.push(blockFrame(TAG.identity, bytes))
    })
    return out
  }
  for await (const batch of scan(seq, source.blockstore, { from, to, batch: 256, ...(options.signal !== undefined ? { signal: options.signal } : {}) })) {
    const entries: StoredEntry[] = []
    let stop = false
    for (const b of batch) {
      if (b.cid === undefined || b.bytes === undefined) throw new TypeError(`the log's own block at seq ${b.seq} is not readable`)
      const entry = decodeEntry(b.bytes, b.cid)
      entries.push(entry)
      bytes += b.bytes.length
      if (bytes >= budget && entry.sig !== undefined) { stop = true; break }
    }
    const links = entries.flatMap((e) => e.link === undefined ? [] : [e.link])
    const linked = links.length === 0 ? [] : await source.blockstore.getBlocks(links)
    const frames: Uint8Array[] = []
    const named: CID[] = []
    let k = 0
    for (const entry of entries) {
      frames.push(blockFrame(TAG.entry, entry.bytes))
      if (entry.link !== undefined) {
        const block = linked[k++]
        if (block === undefined) throw new TypeError(`the block linked from seq ${entry.seq} is not in the log's block store`)
        frames.push(blockFrame(TAG.linked, block))
        bytes += block.length
        try {
          const h = decodeEnvelope(block).header
          named.push(h.sender, ...h.recipients)
        } catch {
          // Not an envelope: it names no identity.
        }
      }
      read.last = entry.seq
    }
    yield [...await docs(named), ...frames]
    if (stop) return
  }
}
