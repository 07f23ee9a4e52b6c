// Restoring a node from a decentralized backup, on the operator's side:
//
//   1. fetchBackup   through the REST API of the recovery node (the backup's beneficiary): ask the
//                    fiduciaries to release every part (the recovery identity may, on backup
//                    deposits), wait until each part is recovered in its key store, export each
//                    one HPKE-sealed to a one-time key made here, open, join, parse the bundle.
//   2. restoreHome   write the bundle as a fresh home: same keys (sealed under the restored home's
//                    key store, keys/node.sealed: its PIN or passphrase must be available; never
//                    written in clear), identity document, configuration and key store (handles
//                    unchanged); a new API token.
//   3. recoverLog    recover the node's own log from its replicas (backup-recover.ts: the longest
//                    copy that verifies, imported into the empty log and audited from genesis), mark
//                    the home restored (its sync hellos then make every peer send again everything
//                    it ever sent the node), start the node, connect to its peers and let them
//                    re-deliver, then stop it and audit the log from genesis.
//
// What comes back, and what does not:
//   - the identity (same identity CID, peer id, signing and encryption keys) and every key-store
//     record (custody shares, safeguarded shares, recovered secrets) as of the backup;
//   - the node's own log up to the head of the longest copy a replica keeps — the fiduciaries of its
//     newest backup (and `backup.replicas`) receive it in the background as it is written
//     (backup-replication.ts): envelopes sent and received, facts, key events, checkpoints. The
//     state is rebuilt from it, every effect is handed out again (executors skip work the state
//     records, and resume what the lost node had not finished), so an order or deposit in which the
//     node had already acted resumes from its side;
//   - every envelope peers sent it, re-delivered on sync (the restore mark): duplicates of what the
//     recovered log holds are acknowledged as such, the rest (sent after the copy's head) are
//     appended and handled;
//   - NOT: entries the node wrote after the copy's head (replication lags the log by a fraction of
//     a second; a replica down at the time lags more), and key-store records made after the backup.
//     With no copy reachable the log starts empty (the previous behaviour, said in the result):
//     the node's own entries are then lost, and an order in which it had acted cannot resume from
//     its side.
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import { concatBytes, fromHex, randomBytes, toHex, wipe } from '../../crypto/index.ts'
import { fullNodeMachine } from '../../protocol/machines.ts'
import { summarize, type NodeState } from '../../protocol/state/machine.ts'
import { audit, type AuditReport } from '../../storage/audit.ts'
import type { z } from 'zod'
import type { ApiClient } from '../api/client.ts'
import type { Backup, Deposit } from '../api/safeguard-routes.ts'
import { envelopeVerifier, identityResolver, openHomeStores } from '../commands/log-home.ts'
import { loadHome, type LoadedHome } from '../home.ts'
import { silentLogger, type Logger } from '../logger.ts'
import { createNode } from '../node.ts'
import { openP2pDb } from '../p2p/db.ts'
import { markRestored, RESTORED_BYTES } from '../p2p/sync.ts'
import { decodeBundle, writeHome, type BackupBundle } from './backup-bundle.ts'
import { recoverOwnLog, type LogRecovery } from './backup-recover.ts'
import { nodeServices } from './compose.ts'
import { exportKeyPair, openSecret } from './safeguard-export.ts'
import { BackupError, UnknownBackupError } from './safeguard-errors.ts'

export type BackupJson = z.infer<typeof Backup>
type DepositJson = z.infer<typeof Deposit>

export interface FetchOptions {
  /** The backup id; default: the newest complete backup this recovery node holds (of `identity`, if given). */
  readonly backup?: string
  readonly identity?: string
  /** Longest wait for the fiduciaries' releases (ms, default 120 s; a deposit's delay adds to it). */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
  /** Progress lines for the CLI. */
  readonly progress?: (line: string) => void
}

