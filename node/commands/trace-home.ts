// A stopped node home opened for `milagro trace` without writing a byte of it.
//
// LevelDB rewrites files on every open, even to read: it replays its write-ahead log into a new
// table, writes a new MANIFEST and CURRENT, rotates LOG (measured: every file of the three
// databases but the tables differs after an open and close). Worse for an auditor, a write-ahead
// log record that fails its checksum is dropped at that replay and the file deleted, so opening a
// tampered home in place can erase the evidence. So trace opens a private copy: the home's three
// databases (without LOCK and LevelDB's info logs) are copied to a fresh 0700 directory under the
// system temp dir (copy-on-write where the file system can), opened there, and removed on close.
// The home itself is only read: its data files, config.json and identity.cbor.
//
// A running node holds its state database's LOCK (a POSIX record lock). Node cannot take or test
// such a lock without opening the database, so on Linux the lock is looked up in /proc/locks by
// the LOCK file's inode (the device number is not compared: on overlayfs stat and /proc/locks
// report different devices) before and after the copy: StoreLockedError, as `milagro audit` says.
// Where /proc/locks is absent a running node is not detected; its copy may then end mid-write, and
// the audit of the copy reports what it finds. The LOCK file itself is never opened, nor copied:
// closing any descriptor of a file drops every POSIX lock the process holds on it, so reading it
// would unlock a node running in this very process.
import { constants } from 'node:fs'
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { LogNotFoundError, StoreLockedError } from '../../storage/errors.ts'
import { createStores, dataPaths, type Stores } from '../../storage/stores.ts'
import { openHome, type OpenedHome } from '../home.ts'

export interface HomeCopy {
  /** The home as read (absolute paths, config, identity document). */
  readonly home: OpenedHome
  /** The copy's stores, started. */
  readonly stores: Stores
  /** Stops the stores and removes the copy. */
  close (): Promise<void>
}

/** LevelDB files a copy leaves out: the lock, and the info logs LevelDB writes for itself. */
const SKIPPED = new Set(['LOCK', 'LOG', 'LOG.old'])

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}

/** True when /proc/locks lists a lock on `lockFile`'s inode; undefined when it cannot tell. */
export async function lockHeld (lockFile: string): Promise<boolean | undefined> {
  const st = await stat(lockFile, { bigint: true }).catch(() => undefined)
  if (st === undefined) return false // no LOCK file: no node ever opened this database
  const table = await readFile('/proc/locks', 'utf8').catch(() => undefined)
  if (table === undefined) return undefined
  const ino = st.ino.toString()
  // "1: POSIX  ADVISORY  WRITE 26725 fe:00:2747095 0 EOF" (waiters: "1: -> POSIX …")
  return table.split('\n').some((line) => /\s[0-9a-f]+:[0-9a-f]+:(\d+)\s/.exec(line)?.[1] === ino)
}

async function refuseIfLocked (state: string): Promise<void> {
  if (await lockHeld(join(state, 'LOCK')) === true) throw new StoreLockedError(`${state} is in use by another process (is the node running?)`)
}

/**
 * Opens a private copy of the stopped home `dir`'s stores. LogNotFoundError when `dir` holds no
 * log, StoreLockedError when a node runs on it, HomeError when its config or identity is missing.
 */
export async function openHomeCopy (dir: string, options: { signal?: AbortSignal } = {}): Promise<HomeCopy> {
  const source = dataPaths(dir)
  if (!await exists(source.state)) throw new LogNotFoundError(`no log under ${source.data} (expected ${source.state})`)
  await refuseIfLocked(source.state)
  const home = await openHome(dir)
  const scratch = await mkdtemp(join(tmpdir(), 'milagro-trace-'))
  const copy = dataPaths(scratch)
  const stores = createStores(copy, { createIfMissing: false })
  const close = async (): Promise<void> => {
    try {
      await stores.stop()
    } finally {
      await rm(scratch, { recursive: true, force: true })
    }
  }
  try {
    for (const [from, to] of [[source.state, copy.state], [source.blocks, copy.blocks], [source.datastore, copy.datastore]] as const) {
      options.signal?.throwIfAborted()
      if (!await exists(from)) continue // createStores names what is missing
      await cp(from, to, { recursive: true, mode: constants.COPYFILE_FICLONE, filter: (src) => !SKIPPED.has(basename(src)) })
    }
    await refuseIfLocked(source.state)
    await stores.start(options)
  } catch (err) {
    await close()
    throw err
  }
  return { home, stores, close }
}
