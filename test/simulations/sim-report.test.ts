// simulations/sim/report-html.ts, report-svg.ts and result.ts on a made-up result: figures,
// charts, escaping, a failed run shown as failed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { renderReport } from '../../simulations/sim/report-html.ts'
import { escapeHtml, faultLabel, niceTicks, throughputChart } from '../../simulations/sim/report-svg.ts'
import { failureReasons, percentiles, throughputSeries, type SimResult } from '../../simulations/sim/result.ts'
import { sampleResult } from './sim-fixture.ts'

test('percentiles, latencies and the throughput series from order timings', () => {
  assert.equal(percentiles([]), { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 })
  const p = percentiles([5, 1, 4, 2, 3])
  assert.equal(p, { count: 5, p50: 3, p90: 5, p99: 5, max: 5, mean: 3 })
  const r = sampleResult(false)
  assert.equal(r.latency.total.count, 3, 'an unfinished order has no total latency')
  assert.is(r.latency.first.p50, 100)
  assert.is(r.latency.release.max, (4_000 - 10) - (200 + 110))
  // 5 s of run: 250 ms buckets → 20 of them; completions at 0.5, 0.9 and 4.0 s.
  assert.is(r.throughput.bucketMs, 250)
  assert.is(r.throughput.completed.length, 20)
  assert.is(r.throughput.completed[2], 1)
  assert.is(r.throughput.completed[3], 1)
  assert.is(r.throughput.completed[16], 1)
  assert.is(r.throughput.completed.reduce((a, b) => a + b, 0), 3)
  assert.is(throughputSeries([], 600_000).bucketMs, 10_000)
})

test('niceTicks: round steps from 0 past the maximum', () => {
  assert.equal(niceTicks(9), [0, 2, 4, 6, 8, 10])
  assert.equal(niceTicks(100, 4), [0, 50, 100])
  assert.equal(niceTicks(0), [0, 1])
  assert.equal(niceTicks(0.7, 7), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
})

test('a passing run: verdict, figures, three charts, the faults over the throughput chart', () => {
  const html = renderReport(sampleResult(true))
  assert.match(html, /all invariants hold/)
  assert.not.match(html, /FAILED/)
  assert.is(html.match(/<svg id="(throughput|latency|memory)"/g)?.length, 3)
  assert.match(html, /4 \/ 4/)
  assert.match(html, /kill n1/)
  assert.match(html, /partition \{n0 n3\} \| \{n1 n2\}/)
  assert.match(html, /node1 killed at 1\.0 s/)
  assert.not.match(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'self-contained')
  const svg = throughputChart(sampleResult(true))
  assert.is(svg.match(/<g class="fault">/g)?.length, 2, 'one band per fault')
})

test('memory: per node process with child processes; process RSS / nodes and the marginal cost in process', () => {
  const procs = renderReport(sampleResult(true))
  assert.match(procs, /4 nodes in their own processes/)
  assert.match(procs, /<div class="k">PSS per node<\/div><div class="v">80 MiB<\/div>/)
  assert.match(procs, /<title>largest RSS of a node process<\/title>/)
  const base = sampleResult(true)
  const r: SimResult = { ...base, options: { ...base.options, mode: 'in-process' }, memory: { ...base.memory, rssPerNodeMiB: 30, baselineRssMiB: 80, marginalPerNodeMiB: 10, samples: base.memory.samples.map((s) => ({ ...s, rss: 120 * 2 ** 20, maxRss: 120 * 2 ** 20 })) } }
  const html = renderReport(r)
  assert.match(html, /4 nodes in one process/)
  assert.match(html, /<div class="k">marginal per node<\/div><div class="v">10 MiB<\/div>/)
  assert.not.match(html, /PSS per node<\/div>/)
  assert.not.match(html, /largest RSS of a node process/, 'no per-process line when one process runs every node')
  assert.match(html, /<title>RSS of the process \/ nodes<\/title>/)
})

test('a failing run: named invariants with their failures, escaped, with how many were not listed', () => {
  const html = renderReport(sampleResult(false))
  assert.match(html, /class="verdict bad">FAILED/)
  assert.match(html, /<title>milagro sim — FAIL/)
  assert.match(html, /FAILED \(60\)/)
  assert.match(html, /order #3 \(bafyorder3\): beneficiary node1 is at &#39;published&#39;/)
  assert.match(html, /envelope &lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; co/)
  assert.not.match(html, /<script>alert/)
  assert.match(html, /and 59 more, not listed/)
  assert.match(html, /<p class="fail">Failed: orders-final; envelopes-agree; 1 order\(s\) incomplete<\/p>/)
  assert.match(html, /not final after 60000 ms/)
})

test('failureReasons: failed invariants, incomplete orders, faults that went wrong, node crashes', () => {
  assert.equal(failureReasons(sampleResult(true)), [])
  const r = sampleResult(true)
  const broken = { ...r, faults: [{ ...r.faults[0] as SimResult['faults'][number], error: 'SimNodeError: node1 did not start' }], summary: { ...r.summary, unexpectedExits: 2 } }
  assert.equal(failureReasons(broken), ['fault #0 (kill) went wrong: SimNodeError: node1 did not start', '2 node crash(es)'])
  assert.equal(failureReasons(sampleResult(false)), ['orders-final', 'envelopes-agree', '1 order(s) incomplete'])
})

test('escapeHtml and fault labels', () => {
  assert.is(escapeHtml('<a href="x">\'&\''), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;')
  assert.is(faultLabel({ index: 0, kind: 'delay', nodes: [2], atOrder: 0, durationMs: 1, delayMs: 150 }, 3), 'delay n2 +150 ms')
  assert.is(faultLabel({ index: 0, kind: 'restart', nodes: [0], atOrder: 0, durationMs: 1 }, 3), 'restart n0')
})

test.run()
