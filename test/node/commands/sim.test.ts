// `milagro sim` (node/commands/sim.ts): help, option checks, the summary table, and one small
// real run through the command — every kind of order (custody, safeguard, M-Pin) with the faults
// the other simulation tests do not inject (delay, clean restart), nodes in the command's process
// on two threads — printed as JSON and written as a report.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { parseDuration, register, summaryText } from '../../../node/commands/sim.ts'
import { sampleResult } from '../../simulations/sim-fixture.ts'
import { run } from './home-log.ts'

test('--help describes every option', async () => {
  let help = ''
  const program = new Command('milagro').exitOverride().configureOutput({ writeOut: (s) => { help += s } })
  register(program)
  await rejects(program.parseAsync(['sim', '--help'], { from: 'user' }), (e: Error) => e.name === 'CommanderError')
  for (const option of ['--nodes', '--fiduciaries', '--orders', '--scenario', '--faults', '--fault-count', '--seed', '--duration', '--concurrency', '--order-timeout', '--mode', '--threads', '--pool-size', '--report', '--json', '--keep']) {
    assert.match(help, new RegExp(`\\n\\s+${option}\\b`), option)
  }
  assert.match(help, /kill,\s+restart,\s+partition,\s+delay/)
  assert.match(help, /"process",\s+"in-process",\s+"auto"/)
})

test('durations: bare seconds, s, m, ms; anything else refused', () => {
  assert.is(parseDuration('90'), 90_000)
  assert.is(parseDuration('1.5m'), 90_000)
  assert.is(parseDuration('250ms'), 250)
  assert.is(parseDuration('2s'), 2_000)
  assert.throws(() => parseDuration('soon'), (e: Error) => e.name === 'TypeError')
  assert.throws(() => parseDuration('-1s'), (e: Error) => e.name === 'TypeError')
})

test('options that cannot make a simulation fail before anything starts', async () => {
  await rejects(run(register, ['sim', '--nodes', '2', '--seed', '1']), (e: Error) => e.name === 'SimOptionsError' && e.message.includes('--nodes'))
  await rejects(run(register, ['sim', '--faults', 'kill,flood']), (e: Error) => e.message.includes("'flood'"))
  await rejects(run(register, ['sim', '--nodes', '4', '--fiduciaries', '3', '--seed', '1']), (e: Error) => e.name === 'SimOptionsError' && e.message.includes('--fiduciaries'))
  await rejects(run(register, ['sim', '--mode', 'in-process', '--faults', 'kill', '--seed', '1']), (e: Error) => e.name === 'SimOptionsError' && e.message.includes('kill faults need each node in its own process'))
})

test('summary: the figures, the faults, each invariant, and the verdict naming what failed', () => {
  const pass = summaryText(sampleResult(true), '/tmp/r/report.html')
  assert.match(pass, /^milagro sim: 4 nodes in child processes \(1 fiduciary\), 4 custody orders, 2 in flight, faults kill,partition \(2\), seed 9/)
  assert.match(pass, /orders {6}4\/4 completed, 0\.80 orders\/s/)
  assert.match(pass, /#0 {2}kill n1 +at order 1 +1\.0 s → 2\.5 s/)
  assert.match(pass, /ok {3}orders-final +4 checked/)
  assert.match(pass, /\nPASS: every order completed and every invariant holds\nreport: \/tmp\/r\/report\.html$/)
  const fail = summaryText(sampleResult(false))
  assert.match(fail, /FAIL orders-final/)
  assert.match(fail, / {11}- order #3 \(bafyorder3\): beneficiary node1 is at 'published', not 'redeemed'/)
  assert.match(fail, /… 50 more/, 'envelopes-agree: 60 failures, 10 shown')
  assert.match(fail, /\nFAIL: orders-final, envelopes-agree, 1 order\(s\) incomplete$/)
  const base = sampleResult(true)
  const inProcess = summaryText({ ...base, options: { ...base.options, mode: 'in-process', threads: 2 }, memory: { ...base.memory, rssPerNodeMiB: 25, baselineRssMiB: 180, marginalPerNodeMiB: 12.5 } })
  assert.match(inProcess, /^milagro sim: 4 nodes in one process \(2 threads\) \(1 fiduciary\)/)
  assert.match(inProcess, /memory {6}25\.0 MiB RSS per node \(the process's 100 MiB \/ 4\), 12\.5 MiB added per node, largest 130 MiB/)
})

test('a small mixed run through the command (custody, safeguard, M-Pin): --json result, report written, status 0', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-sim-cli-'))
  try {
    const out = await run(register, ['sim', '--nodes', '4', '--orders', '6', '--scenario', 'mixed', '--concurrency', '2', '--faults', 'delay,restart', '--seed', '13', '--threads', '2', '--json', '--report', dir, '--order-timeout', '60s'])
    const r = JSON.parse(out.out) as { ok: boolean, options: { seed: number, mode: string, threads: number }, orders: Array<{ kind: string }>, invariants: Array<{ name: string, ok: boolean, checked: number }>, faults: Array<{ kind: string, startMs?: number, endMs?: number }>, summary: { completed: number }, report: { html: string, json: string }, timeline: Array<{ what: string, how?: string }> }
    assert.is(out.status, 0)
    assert.equal(r.invariants.filter((i) => !i.ok), [])
    assert.is(r.ok, true)
    assert.is(r.options.seed, 13)
    assert.is(r.options.mode, 'in-process', 'auto: no kill faults, so every node in the command\'s process')
    assert.is(r.options.threads, 2, 'half of them on a worker thread')
    assert.equal(r.orders.map((o) => o.kind), ['safeguard', 'custody', 'safeguard', 'mpin', 'mpin', 'mpin'], 'the seed\'s plan')
    assert.is(r.invariants.find((i) => i.name === 'keys-match-addresses')?.checked, 6, 'a key, a secret or a login checked per order')
    assert.is(r.summary.completed, 6)
    assert.equal(r.faults.map((f) => f.kind).sort(), ['delay', 'restart'])
    assert.ok(r.faults.every((f) => f.startMs !== undefined && f.endMs !== undefined))
    assert.ok(r.timeline.some((e) => e.what === 'down' && e.how === 'stopped'), 'restart is a clean stop')
    assert.ok(existsSync(r.report.html))
    assert.match(await readFile(r.report.html, 'utf8'), /all invariants hold/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
