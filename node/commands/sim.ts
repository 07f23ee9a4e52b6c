// `milagro sim`: runs a whole network of real nodes on this machine (libp2p over loopback TCP,
// LevelDB stores in a temporary directory), drives orders through their REST APIs, injects faults
// on a seeded schedule, and checks the invariants at the end (simulations/sim/). The nodes run in
// this process (sharing the loaded code and one crypto pool) or one child process each; `--mode
// auto` (the default) takes child processes only when kill faults need them.
// Prints a progress bar on a terminal and a summary table; `--json` prints the result instead;
// `--report DIR` writes report.json and a self-contained report.html. Exit status 1 when an order
// did not complete or an invariant failed.
import { randomInt } from 'node:crypto'
import { SingleBar } from 'cli-progress'
import { Option, type Command } from 'commander'
import { DEFAULTS, FAULT_KINDS, SCENARIOS, type FaultKind, type Scenario } from '../../simulations/sim/plan.ts'
import { writeReport } from '../../simulations/sim/report-html.ts'
import { faultLabel } from '../../simulations/sim/report-svg.ts'
import { failureReasons, type SimResult } from '../../simulations/sim/result.ts'
import { runSim, type Progress } from '../../simulations/sim/runner.ts'
import { MODES, type NodeMode } from '../../simulations/sim/cluster.ts'

interface SimFlags {
  nodes: number
  fiduciaries: number
  orders: number
  scenario: Scenario
  faults: FaultKind[]
  faultCount?: number
  seed?: number
  duration?: number
  concurrency: number
  orderTimeout: number
  poolSize: number
  mode: NodeMode | 'auto'
  threads: number
  report?: string
  json: boolean
  keep: boolean
}

const integer = (name: string) => (v: string): number => {
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`${name} takes a non-negative integer (got '${v}')`)
  return n
}

/** "90", "90s", "1.5m", "500ms" → ms; a bare number is seconds. */
export function parseDuration (v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim())
  if (m === null) throw new TypeError(`not a duration: '${v}' (e.g. 30s, 2m, 500ms)`)
  const n = Number(m[1])
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000
  return Math.round(ms)
}

function faultList (v: string): FaultKind[] {
  const list = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  for (const f of list) if (!(FAULT_KINDS as readonly string[]).includes(f)) throw new TypeError(`--faults takes ${FAULT_KINDS.join(', ')} (got '${f}')`)
  return list as FaultKind[]
}

const s = (ms: number): string => ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`

export function summaryText (r: SimResult, reportPath?: string): string {
  const o = r.options
  const lines: string[] = []
  lines.push(`milagro sim: ${o.nodes} nodes ${o.mode === 'in-process' ? `in one process${o.threads > 1 ? ` (${o.threads} threads)` : ''}` : 'in child processes'} (${o.fiduciaries} fiduciar${o.fiduciaries === 1 ? 'y' : 'ies'}), ${o.orders} ${o.scenario} orders, ${o.concurrency} in flight, faults ${o.faults.length === 0 ? 'none' : `${o.faults.join(',')} (${r.summary.faults})`}, seed ${o.seed}`)
  const row = (k: string, v: string): void => { lines.push(`  ${k.padEnd(12)}${v}`) }
  row('orders', `${r.summary.completed}/${r.summary.planned} completed, ${r.summary.ordersPerSecond.toFixed(2)} orders/s over the run`)
  const lat = r.latency
  row('latency', `first stage p50 ${s(lat.first.p50)} p99 ${s(lat.first.p99)} · release p50 ${s(lat.release.p50)} p99 ${s(lat.release.p99)} · whole order p50 ${s(lat.total.p50)} p99 ${s(lat.total.p99)}`)
  const m = r.memory
  row('memory', o.mode === 'in-process'
    ? `${m.rssPerNodeMiB.toFixed(1)} MiB RSS per node (the process's ${(m.rssPerNodeMiB * o.nodes).toFixed(0)} MiB / ${o.nodes})${m.marginalPerNodeMiB === null ? '' : `, ${m.marginalPerNodeMiB.toFixed(1)} MiB added per node`}, largest ${m.maxRssMiB.toFixed(0)} MiB`
    : `${m.rssPerNodeMiB.toFixed(0)} MiB RSS per node process${m.pssPerNodeMiB === null ? '' : ` (PSS ${m.pssPerNodeMiB.toFixed(0)} MiB)`}, largest ${m.maxRssMiB.toFixed(0)} MiB`)
  row('time', `start ${s(r.phases.start)}, run ${s(r.phases.run)}, quiesce ${s(r.phases.quiesce)}${r.quiet ? '' : ' (NOT quiet)'}, checks ${s(r.phases.check)}, total ${s(r.phases.total)}`)
  if (r.summary.unexpectedExits > 0) row('crashes', `${r.summary.unexpectedExits} node process(es) exited on their own`)
  if (r.faults.length > 0) {
    lines.push('  faults')
    for (const f of r.faults) {
      const when = f.startMs === undefined ? 'never took effect' : `${(f.startMs / 1000).toFixed(1)} s → ${f.endMs === undefined ? 'not healed' : `${(f.endMs / 1000).toFixed(1)} s`}`
      lines.push(`    #${String(f.index).padEnd(3)}${faultLabel(f, o.nodes).padEnd(44)} at order ${String(f.atOrder).padEnd(5)} ${when}${f.error === undefined ? '' : `  ERROR ${f.error}`}`)
    }
  }
  lines.push('  invariants')
  for (const i of r.invariants) {
    lines.push(`    ${i.ok ? 'ok  ' : 'FAIL'} ${i.name.padEnd(22)}${String(i.checked).padStart(6)} checked  ${i.description}`)
    for (const f of i.failures.slice(0, 10)) lines.push(`           - ${f}`)
    if (i.failureCount > 10) lines.push(`           … ${i.failureCount - 10} more${reportPath === undefined ? '' : ' in the report'}`)
  }
  lines.push(r.ok ? 'PASS: every order completed and every invariant holds' : `FAIL: ${failureReasons(r).join(', ')}`)
  if (reportPath !== undefined) lines.push(`report: ${reportPath}`)
  return lines.join('\n')
}

