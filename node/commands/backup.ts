// `milagro backup create|list|show|restore`: decentralized backup of a node (node/services/backup*.ts).
//
//   create   through the node's REST API: its keys, identity, configuration and key store,
//            safeguarded k-of-n with the fiduciaries for a recovery identity (--beneficiary, or
//            $MILAGRO_BACKUP_BENEFICIARY) that may itself ask for the release.
//   restore  on the operator's side, with the recovery node running: through its REST API
//            (--recovery-home for its address and token, or --recovery-url with $MILAGRO_API_TOKEN),
//            release and recover every part, write a fresh home (--home), then — unless
//            --no-recover — recover the node's own log from its replicas (the peers dialled:
//            --connect and its bootstrap list), run the restored node until its peers re-delivered
//            what they hold for it, stop it, and audit its log. What is and is not recovered:
//            backup-restore.ts.
import type { Command } from 'commander'
import type { z } from 'zod'
import { ApiClient } from '../api/client.ts'
import type { Backup } from '../api/safeguard-routes.ts'
import { createLogger } from '../logger.ts'
import { fetchBackup, recoverLog, restoreHome } from '../services/backup-restore.ts'
import { clientFor } from './order.ts'
import { printDeposit } from './safeguard.ts'

type BackupJson = z.infer<typeof Backup>
interface Common { home?: string, url?: string, json: boolean }

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
const int = (v: string): number => {
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`'${v}' is not a non-negative integer`)
  return n
}

function printBackup (b: BackupJson, json: boolean): void {
  if (json) { console.log(JSON.stringify(b)); return }
  const d = b.deposits[0]
  console.log(`backup       ${b.id}`)
  console.log(`  node       ${b.identity}${b.role === 'principal' ? ' (this node)' : ''}`)
  console.log(`  recovery   ${b.beneficiary}${b.role === 'beneficiary' ? ' (this node)' : ''}`)
  console.log(`  parts      ${b.deposits.length} of ${b.parts}${d === undefined ? '' : `, ${d.threshold}-of-${d.fiduciaries.length} fiduciaries`}${b.recovered ? ', recovered here' : ''}`)
  console.log(`  created    ${new Date(b.created).toISOString()}`)
}

const common = (cmd: Command): Command => cmd
  .option('--home <dir>', 'node home directory (default: $MILAGRO_HOME or ~/.milagro)')
  .option('--url <url>', 'REST API base URL (default: from the home\'s config)')
  .option('--json', 'print JSON', false)

