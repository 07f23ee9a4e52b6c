// Reading a log without judging it: for `milagro log`, which lists entries even on a log that does
// not verify (it says so per entry). Nothing is written; signatures are not checked here (audit.ts).
import type { LogBlockstore } from './blockstore.ts'
import { decodeEntry, type StoredEntry } from './entry.ts'
import { checkLayout, sublevels } from './layout.ts'
import { lastIndexSeq, readHead, type Head } from './recover.ts'
import { scan } from './replay.ts'
import type { StateDb } from './stores.ts'

export interface ListedEntry {
  readonly seq: number
  readonly cid: string | undefined
  readonly entry?: StoredEntry
  /** Why the entry could not be read (missing block, bad hash, malformed). */
  readonly error?: string
}

export interface LogExtent {
  readonly head: Head | undefined
  /** Last seq in the index (equals head.seq on a healthy log). */
  readonly lastIndexed: number
}

export async function logExtent (components: { readonly state: StateDb }): Promise<LogExtent> {
  const subs = sublevels(components.state)
  await checkLayout(components.state, subs.meta, { create: false })
  return { head: await readHead(subs), lastIndexed: await lastIndexSeq(subs) }
}

/** Entries from `from` to `to` (inclusive) in index order; blocks are hash-checked, nothing else. */
export async function * listEntries (components: { readonly blockstore: LogBlockstore, readonly state: StateDb }, range: { from: number, to?: number, signal?: AbortSignal }): AsyncGenerator<ListedEntry> {
  const subs = sublevels(components.state)
  await checkLayout(components.state, subs.meta, { create: false })
  for await (const batch of scan(subs.seq, components.blockstore, range)) {
    for (const b of batch) {
      const cid = b.cid?.toString()
      if (b.error !== undefined) { yield { seq: b.seq, cid, error: b.error.message }; continue }
      if (b.cid === undefined || b.bytes === undefined) { yield { seq: b.seq, cid, error: 'the block is not in the block store' }; continue }
      try {
        yield { seq: b.seq, cid, entry: decodeEntry(b.bytes, b.cid) }
      } catch (err) {
        yield { seq: b.seq, cid, error: (err as Error).message }
      }
    }
  }
}
