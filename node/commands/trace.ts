// `milagro trace <subject> --home A --home B [...] [--json]`: follows one service flow (a custody
// or threshold order, a safeguard deposit, an M-Pin request: the CID of its first envelope) across
// the logs of several stopped nodes. Each home's log is verified from genesis as `milagro audit`
// does; the envelopes of the thread are joined into one timeline — sender and recipients, header
// time and Lamport clock, `prev` links, the log seq of each `envelope.sent` / `envelope.received`
// and the fact each node recorded — and checked (trace-core.ts). Status 1 when a check fails
// (a log that does not verify, an unknown subject, an unresolved link, a received envelope its
// sender's log does not hold, a clock out of order); warnings (not delivered yet, a party whose
// home was not given) keep status 0.
//
// Read-only, no PIN: each home's databases are read from a private copy (trace-home.ts), so not a
// byte of a home changes.
import { InvalidArgumentError, Option, type Command } from 'commander'
import { CID } from 'multiformats/cid'
import { defaultHome, homePaths } from '../home.ts'
import { collectThread } from './trace-collect.ts'
import { traceThread, type HomeLog, type Side, type TraceReport } from './trace-core.ts'
import { openHomeCopy, type HomeCopy } from './trace-home.ts'

function parseSubject (value: string): CID {
  try {
    return CID.parse(value)
  } catch (err) {
    throw new InvalidArgumentError(`not a CID: ${(err as Error).message}`)
  }
}

/** Opens, audits and collects each home in turn (one copy open at a time); then joins. */
export async function traceHomes (subject: CID, homes: readonly string[], options: { signal?: AbortSignal } = {}): Promise<TraceReport> {
  const logs: HomeLog[] = []
  const seen = new Map<string, string>()
  for (const dir of homes) {
    const copy: HomeCopy = await openHomeCopy(dir, options)
    try {
      const id = copy.home.identity.cid.toString()
      const other = seen.get(id)
      if (other !== undefined) throw new RangeError(`${other} and ${copy.home.paths.dir} are the same node (${id}): give each node's home once`)
      seen.set(id, copy.home.paths.dir)
      logs.push(await collectThread(copy, subject, options))
    } finally {
      await copy.close()
    }
  }
  return traceThread(subject, logs)
}

const iso = (ms: number): string => new Date(ms).toISOString()
/** Error texts come from other nodes' envelopes too: no control characters reach the terminal. */
const printable = (text: string): string => text.replace(/\p{C}/gu, '?')

function side (s: Side, role: 'sent' | 'received'): string {
  const who = s.home !== null ? `${s.name ?? s.identity} [${s.home + 1}]` : `${s.name ?? s.identity} (home not given)`
  const facts = s.facts.map((f) => `${f.kind} #${f.seq}${f.rejected || f.error !== undefined ? ` ${f.rejected ? 'REJECTED' : 'error'}: ${printable(f.error ?? '')}${f.message !== undefined ? ` (${printable(f.message)})` : ''}` : ''}`).join(', ')
  const where = ((): string => {
    switch (s.status) {
      case 'sent': case 'received': return `#${s.entry?.seq ?? '?'} clock ${s.entry?.clock ?? '?'}`
      case 'own': return `own envelope (#${s.entry?.seq ?? '?'})`
      case 'missing': return role === 'sent' ? 'NOT IN ITS LOG' : 'not delivered (yet)'
      case 'absent': return '—'
      case 'unverified': return 'log does not verify'
    }
  })()
  return `       ${role.padEnd(9)}${who.padEnd(30)} ${where.padEnd(22)} ${facts}`.trimEnd()
}

function print (r: TraceReport): void {
  console.log(`trace of ${r.subject}${r.type !== null ? ` (${r.type})` : ''}: ${r.envelopes.length} envelope${r.envelopes.length === 1 ? '' : 's'} in ${r.homes.length} log${r.homes.length === 1 ? '' : 's'}`)
  console.log('homes')
  r.homes.forEach((h, i) => {
    const state = h.verified ? `log verifies (${h.entries.toLocaleString('en-US')} entries, ${h.traced} in this trace)` : `LOG DOES NOT VERIFY: ${printable(h.problem ?? '')}`
    console.log(`  [${i + 1}] ${h.name.padEnd(16)} ${h.identity}  ${h.home}`)
    console.log(`      ${state}`)
  })
  if (r.envelopes.length > 0) console.log('envelopes (causal order)')
  const pos = new Map(r.envelopes.map((e) => [e.cid, e.n]))
  for (const e of r.envelopes) {
    const prev = e.prev.length === 0 ? '' : `  prev ${e.prev.map((p) => pos.has(p) ? String(pos.get(p)) : p).join(', ')}`
    console.log(`  ${String(e.n).padStart(2)}. ${e.type}  ${e.cid}`)
    console.log(`       ${iso(e.time)}  clock ${e.clock}  ${e.bytes} bytes${prev}`)
    console.log(side(e.sender, 'sent'))
    for (const to of e.recipients) console.log(side(to, 'received'))
  }
  if (r.localFacts.length > 0) {
    console.log('facts of the thread recording no envelope of it')
    for (const f of r.localFacts) console.log(`  ${(r.homes[f.home]?.name ?? '?')} [${f.home + 1}] #${f.seq} ${f.kind}${f.error !== undefined ? ` error: ${printable(f.error)}` : ''}${f.envelope !== null ? ` (names ${f.envelope}, not in this log)` : ''}`)
  }
  for (const w of r.warnings) console.log(`WARN ${printable(w.message)}`)
  for (const f of r.failures) console.log(`FAIL ${printable(f.message)}`)
  console.log(r.ok
    ? `OK: ${r.envelopes.length} envelope${r.envelopes.length === 1 ? '' : 's'} traced; every link resolves, every received envelope is in its sender's log, clocks agree${r.warnings.length > 0 ? ` (${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'})` : ''}`
    : `FAIL: ${r.failures.length} problem${r.failures.length === 1 ? '' : 's'}`)
}

export function register (program: Command): void {
  program.command('trace')
    .description('follow one custody or threshold order, safeguard deposit or M-Pin request across several stopped nodes\' logs, verified')
    .argument('<subject>', 'CID of the flow\'s first envelope (order id, deposit id, request id)', parseSubject)
    .addOption(new Option('--home <dir>', 'a node home directory; repeat for each node (default: $MILAGRO_HOME or ~/.milagro)').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]))
    .option('--json', 'print the trace as one JSON object', false)
    .addHelpText('after', `
Each home's log is verified from genesis (as \`milagro audit\`), from a private copy of its data
in the temp directory (LevelDB rewrites its files when opened, even to read): the homes are not
changed. The nodes must be stopped. Exit status 1 when a log does not verify, the subject is in
no log, a prev link does not resolve, a received envelope is not in its sender's log, or a clock
is out of order; an envelope not delivered (yet) or a node whose home was not given is a warning.`)
    .action(async (subject: CID, opts: { home?: string[], json: boolean }) => {
      const homes = (opts.home ?? [defaultHome()]).map((h) => homePaths(h).dir)
      const report = await traceHomes(subject, homes)
      if (opts.json) console.log(JSON.stringify(report))
      else print(report)
      if (!report.ok) process.exitCode = 1
    })
}