/** The backup to restore, among those the recovery node knows. */
export function chooseBackup (backups: readonly BackupJson[], options: Pick<FetchOptions, 'backup' | 'identity'> = {}): BackupJson {
  const candidates = backups.filter((b) => b.role === 'beneficiary' && b.complete &&
    (options.backup === undefined || b.id === options.backup) && (options.identity === undefined || b.identity === options.identity))
  const chosen = candidates.sort((a, b) => b.created - a.created)[0]
  if (chosen === undefined) {
    const what = options.backup !== undefined ? `backup ${options.backup}` : options.identity !== undefined ? `a backup of ${options.identity}` : 'a backup'
    throw new UnknownBackupError(`the recovery node holds no complete ${what} as its beneficiary`)
  }
  return chosen
}

/** Releases, recovers and exports every part of a backup through the recovery node's API; the bundle. */
export async function fetchBackup (client: ApiClient, options: FetchOptions = {}): Promise<{ readonly backup: BackupJson, readonly bundle: BackupBundle }> {
  const signal = AbortSignal.any([options.signal ?? new AbortController().signal, AbortSignal.timeout(options.timeoutMs ?? 120_000)])
  const say = options.progress ?? (() => {})
  const { backups } = await client.request<{ backups: BackupJson[] }>('GET', '/v1/backups', undefined, { signal })
  const backup = chooseBackup(backups, options)
  say(`backup ${backup.id} of ${backup.identity}: ${backup.parts} part(s), ${backup.deposits[0]?.threshold ?? '?'}-of-${backup.deposits[0]?.fiduciaries.length ?? '?'} fiduciaries`)
  for (const d of backup.deposits) {
    if (!d.recovered) await client.request<DepositJson>('POST', `/v1/safeguards/${d.id}/release`, {}, { signal })
  }
  const parts: Uint8Array[] = []
  try {
    for (const d of backup.deposits) {
      let view = d
      while (!view.recovered) {
        signal.throwIfAborted()
        view = await client.request<DepositJson>('GET', `/v1/safeguards/${d.id}?wait=recovered&timeoutMs=20000`, undefined, { signal })
        if (view.revoked && !view.recovered) throw new BackupError(`part ${d.id} was revoked by the node backed up`)
      }
      const kp = exportKeyPair()
      try {
        const e = await client.request<{ enc: string, ciphertext: string }>('POST', `/v1/safeguards/${d.id}/secret`, { recipientKey: toHex(kp.publicKey) }, { signal })
        parts.push(openSecret(kp.secretKey, CID.parse(d.id), { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) }))
      } finally {
        wipe(kp.secretKey)
      }
      say(`part ${parts.length}/${backup.parts} recovered (${view.received} share(s) checked)`)
    }
    const bytes = concatBytes(...parts)
    try {
      const bundle = decodeBundle(bytes)
      if (bundle.identity.toString() !== backup.identity) throw new BackupError(`the backup holds identity ${bundle.identity.toString()}, not ${backup.identity}`)
      return { backup, bundle }
    } finally {
      wipe(bytes)
    }
  } finally {
    for (const p of parts) wipe(p)
  }
}

export interface RestoreConfig {
  /** Listen addresses of the restored node (default: the backed-up configuration's). */
  readonly listen?: readonly string[]
  readonly apiPort?: number
  readonly bootstrap?: readonly string[]
}

/** Writes `bundle` as a fresh home in `dir` and checks it loads (keys matching the identity): the home. */
export async function restoreHome (bundle: BackupBundle, dir: string, config: RestoreConfig = {}): Promise<LoadedHome> {
  const edits: Record<string, unknown> = {}
  if (config.listen !== undefined) edits.listen = [...config.listen]
  if (config.bootstrap !== undefined) edits.bootstrap = [...config.bootstrap]
  if (config.apiPort !== undefined) {
    const original = JSON.parse(new TextDecoder().decode(bundle.files['config.json'])) as { api?: { host?: string } }
    edits.api = { host: original.api?.host ?? '127.0.0.1', port: config.apiPort }
  }
  await writeHome(bundle, dir, edits)
  const home = await loadHome(dir)
  if (!home.keys.identity.cid.equals(bundle.identity)) throw new BackupError('the restored home does not have the backed-up identity')
  return home
}

