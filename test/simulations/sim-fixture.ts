// A made-up simulation result for the report and CLI tests (no processes run).
import { latencies, throughputSeries, type SimResult } from '../../simulations/sim/result.ts'
import type { OrderRecord } from '../../simulations/sim/orders.ts'

function order (index: number, startedMs: number, doneMs?: number): OrderRecord {
  return {
    index, kind: 'custody', principal: 0, beneficiary: 1, fiduciaries: [2], network: 'regtest', id: `bafyorder${index}`,
    startedMs, createdMs: startedMs + 5, publishedMs: startedMs + 100, releaseMs: startedMs + 110,
    ...(doneMs === undefined ? { error: 'not final after 60000 ms' } : { redeemedMs: doneMs - 10, doneMs })
  }
}

export function sampleResult (ok: boolean): SimResult {
  const orders = [order(0, 0, 500), order(1, 100, 900), order(2, 200, 4_000), order(3, 300, ok ? 1_200 : undefined)]
  return {
    version: 2,
    ok,
    options: { nodes: 4, fiduciaries: 1, orders: 4, scenario: 'custody', faults: ['kill', 'partition'], faultCount: 2, seed: 9, durationMs: null, concurrency: 2, orderTimeoutMs: 60_000, mode: 'process', threads: 1 },
    started: '2025-01-01T00:00:00.000Z',
    host: { cpus: 2, node: 'v22.0.0', platform: 'linux-x64' },
    roles: ['principal', 'beneficiary', 'fiduciary', 'principal'],
    phases: { start: 1_000, run: 5_000, quiesce: 100, check: 400, total: 6_500 },
    quiet: true,
    summary: { planned: 4, created: 4, completed: ok ? 4 : 3, ordersPerSecond: 0.8, faults: 2, unexpectedExits: 0 },
    latency: latencies(orders),
    throughput: throughputSeries(orders, 5_000),
    memory: { rssPerNodeMiB: 120, pssPerNodeMiB: 80, maxRssMiB: 130, baselineRssMiB: null, marginalPerNodeMiB: null, samples: [{ t: 0, nodes: 4, rss: 4 * 120 * 2 ** 20, maxRss: 130 * 2 ** 20, pss: 4 * 80 * 2 ** 20 }, { t: 1000, nodes: 4, rss: 4 * 121 * 2 ** 20, maxRss: 131 * 2 ** 20, pss: 4 * 81 * 2 ** 20 }] },
    invariants: [
      { name: 'orders-final', description: 'every order reached its final state at each of its parties', ok, checked: 4, failures: ok ? [] : ['order #3 (bafyorder3): beneficiary node1 is at \'published\', not \'redeemed\''], failureCount: ok ? 0 : 1 },
      { name: 'envelopes-agree', description: 'peers agree', ok, checked: 32, failures: ok ? [] : ['envelope <script>alert(1)</script> & co'], failureCount: ok ? 0 : 60 }
    ],
    orders,
    faults: [
      { index: 0, kind: 'kill', nodes: [1], atOrder: 1, durationMs: 1_000, startMs: 1_000, endMs: 2_500 },
      { index: 1, kind: 'partition', nodes: [0, 3], atOrder: 2, durationMs: 2_000, startMs: 1_500, endMs: 3_600 }
    ],
    timeline: [{ t: 1_000, node: 1, what: 'down', how: 'killed' }, { t: 2_500, node: 1, what: 'up' }]
  }
}
