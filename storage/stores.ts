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
  start (options?: { signal?: AbortSignal }): Promise<void>
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
  // Level instances open themselves on the next tick with their constructor's options, so they are
  // built only in start(), with every option, and opened at once.
  let opened: { blockstore: LogBlockstore, datastore: LevelDatastore, state: StateDb, dbs: Array<Level<string, Uint8Array>> } | undefined
  const get = (): NonNullable<typeof opened> => {
    if (opened === undefined) throw new StorageError('the stores are not started')
    return opened
  }
  return {
    paths,
    get blockstore () { return get().blockstore },
    get datastore () { return get().datastore },
    get state () { return get().state },
    async start (startOptions) {
      if (opened !== undefined) return
      startOptions?.signal?.throwIfAborted()
      if (!createIfMissing && !existsSync(paths.state)) throw new LogNotFoundError(`no log under ${paths.data} (expected ${paths.state})`)
      const options = { keyEncoding: 'utf8', valueEncoding: 'view', createIfMissing, compression: false } as const
      const dbs: Array<Level<string, Uint8Array>> = []
      try {
        // The state DB first: its lock is the one that tells a running node apart.
        for (const path of [paths.state, paths.blocks, paths.datastore]) {
          startOptions?.signal?.throwIfAborted()
          const db = new Level<string, Uint8Array>(path, options)
          await openLevel(db, path, createIfMissing)
          dbs.push(db)
        }
        const [state, blocks, ds] = dbs as [StateDb, StateDb, StateDb]
        const datastore = new LevelDatastore(ds)
        await datastore.open()
        opened = { blockstore: new LogBlockstore(blocks), datastore, state, dbs }
      } catch (err) {
        for (const db of dbs) await db.close()
        throw err
      }
    },
    async stop () {
      if (opened === undefined) return
      const { dbs } = opened
      opened = undefined
      await Promise.all(dbs.map((db) => db.close()))
    }
  }
}
