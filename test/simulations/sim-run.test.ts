// simulations/sim/runner.ts end to end: five node processes on loopback, twenty custody orders,
// one SIGKILL and one partition on a fixed seed — every order completes and every invariant
// holds; then the report it writes renders in headless Chromium without a console message.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { writeReport } from '../../simulations/sim/report-html.ts'
import { runSim } from '../../simulations/sim/runner.ts'

const CHROMIUM = '/usr/bin/chromium'
const seed = 20_250_611
let result: Awaited<ReturnType<typeof runSim>> | undefined

test('5 nodes, 20 orders, a kill and a partition: every order completes, every invariant holds', async () => {
  result = await runSim({
    nodes: 5, fiduciaries: 1, orders: 20, scenario: 'custody', faults: ['kill', 'partition'], seed,
    concurrency: 8, orderTimeoutMs: 60_000, signal: AbortSignal.timeout(150_000)
  })
  const r = result
  const failing = r.invariants.filter((i) => !i.ok).map((i) => `${i.name}: ${i.failures.join('; ')}`)
  assert.equal(failing, [], 'no invariant fails')
  assert.equal(r.invariants.map((i) => i.name), ['orders-final', 'orders-unique', 'keys-match-addresses', 'logs-audit', 'envelopes-agree'])
  const checked = Object.fromEntries(r.invariants.map((i) => [i.name, i.checked]))
  assert.is(checked['orders-final'], 20)
  assert.is(checked['orders-unique'], 5)
  assert.is(checked['keys-match-addresses'], 20)
  assert.is(checked['logs-audit'], 5)
  // Each custody order: order (1 envelope to B and F), 2 keys, address, release request, release, released, redeemed.
  assert.is(checked['envelopes-agree'], 20 * 8)
  assert.is(r.summary.completed, 20)
  assert.is(r.summary.created, 20)
  assert.ok(r.ok)
  assert.ok(r.quiet, 'every outbox drained')
  assert.is(r.summary.unexpectedExits, 0)

  // The faults happened, as planned by the seed, and were healed.
  assert.equal(r.faults.map((f) => f.kind).sort(), ['kill', 'partition'])
  for (const f of r.faults) {
    assert.is(f.error, undefined)
    assert.ok(f.startMs !== undefined && f.endMs !== undefined && f.endMs >= f.startMs + f.durationMs - 5, `fault ${f.kind} held for its duration`)
  }
  const kill = r.faults.find((f) => f.kind === 'kill')
  const target = kill?.nodes[0]
  assert.ok(r.timeline.some((e) => e.node === target && e.what === 'down' && e.how === 'killed'), 'the kill is a SIGKILL')
  assert.ok(r.timeline.some((e) => e.node === target && e.what === 'up'), 'and the node came back')
  assert.ok(r.memory.rssPerNodeMiB > 10 && r.memory.samples.length > 0)
  assert.is(r.latency.total.count, 20)
})

const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) console.log(`SKIP: ${CHROMIUM} not found (Debian package 'chromium'); the report is not rendered in a browser`)

;(hasChromium ? test : test.skip)('report.html is self-contained and renders in headless Chromium without a console message', async () => {
  if (result === undefined) throw new Error('the simulation test did not produce a result')
  const dir = await mkdtemp(join(tmpdir(), 'milagro-sim-report-'))
  try {
    const { html, json } = await writeReport(join(dir, 'out'), result)
    assert.equal(JSON.parse(await readFile(json, 'utf8')).invariants.length, 5)
    const page = await readFile(html, 'utf8')
    assert.not.match(page, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'nothing is fetched from elsewhere')
    const profile = join(dir, 'profile')
    const { code, stdout, stderr } = await new Promise<{ code: number | null, stdout: string, stderr: string }>((resolve, reject) => {
      const child = spawn(CHROMIUM, [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0',
        '--dump-dom', pathToFileURL(html).href
      ], { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => { out += d.toString() })
      child.stderr.on('data', (d: Buffer) => { err += d.toString() })
      const timer = setTimeout(() => { child.kill('SIGKILL') }, 60_000)
      child.once('error', reject)
      child.once('close', (c) => { clearTimeout(timer); resolve({ code: c, stdout: out, stderr: err }) })
    })
    assert.is(code, 0, stderr)
    const messages = stderr.split('\n').filter((l) => l.includes(':CONSOLE'))
    assert.equal(messages, [], 'the page logs nothing (no script error, no failed load)')
    assert.match(stdout, /<html[^>]*data-rendered="3"/, 'the script ran to its end and found three charts')
    for (const id of ['throughput', 'latency', 'memory']) assert.match(stdout, new RegExp(`<svg id="${id}"`), `chart ${id}`)
    assert.match(stdout, /all invariants hold/)
    assert.match(stdout, /kill n\d/, 'the fault timeline names the kill')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
