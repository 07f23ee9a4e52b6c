// A node backup: what is needed to rebuild a node with the same identity, as one byte string that
// is then safeguarded (k-of-n, backup.ts). DAG-CBOR:
//
//   { v: 1, identity: CID, name, created (ms), keystore: 'software' | 'pkcs11',
//     files: { 'config.json': bytes, 'identity.cbor': bytes, 'keys/node.json': bytes,
//              'keystore/<file>': bytes, … } }
//
// The node keys (signing seed, encryption secret, custody secret, libp2p key) are in the bundle
// in clear, as the legacy plaintext key file (`keys/node.json`, node/node-keys.ts), taken from the
// running node's memory: at rest in the home they are sealed by its key store (keys/node.sealed),
// which a restored home may not share; writeHome seals them under the restored home's key store
// and never writes them in clear. The other files are copied byte for byte from the home: the
// identity document, the configuration and the key store directory's files (for the software
// backend its KEK file). Every wrapped record of the key store is in the bundle as
// `keystore/<kind>.<id>.json` — the record's bytes, sealed, as the key store exports them — so
// handles recorded anywhere stay valid; a restored home's key store moves those files into its
// records at its first start (crypto/keystore/records.ts). For PKCS#11 the token's KEK never leaves
// the token: restoring needs the same token, or the HSM's own backup. The log (data/), the API token
// and the admin socket are not in a backup: a restored node gets a fresh token, and its log comes
// back from the peers that replicate it (backup-replication.ts, backup-recover.ts; backup-restore.ts
// says what is and is not recovered).
//
// The bundle is the most sensitive thing a node has: it exists in clear only in the process that
// makes it (then split into shares, each safeguarded by the fiduciaries: HPKE-sealed to each one,
// released only to the backup's beneficiary) and in the one that restores it, in buffers wiped
// after use.
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { MAX_SECRET_BYTES } from '../../protocol/safeguard/sharing.ts'
import { exists, writeFileAtomic } from '../fs.ts'
import { createApiToken } from '../api/token.ts'
import { homePaths, openHome, sealHomeKeys, type LoadedHome, type UnsealOptions } from '../home.ts'
import { decodePlainKeyFile, encodePlainKeyFile } from '../node-keys.ts'
import type { KeyStore } from '../../crypto/index.ts'
import { BackupError } from './safeguard-errors.ts'

export const BACKUP_VERSION = 1
/** Label of a backup part: `milagro-backup/v1 <backup id: 32 hex> <part>/<parts>`. */
export const BACKUP_LABEL = /^milagro-backup\/v1 ([0-9a-f]{32}) ([1-9][0-9]{0,3})\/([1-9][0-9]{0,3})$/
/** Largest bundle: 64 parts of the largest safeguarded secret (3 MiB). */
export const MAX_PARTS = 64

const FILE_NAME = /^(config\.json|identity\.cbor|keys\/node\.json|keystore\/[A-Za-z0-9][A-Za-z0-9._-]{0,127})$/

export interface BackupBundle {
  readonly identity: CID
  readonly name: string
  readonly created: number
  readonly keystore: 'software' | 'pkcs11'
  readonly files: Readonly<Record<string, Uint8Array>>
}

export interface BackupLabel {
  readonly backup: string
  readonly part: number
  readonly parts: number
}

export function backupLabel (l: BackupLabel): string {
  return `milagro-backup/v1 ${l.backup} ${l.part}/${l.parts}`
}

export function parseBackupLabel (label: string): BackupLabel | undefined {
  const m = BACKUP_LABEL.exec(label)
  if (m === null) return undefined
  const part = Number(m[2])
  const parts = Number(m[3])
  return part <= parts && parts <= MAX_PARTS ? { backup: m[1] as string, part, parts } : undefined
}

/** The bundle of a home (read from disk now) and of its running key store's records. */
export async function collectBundle (home: LoadedHome, keystore: Pick<KeyStore, 'exportRecords'>, now = Date.now()): Promise<BackupBundle> {
  const p = home.paths
  const files: Record<string, Uint8Array> = {}
  const read = async (path: string): Promise<Uint8Array> => new Uint8Array(await readFile(path))
  files['config.json'] = await read(p.configPath)
  files['identity.cbor'] = await read(p.identityPath)
  files['keys/node.json'] = encodePlainKeyFile(home.keys)
  const names = await exists(p.keystoreDir) ? (await readdir(p.keystoreDir)).sort() : []
  for (const name of names) {
    // Temp files of an interrupted write start with a dot; only regular files are part of the store.
    if (name.startsWith('.') || name.endsWith('.tmp') || !FILE_NAME.test(`keystore/${name}`)) continue
    const path = join(p.keystoreDir, name)
    if ((await stat(path)).isFile()) files[`keystore/${name}`] = await read(path)
  }
  for (const { handle, bytes } of await keystore.exportRecords()) {
    const [, kind, id] = handle.split(':')
    files[`keystore/${kind as string}.${id as string}.json`] = bytes
  }
  return { identity: home.keys.identity.cid, name: home.config.name, created: now, keystore: home.config.keystore.backend, files }
}

