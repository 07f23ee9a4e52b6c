// The storage layout version: how the log's LevelDB is organised (sublevel names, key formats,
// record encodings). Stored in the `meta` sublevel at creation and checked at every open. A
// missing version on a non-empty database, or a version this code does not know, is refused with
// LayoutVersionError naming both versions; nothing is ever migrated or rewritten silently.
//
// Layout 1 (sublevels of <home>/data/state, keys utf8, values DAG-CBOR unless said otherwise):
//   meta!layout        uint — this version
//   meta!head          { seq, cid, clock } — the last durable entry
//   seq!<16-digit seq> CID bytes of the entry at that seq (raw CID bytes, not DAG-CBOR)
//   ckpt!<16-digit seq> checkpoint record (checkpoint.ts)
//   outbox!<16-digit seq>:<4-digit n> keyed effect not yet done (outbox.ts)
import * as dagCbor from '@ipld/dag-cbor'
import { LayoutVersionError } from './errors.ts'
import type { StateDb } from './stores.ts'

export const LAYOUT_VERSION = 1

const SUBLEVEL_OPTIONS = { keyEncoding: 'utf8', valueEncoding: 'view' } as const

function sublevel (db: StateDb, name: string) {
  return db.sublevel<string, Uint8Array>(name, SUBLEVEL_OPTIONS)
}

export type Sublevel = ReturnType<typeof sublevel>

export interface Sublevels {
  readonly meta: Sublevel
  readonly seq: Sublevel
  readonly ckpt: Sublevel
  readonly outbox: Sublevel
}

export function sublevels (db: StateDb): Sublevels {
  return { meta: sublevel(db, 'meta'), seq: sublevel(db, 'seq'), ckpt: sublevel(db, 'ckpt'), outbox: sublevel(db, 'outbox') }
}

/** Fixed-width decimal so that key order is seq order. */
export function seqKey (seq: number): string {
  return seq.toString().padStart(16, '0')
}

export function parseSeqKey (key: string): number {
  return Number.parseInt(key, 10)
}

/**
 * Checks the stored layout version; on an empty database (and `create`), records this one.
 * Never rewrites a database that holds another version.
 */
export async function checkLayout (db: StateDb, meta: Sublevel, options: { create: boolean }): Promise<void> {
  const stored = await meta.get('layout')
  if (stored === undefined) {
    const empty = (await db.keys({ limit: 1 }).all()).length === 0
    if (!empty) throw new LayoutVersionError('(none recorded)', LAYOUT_VERSION)
    if (options.create) await db.batch([{ type: 'put', sublevel: meta, key: 'layout', value: dagCbor.encode(LAYOUT_VERSION) }], { sync: true })
    return
  }
  let version: unknown
  try {
    version = dagCbor.decode(stored)
  } catch (err) {
    throw new LayoutVersionError('(unreadable)', LAYOUT_VERSION, { cause: err })
  }
  if (version !== LAYOUT_VERSION) throw new LayoutVersionError(version, LAYOUT_VERSION)
}