export function register (program: Command): void {
  program.command('sim')
    .description('simulate a network of real nodes on this machine, inject faults, check the invariants')
    .addOption(new Option('--nodes <n>', 'nodes (at least 3)').argParser(integer('--nodes')).default(5))
    .addOption(new Option('--fiduciaries <k>', 'how many of them are fiduciaries; the rest split into principals and beneficiaries').argParser(integer('--fiduciaries')).default(DEFAULTS.fiduciaries))
    .addOption(new Option('--orders <m>', 'orders to run').argParser(integer('--orders')).default(DEFAULTS.orders))
    .addOption(new Option('--scenario <name>', 'what the orders are: custody wallets, safeguarded secrets (k-of-n), M-Pin client secrets and logins, or a seeded mix').choices(SCENARIOS).default('custody'))
    .addOption(new Option('--faults <list>', `comma-separated faults to inject: ${FAULT_KINDS.join(', ')} (kill: SIGKILL and restart; restart: clean stop and start; partition: connection gating, then heal; delay: held envelope deliveries)`).argParser(faultList).default([], 'none'))
    .addOption(new Option('--fault-count <n>', 'how many faults (default: one per listed kind)').argParser(integer('--fault-count')))
    .addOption(new Option('--seed <s>', 'seed of the plan: roles, orders, fault schedule (default: random, printed)').argParser(integer('--seed')))
    .addOption(new Option('--duration <T>', 'spread order starts evenly over T (e.g. 30s, 2m); default: as fast as --concurrency allows').argParser(parseDuration))
    .addOption(new Option('--concurrency <c>', 'orders in flight at once').argParser(integer('--concurrency')).default(DEFAULTS.concurrency))
    .addOption(new Option('--order-timeout <T>', 'an order not final after T counts as failed').argParser(parseDuration).default(DEFAULTS.orderTimeoutMs, '120s'))
    .addOption(new Option('--mode <where>', 'where the nodes run: all in this process (sharing code and one crypto pool: light, one core), one child process each (needed for kill faults), or auto: child processes only for kill faults').choices([...MODES, 'auto']).default('auto'))
    .addOption(new Option('--threads <n>', 'in process: JavaScript threads the nodes are spread over, the main one included (each other one loads its own copy of the code, ~100 MiB; more cores, more orders/s when many are in flight)').argParser(integer('--threads')).default(1))
    .addOption(new Option('--pool-size <n>', 'crypto pool threads per node process, or of the pool the nodes share in process').argParser(integer('--pool-size')).default(1))
    .option('--report <dir>', 'write report.json and report.html (self-contained, charts) into DIR')
    .option('--json', 'print the result as one JSON object instead of the summary', false)
    .option('--keep', 'keep the node homes (their directory is printed)', false)
    .action(async (flags: SimFlags) => {
      const seed = flags.seed ?? randomInt(0, 2 ** 31)
      const mode: NodeMode = flags.mode !== 'auto' ? flags.mode : flags.faults.includes('kill') ? 'process' : 'in-process'
      const bar = process.stdout.isTTY && !flags.json
        ? new SingleBar({ format: '{phase} [{bar}] {value}/{total} orders | {failed} failed | faults active {faults} | nodes down {down}', stream: process.stdout, hideCursor: true })
        : undefined
      let started = false
      const onProgress = (p: Progress): void => {
        if (bar === undefined) return
        const payload = { phase: p.phase.padEnd(9), failed: p.failed, faults: p.activeFaults, down: p.nodesDown }
        if (!started) { bar.start(p.total, 0, payload); started = true }
        bar.update(p.completed + p.failed, payload)
      }
      if (!flags.json) console.log(`milagro sim: seed ${seed} (repeat the plan with --seed ${seed})`)
      // Ctrl-C: stop the run, the nodes and remove their homes instead of leaving them behind.
      const interrupted = new AbortController()
      const onSignal = (): void => { interrupted.abort(new Error('interrupted')) }
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      let result: Awaited<ReturnType<typeof runSim>>
      try {
        result = await runSim({
          nodes: flags.nodes,
          fiduciaries: flags.fiduciaries,
          orders: flags.orders,
          scenario: flags.scenario,
          faults: flags.faults,
          ...(flags.faultCount === undefined ? {} : { faultCount: flags.faultCount }),
          seed,
          ...(flags.duration === undefined ? {} : { durationMs: flags.duration }),
          concurrency: flags.concurrency,
          orderTimeoutMs: flags.orderTimeout,
          poolSize: Math.max(1, flags.poolSize),
          mode,
          threads: Math.max(1, flags.threads),
          keep: flags.keep,
          onProgress,
          signal: interrupted.signal
        })
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        if (started) bar?.stop()
      }
      const paths = flags.report === undefined ? undefined : await writeReport(flags.report, result)
      if (flags.json) console.log(JSON.stringify({ ...result, ...(paths === undefined ? {} : { report: paths }) }))
      else {
        console.log(summaryText(result, paths?.html))
        if (result.dir !== null) console.log(`node homes kept in ${result.dir}`)
      }
      if (!result.ok) process.exitCode = 1
    })
}
