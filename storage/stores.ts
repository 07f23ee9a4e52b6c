// The node's on-disk stores under `<home>/data/`: Helia's blockstore (blockstore-level), Helia's
// datastore (datastore-level) and the log's own LevelDB (`state`: layout version, head, seq index,
// checkpoints, outbox — each in a sublevel). `dataPaths` is the one place these names live.
//
// `createStores(paths)` opens all three (Startable). A directory held by another process (a
// running node) is refused with StoreLockedError; with `createIfMissing: false` (audit, log
// listing) a home without a log is LogNotFoundError and nothing is created.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { Level, type BatchOperation } from 'level'
import { LogBlockstore } from './blockstore.ts'
import { LogNotFoundError, StorageError, StoreLockedError } from './errors.ts'

export interface DataPaths {
  /** `<home>/data` */
  readonly data: string
  /** Blocks (log entries, envelopes, identity documents): `<home>/data/blocks`. */
  readonly blocks: string
  /** Helia's datastore (pins, routing records): `<home>/data/datastore`. */
  readonly datastore: string
  /** The log's LevelDB (head, index, checkpoints, outbox): `<home>/data/state`. */
  readonly state: string
}

export function dataPaths (home: string): DataPaths {
  const data = join(home, 'data')
  return { data, blocks: join(data, 'blocks'), datastore: join(data, 'datastore'), state: join(data, 'state') }
}

export type StateDb = Level<string, Uint8Array>

/** One write of the state DB: puts and deletes across sublevels, applied atomically by `state.batch(ops)`. */
export type StateOps = Array<BatchOperation<StateDb, string, Uint8Array>>

export interface Stores {
  readonly paths: DataPaths
  readonly blockstore: LogBlockstore
  readonly datastore: LevelDatastore
  readonly state: StateDb
  start (): Promise<void>
  stop (): Promise<void>
}

export interface StoresInit {
  /** Create missing databases (a node's first start). Default true. */
  readonly createIfMissing?: boolean
}

async function openLevel (db: Level<string, Uint8Array>, path: string, createIfMissing: boolean): Promise<void> {
  try {
    await db.open({ createIfMissing, compression: false })
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code
    if (code === 'LEVEL_LOCKED') {
      throw new StoreLockedError(`${path} is in use by another process (is the node running?)`, { cause: err })
    }
    throw new StorageError(`cannot open ${path}: ${(err as Error).message}${(err as { cause?: Error }).cause !== undefined ? ` (${String((err as { cause?: Error }).cause?.message)})` : ''}`, { cause: err })
  }
}

export function createStores (paths: DataPaths, init: StoresInit = {}): Stores {
  const createIfMissing = init.createIfMissing ?? true
  const blockLevel = new Level<string, Uint8Array>(paths.blocks, { keyEncoding: 'utf8', valueEncoding: 'view' })
  const state = new Level<string, Uint8Array>(paths.state, { keyEncoding: 'utf8', valueEncoding: 'view' })
  const dsLevel = new Level<string, Uint8Array>(paths.datastore, { keyEncoding: 'utf8', valueEncoding: 'view' })
  const blockstore = new LogBlockstore(blockLevel)
  const datastore = new LevelDatastore(dsLevel)
  let started = false
  return {
    paths,
    blockstore,
    datastore,
    state,
    async start () {
      if (started) return
      if (!createIfMissing && !existsSync(paths.state)) throw new LogNotFoundError(`no log under ${paths.data} (expected ${paths.state})`)
      const opened: Array<Level<string, Uint8Array>> = []
      try {
        // The state DB first: its lock is the one that tells a running node apart.
        for (const [db, path] of [[state, paths.state], [blockLevel, paths.blocks], [dsLevel, paths.datastore]] as const) {
          await openLevel(db, path, createIfMissing)
          opened.push(db)
        }
        await datastore.open()
      } catch (err) {
        for (const db of opened) await db.close()
        throw err
      }
      started = true
    },
    async stop () {
      if (!started) return
      started = false
      await Promise.all([state.close(), blockLevel.close(), dsLevel.close()])
    }
  }
}
