// `milagro audit --home DIR [--json]`: verifies a node's whole log from genesis — every entry's
// signature, the prev chain, seq, Lamport clocks, the envelopes entries link (signatures, sender,
// recipients), and the reducers' replayed state against every checkpoint. Read-only. Prints a
// summary, or the first bad entry (seq, CID, what is wrong) and exits with status 1.
//
// The home is not written: LevelDB rewrites files whenever it opens a database, even to read,
// and drops a write-ahead-log record that fails its checksum — an audit in place could erase the
// evidence it looks for. So the audit reads a private copy (trace-home.ts, as `milagro trace`);
// `--in-place` opens the home itself instead (no copy; for a log too large to copy).
import { SingleBar } from 'cli-progress'
import type { Command } from 'commander'
import { fullNodeMachine, summarize } from '../../protocol/index.ts'
import { audit, type AuditReport } from '../../storage/audit.ts'
import { describeProblem } from '../../storage/errors.ts'
import { defaultHome, homePaths } from '../home.ts'
import { envelopeVerifier, identityResolver, openHomeStores } from './log-home.ts'
import { openHomeCopy } from './trace-home.ts'

export function register (program: Command): void {
  program.command('audit')
    .description('verify the whole log from genesis: signatures, chain, clocks, linked envelopes, checkpoints')
    .option('--home <dir>', 'node home directory (default: $MILAGRO_HOME or ~/.milagro)')
    .option('--json', 'print the report as one JSON object', false)
    .option('--in-place', 'open the home itself rather than a private copy (LevelDB then rewrites some of its files)', false)
    .action(async (opts: { home?: string, json: boolean, inPlace: boolean }) => {
      const home = homePaths(opts.home ?? defaultHome()).dir
      const copy = opts.inPlace ? undefined : await openHomeCopy(home)
      const stores = copy?.stores ?? await openHomeStores(home)
      let report: AuditReport<unknown>
      const bar = process.stdout.isTTY && !opts.json
        ? new SingleBar({ format: 'auditing [{bar}] {percentage}% | {value}/{total} entries | {eta_formatted} left', stream: process.stdout, hideCursor: true })
        : undefined
      try {
        const resolveIdentity = identityResolver(stores, home)
        let barStarted = false
        report = await audit(stores, {
          machine: fullNodeMachine(),
          resolveSigningKey: async (cid) => (await resolveIdentity(cid)).doc.signingKey,
          verifyEnvelope: envelopeVerifier(resolveIdentity),
          countOrders: (s) => summarize(s as Parameters<typeof summarize>[0]).orders,
          onProgress: (done, total) => {
            if (bar === undefined) return
            if (!barStarted) { bar.start(total, 0); barStarted = true }
            bar.update(done)
          }
        })
        if (barStarted) bar?.stop()
      } finally {
        if (copy !== undefined) await copy.close()
        else await stores.stop()
      }
      const out = {
        home,
        ok: report.ok,
        entries: report.entries,
        head: report.head === undefined ? null : { seq: report.head.seq, cid: report.head.cid.toString() },
        signatures: report.signatures,
        envelopes: report.envelopes,
        orders: report.orders ?? null,
        checkpoints: report.checkpoints,
        ms: Math.round(report.ms),
        problem: report.problem ?? null
      }
      if (opts.json) {
        console.log(JSON.stringify(out))
      } else {
        console.log(`audit of ${home}/data`)
        console.log(`  entries      ${report.entries.toLocaleString('en-US')}${report.head !== undefined ? ` (head: seq ${report.head.seq}, ${report.head.cid.toString()})` : ' (empty log)'}`)
        console.log(`  signatures   ${report.signatures.toLocaleString('en-US')} verified`)
        console.log(`  envelopes    ${report.envelopes.toLocaleString('en-US')} checked`)
        console.log(`  orders       ${report.orders ?? 0}`)
        console.log(`  checkpoints  ${report.checkpoints.compared} compared with the replay${report.checkpoints.skipped > 0 ? `, ${report.checkpoints.skipped} of another state version skipped` : ''}`)
        console.log(`  time         ${(report.ms / 1000).toFixed(2)} s`)
        console.log(report.problem === undefined ? 'OK: the log verifies from genesis' : `FAIL at ${describeProblem(report.problem)}`)
      }
      if (!report.ok) process.exitCode = 1
    })
}