export function encodeBundle (b: BackupBundle): Uint8Array {
  return dagCbor.encode({ v: BACKUP_VERSION, identity: b.identity, name: b.name, created: b.created, keystore: b.keystore, files: b.files })
}

/** Parses a bundle; BackupError for anything that is not one (unknown version, stray file names). */
export function decodeBundle (bytes: Uint8Array): BackupBundle {
  let v: unknown
  try {
    v = dagCbor.decode(bytes)
  } catch (err) {
    throw new BackupError('the backup is not DAG-CBOR', { cause: err })
  }
  const r = v as Record<string, unknown> | null
  if (r === null || typeof r !== 'object' || r.v !== BACKUP_VERSION) throw new BackupError(`not a version ${BACKUP_VERSION} node backup`)
  const identity = CID.asCID(r.identity)
  if (identity === null || typeof r.name !== 'string' || typeof r.created !== 'number' || (r.keystore !== 'software' && r.keystore !== 'pkcs11')) {
    throw new BackupError('the backup lacks its identity, name, time or key store backend')
  }
  const files = r.files as Record<string, unknown> | null
  if (files === null || typeof files !== 'object') throw new BackupError('the backup has no files')
  for (const [name, content] of Object.entries(files)) {
    if (!FILE_NAME.test(name) || !(content instanceof Uint8Array)) throw new BackupError(`the backup holds an unexpected file '${name.slice(0, 64)}'`)
  }
  for (const needed of ['config.json', 'identity.cbor', 'keys/node.json']) {
    if (!(needed in files)) throw new BackupError(`the backup lacks ${needed}`)
  }
  return { identity, name: r.name, created: r.created, keystore: r.keystore, files: files as Record<string, Uint8Array> }
}

/** `bytes` cut into parts of at most MAX_SECRET_BYTES (one safeguarded deposit each). */
export function partsOf (bytes: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = []
  for (let at = 0; at < bytes.length; at += MAX_SECRET_BYTES) parts.push(bytes.subarray(at, at + MAX_SECRET_BYTES))
  if (parts.length > MAX_PARTS) throw new BackupError(`the backup is ${bytes.length} bytes: over ${MAX_PARTS} parts of ${MAX_SECRET_BYTES}`)
  return parts
}

/**
 * Writes the bundle's files as a new home in `dir` (0700; key store files 0600) with a fresh API
 * token, and `config` edits applied to config.json (e.g. another listen address), then seals the
 * bundle's node keys under the new home's key store (keys/node.sealed; the PIN or passphrase must
 * be available) — they are never written in clear. Refuses a directory that already holds a node;
 * when the keys cannot be sealed, removes config.json again (so the restore can be retried) and
 * rethrows (NodeKeysLockedError, HomeError).
 */
export async function writeHome (bundle: BackupBundle, dir: string, config: Readonly<Record<string, unknown>> = {}, options?: UnsealOptions): Promise<void> {
  const paths = homePaths(dir)
  if (await exists(paths.configPath) || await exists(paths.keysPath) || await exists(paths.legacyKeysPath)) {
    throw new BackupError(`a node already exists in ${paths.dir}; restore into a fresh home`)
  }
  await mkdir(paths.dir, { recursive: true, mode: 0o700 })
  await mkdir(join(paths.dir, 'keys'), { recursive: true, mode: 0o700 })
  await mkdir(paths.keystoreDir, { recursive: true, mode: 0o700 })
  for (const [name, content] of Object.entries(bundle.files)) {
    if (name === 'keys/node.json') continue
    let bytes = content
    if (name === 'config.json' && Object.keys(config).length > 0) {
      const parsed = JSON.parse(new TextDecoder().decode(content)) as Record<string, unknown>
      bytes = new TextEncoder().encode(JSON.stringify({ ...parsed, ...config }, null, 2) + '\n')
    }
    const mode = name === 'config.json' || name === 'identity.cbor' ? 0o644 : 0o600
    await writeFileAtomic(join(paths.dir, name), bytes, mode)
  }
  try {
    const home = await openHome(dir)
    const keys = decodePlainKeyFile(bundle.files['keys/node.json'] as Uint8Array, home.identity, 'the backup\'s keys/node.json')
    await sealHomeKeys(home, keys, options)
  } catch (err) {
    await rm(paths.configPath, { force: true })
    throw err
  }
  await createApiToken(paths.apiTokenPath)
}
