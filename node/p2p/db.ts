// The node's own LevelDB for networking state (`<home>/data/p2p`): the identity directory, the
// delivery outbox, the received-envelope index and sync cursors, each in a sublevel. It is
// separate from storage/'s `state` database so that the log's layout stays storage/'s alone.
//
// Keys are utf8 strings, values DAG-CBOR bytes.
import type { AbstractLevel } from 'abstract-level'
import { Level } from 'level'

/** A key-value space: a LevelDB or one of its sublevels, utf8 keys, byte values. */
export type Kv = AbstractLevel<string | Uint8Array | Buffer, string, Uint8Array>

export interface P2pDb {
  readonly level: Level<string, Uint8Array>
  readonly directory: Kv
  readonly outbox: Kv
  readonly received: Kv
  readonly sync: Kv
}

/** Opens (creating if missing) the p2p database at `path`. Close with `db.level.close()`. */
export async function openP2pDb (path: string): Promise<P2pDb> {
  const level = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  await level.open({ createIfMissing: true, compression: false })
  return p2pSublevels(level)
}

export function p2pSublevels (level: Level<string, Uint8Array>): P2pDb {
  const opts = { keyEncoding: 'utf8', valueEncoding: 'view' } as const
  return {
    level,
    directory: level.sublevel<string, Uint8Array>('directory', opts) as unknown as Kv,
    outbox: level.sublevel<string, Uint8Array>('outbox', opts) as unknown as Kv,
    received: level.sublevel<string, Uint8Array>('received', opts) as unknown as Kv,
    sync: level.sublevel<string, Uint8Array>('sync', opts) as unknown as Kv
  }
}
