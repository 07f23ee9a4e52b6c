// File helpers of the key store: a private directory (0700), atomic private files (0600,
// temp file + fsync + rename + directory fsync, so a crash leaves either the old file or the new
// one, never half of one) and reads that refuse files readable by group or other.
import { constants } from 'node:fs'
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { basename, dirname, join } from 'node:path'
import { InsecureFileError } from './errors.ts'
import type { AbortOptions } from './types.ts'

/** Creates `dir` with mode 0700 when absent; refuses an existing one open to group/other. */
export async function ensurePrivateDir (dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const st = await stat(dir)
  if (!st.isDirectory()) throw new InsecureFileError(`${dir} is not a directory`)
  if ((st.mode & 0o077) !== 0) {
    throw new InsecureFileError(`${dir} is accessible by group or other (mode ${(st.mode & 0o777).toString(8)}); chmod 700 it`)
  }
}

async function syncDirNow (dir: string): Promise<void> {
  dirSyncCount++
  const fd = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try { await fd.sync() } finally { await fd.close() }
}

/** Per directory: the fsync running, and the one queued to start after it. */
const dirSyncs = new Map<string, { running: Promise<void> | undefined, next: Promise<void> | undefined }>()
let dirSyncCount = 0

/** Directory fsyncs issued so far in this process (tests, metrics). */
export function directorySyncs (): number {
  return dirSyncCount
}

/**
 * Makes the renames and unlinks already done in `dir` durable. Concurrent callers share fsyncs:
 * one that started after a caller's change covers it, so a caller arriving while one runs (which
 * may have started before its change) waits for the next, and every caller arriving meanwhile
 * shares that one. Sequential callers each get their own.
 */
export async function fsyncDir (dir: string): Promise<void> {
  let s = dirSyncs.get(dir)
  if (s === undefined) { s = { running: undefined, next: undefined }; dirSyncs.set(dir, s) }
  const state = s
  const start = (): Promise<void> => {
    const p = syncDirNow(dir).finally(() => {
      if (state.running === p) state.running = undefined
      if (state.running === undefined && state.next === undefined) dirSyncs.delete(dir)
    })
    state.running = p
    return p
  }
  if (state.running === undefined) return await start()
  state.next ??= state.running.catch(() => {}).then(() => {
    state.next = undefined
    return start()
  })
  return await state.next
}

/** Writes `data` to `path` atomically with mode 0600. */
export async function writeFileAtomic (path: string, data: Uint8Array, options?: AbortOptions): Promise<void> {
  options?.signal?.throwIfAborted()
  const dir = dirname(path)
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const fd = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
  let renamed = false
  try {
    try {
      await fd.writeFile(data)
      await fd.sync()
    } finally {
      await fd.close()
    }
    options?.signal?.throwIfAborted()
    await rename(tmp, path)
    renamed = true
    await fsyncDir(dir)
  } finally {
    if (!renamed) await unlink(tmp)
  }
}

/**
 * Reads a file that must be private: a regular file owned by this user and not readable or
 * writable by group or other (as ssh does for its keys). Throws InsecureFileError otherwise.
 */
export async function readPrivateFile (path: string): Promise<Uint8Array> {
  let fd
  try {
    fd = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch (err) {
    if (isErrnoCode(err, 'ELOOP')) throw new InsecureFileError(`${path} is a symbolic link`, { cause: err })
    throw err
  }
  try {
    const st = await fd.stat()
    if (!st.isFile()) throw new InsecureFileError(`${path} is not a regular file`)
    if ((st.mode & 0o077) !== 0) {
      throw new InsecureFileError(`${path} is accessible by group or other (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`)
    }
    const uid = process.getuid?.()
    if (uid !== undefined && st.uid !== uid) throw new InsecureFileError(`${path} is not owned by the current user`)
    return await fd.readFile() // a fresh (unpooled) Buffer the caller may zero
  } finally {
    await fd.close()
  }
}

export async function listDir (dir: string): Promise<string[]> {
  return await readdir(dir)
}

/** Whether `path` exists (other errors than ENOENT are thrown). */
export async function exists (path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    if (isErrnoCode(err, 'ENOENT')) return false
    throw err
  }
}

export function isErrnoCode (err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code
}