/** Audits the log of the (stopped) node in `dir` from genesis. */
export async function auditHome (dir: string): Promise<AuditReport> {
  const stores = await openHomeStores(dir)
  try {
    const resolve = identityResolver(stores, dir)
    return await audit(stores, {
      machine: fullNodeMachine(),
      resolveSigningKey: async (cid) => (await resolve(cid)).doc.signingKey,
      verifyEnvelope: envelopeVerifier(resolve),
      countOrders: (s) => summarize(s as unknown as NodeState).orders
    })
  } finally {
    await stores.stop()
  }
}

export interface RecoverOptions {
  /** Peers to dial (multiaddrs with /p2p/…); the configuration's bootstrap list is dialled too. */
  readonly connect?: readonly string[]
  /** Stop once no envelope arrived for this long after every dialled peer synced (ms, default 3 s). */
  readonly quietMs?: number
  /** Longest recovery (ms, default 120 s). */
  readonly timeoutMs?: number
  readonly logger?: Logger
  readonly signal?: AbortSignal
  /**
   * Stop as soon as this holds for the envelopes re-delivered so far (appended as new) and the log
   * recovered from the replicas, instead of the quiet period: when the caller knows what to expect.
   */
  readonly until?: (received: number, log: LogRecovery) => boolean
  /** Listen addresses of the restored node while it recovers (default: its configuration's). */
  readonly listen?: readonly string[]
  /** Progress lines for the CLI. */
  readonly progress?: (line: string) => void
}

export interface Recovery {
  /** The node's own log, from its replicas (source null: none could be imported). */
  readonly log: LogRecovery
  /** Envelopes peers re-delivered (appended as new: duplicates of the recovered log are not counted). */
  readonly received: number
  /** Peers whose sync hello was heard. */
  readonly synced: number
  readonly audit: AuditReport
}

/**
 * Recovers the restored node's own log in `dir` from its replicas, marks the home restored, then
 * runs the node (with its services, without the REST API) until its peers have re-delivered what
 * they hold for it — every dialled peer synced and no envelope for `quietMs` — then stops it and
 * audits its log. A CLI step: it waits on the wall clock.
 */
export async function recoverLog (dir: string, options: RecoverOptions = {}): Promise<Recovery> {
  const logger = options.logger ?? silentLogger()
  const log = await recoverOwnLog(dir, {
    ...(options.connect === undefined ? {} : { connect: options.connect }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.progress === undefined ? {} : { progress: options.progress }),
    logger
  })
  const home = await loadHome(dir)
  const p2p = await openP2pDb(join(home.paths.dataDir, 'p2p'))
  try {
    await markRestored(p2p.sync, randomBytes(RESTORED_BYTES))
  } finally {
    await p2p.level.close()
  }
  const { options: serviceOptions } = nodeServices(home, logger, { api: false })
  const node = createNode(home, { logger, ...serviceOptions, ...(options.listen === undefined ? {} : { listen: options.listen }) })
  const quietMs = options.quietMs ?? 3_000
  const deadline = Date.now() + (options.timeoutMs ?? 120_000)
  let received = 0
  let last = Date.now()
  const synced = new Set<string>()
  node.on('envelope:received', () => { received++; last = Date.now() })
  await node.start(options.signal === undefined ? {} : { signal: options.signal })
  try {
    node.parts.sync.on('sync:hello', (h) => { synced.add(h.identity); last = Date.now() })
    const dialled = [...new Set([...(options.connect ?? []), ...home.config.bootstrap])]
    for (const addr of dialled) {
      try {
        await node.connect(addr, { signal: AbortSignal.timeout(10_000) })
      } catch (err) {
        logger.warn({ err, addr }, 'could not dial a peer during recovery')
      }
    }
    const want = Math.min(dialled.length, node.parts.libp2p.getPeers().length)
    const until = options.until
    const done = until !== undefined ? () => until(received, log) : () => synced.size >= want && Date.now() - last >= quietMs
    while (Date.now() < deadline && !done()) {
      options.signal?.throwIfAborted()
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } finally {
    await node.stop()
  }
  return { log, received, synced: synced.size, audit: await auditHome(join(dir)) }
}