export function register (program: Command): void {
  const backup = program.command('backup').description('decentralized backup of this node: create, list, show, restore')

  common(backup.command('create'))
    .description('back this node up: keys, identity, configuration and key store, safeguarded k-of-n for a recovery identity')
    .requiredOption('--fiduciaries <cids>', 'comma-separated identity CIDs of the fiduciaries', list)
    .requiredOption('--threshold <k>', 'shares needed to restore', int)
    .option('--beneficiary <cid>', 'the recovery identity (default: $MILAGRO_BACKUP_BENEFICIARY)')
    .option('--delay <ms>', 'fiduciaries release no sooner than this after a request (time to revoke one that is not yours)', int)
    .option('--wait', 'wait until every fiduciary holds its shares', false)
    .action(async (opts: Common & { fiduciaries: string[], threshold: number, beneficiary?: string, delay?: number, wait: boolean }) => {
      const beneficiary = opts.beneficiary ?? process.env.MILAGRO_BACKUP_BENEFICIARY
      if (beneficiary === undefined || beneficiary === '') throw new RangeError('name the recovery identity: --beneficiary <cid> (or $MILAGRO_BACKUP_BENEFICIARY)')
      const client = await clientFor(opts)
      let b = await client.request<BackupJson>('POST', '/v1/backups', {
        fiduciaries: opts.fiduciaries, threshold: opts.threshold, beneficiary, ...(opts.delay === undefined ? {} : { delayMs: opts.delay })
      })
      if (opts.wait) {
        for (const d of b.deposits) await client.request('GET', `/v1/safeguards/${d.id}?wait=held&timeoutMs=60000`)
        b = await client.request<BackupJson>('GET', `/v1/backups/${b.id}`)
      }
      printBackup(b, opts.json)
    })

  common(backup.command('list'))
    .description('backups this node made, or is the recovery identity of')
    .action(async (opts: Common) => {
      const { backups } = await (await clientFor(opts)).request<{ backups: BackupJson[] }>('GET', '/v1/backups')
      if (opts.json) { console.log(JSON.stringify({ backups })); return }
      for (const b of backups) console.log(`${b.id}  ${b.role === 'principal' ? 'of this node' : `of ${b.identity}`}  ${b.deposits.length}/${b.parts} part(s)  ${new Date(b.created).toISOString()}${b.recovered ? '  recovered' : ''}`)
    })

  common(backup.command('show'))
    .description('one backup and its parts')
    .argument('<id>', 'backup id')
    .action(async (id: string, opts: Common) => {
      const b = await (await clientFor(opts)).request<BackupJson>('GET', `/v1/backups/${encodeURIComponent(id)}`)
      printBackup(b, opts.json)
      if (!opts.json) for (const d of b.deposits) printDeposit(d, false)
    })

  backup.command('restore')
    .description('rebuild a node from its backup on a fresh home, through the recovery node (which must be running)')
    .requiredOption('--home <dir>', 'the fresh home to write the restored node to')
    .option('--recovery-home <dir>', 'home of the recovery node (its API address and token)')
    .option('--recovery-url <url>', 'REST API of the recovery node (token in $MILAGRO_API_TOKEN unless --recovery-home)')
    .option('--backup <id>', 'which backup (default: the newest complete one the recovery node holds)')
    .option('--identity <cid>', 'restore the newest backup of this node')
    .option('--listen <multiaddrs>', 'listen addresses of the restored node (default: its backed-up configuration\'s)', list)
    .option('--api-port <port>', 'REST API port of the restored node', int)
    .option('--connect <multiaddrs>', 'peers to dial while recovering the log (its bootstrap list is dialled too)', list)
    .option('--no-recover', 'only write the home; do not start it to recover its log')
    .option('--timeout <s>', 'longest wait for the releases, and for the log recovery (default 120)', int)
    .option('--json', 'print JSON', false)
    .action(async (opts: { home: string, recoveryHome?: string, recoveryUrl?: string, backup?: string, identity?: string, listen?: string[], apiPort?: number, connect?: string[], recover: boolean, timeout?: number, json: boolean }) => {
      let client: ApiClient
      if (opts.recoveryHome !== undefined) client = await clientFor({ home: opts.recoveryHome, ...(opts.recoveryUrl === undefined ? {} : { url: opts.recoveryUrl }) })
      else if (opts.recoveryUrl !== undefined) {
        const token = process.env.MILAGRO_API_TOKEN
        if (token === undefined || token === '') throw new RangeError('--recovery-url needs the recovery node\'s API token in $MILAGRO_API_TOKEN (or use --recovery-home)')
        client = new ApiClient({ url: opts.recoveryUrl, token })
      } else throw new RangeError('name the recovery node: --recovery-home <dir> or --recovery-url <url>')
      const timeoutMs = (opts.timeout ?? 120) * 1000
      const say = (line: string): void => { if (!opts.json) console.log(line) }
      const { backup: b, bundle } = await fetchBackup(client, {
        ...(opts.backup === undefined ? {} : { backup: opts.backup }),
        ...(opts.identity === undefined ? {} : { identity: opts.identity }),
        timeoutMs,
        progress: say
      })
      const home = await restoreHome(bundle, opts.home, {
        ...(opts.listen === undefined ? {} : { listen: opts.listen }),
        ...(opts.apiPort === undefined ? {} : { apiPort: opts.apiPort })
      })
      say(`restored node '${home.config.name}' (identity ${home.keys.identity.cid.toString()}) in ${home.paths.dir}`)
      let recovery: Awaited<ReturnType<typeof recoverLog>> | undefined
      if (opts.recover) {
        say('recovering its log from its replicas and peers …')
        const logger = createLogger({ level: 'warn' })
        recovery = await recoverLog(home.paths.dir, { ...(opts.connect === undefined ? {} : { connect: opts.connect }), timeoutMs, logger, progress: say })
        logger.flush()
      }
      const out = {
        backup: b.id,
        home: home.paths.dir,
        identity: home.keys.identity.cid.toString(),
        peerId: home.keys.identity.doc.peerId,
        files: Object.keys(bundle.files).length,
        recovered: recovery === undefined
          ? null
          : {
              log: { source: recovery.log.source, entries: recovery.log.entries, replicas: recovery.log.replicas, message: recovery.log.message },
              envelopes: recovery.received,
              peers: recovery.synced,
              entries: recovery.audit.entries,
              audit: recovery.audit.ok,
              problem: recovery.audit.problem ?? null
            }
      }
      if (opts.json) console.log(JSON.stringify(out))
      else if (recovery !== undefined) {
        for (const r of recovery.log.replicas.filter((x) => x.error !== undefined)) console.log(`  ${r.peer}: ${r.error?.name ?? ''}: ${r.error?.message ?? ''}`)
        console.log(`  ${recovery.received} envelope(s) re-delivered by ${recovery.synced} peer(s); ${recovery.audit.entries} log entries`)
        console.log(recovery.audit.ok ? '  audit: OK, the log verifies from genesis' : `  audit: FAILED (${JSON.stringify(recovery.audit.problem)})`)
        if (recovery.log.source === null) console.log('  not recovered: the envelopes this node sent and the facts it recorded before the loss (see docs/PROTOCOL.md, "Safeguard and backup")')
        console.log(`start it with: milagro start --home ${home.paths.dir}`)
      }
      if (recovery !== undefined && !recovery.audit.ok) process.exitCode = 1
    })
}
