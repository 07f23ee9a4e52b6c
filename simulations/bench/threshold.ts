// Figures for threshold custody (t-of-n fiduciaries, DKG over envelopes), between real nodes on
// loopback TCP, one process each (simulations/nodes/custody-child.ts: createNode with every
// service and the REST API; libp2p with Noise + Yamux, LevelDB logs fsynced on every group commit,
// the software key store writing one fsynced file per secret), driven through the REST API. Seven
// processes on the machine: the principal P, the beneficiary B and five fiduciaries; every order is
// 3-of-5. The machine has 2 cores: seven nodes share them, so these are latencies under contention.
//
//   threshold.dkg.p50      ms from POST /v1/threshold at P to its answer of GET …?wait=published:
//                          the order to the 5 fiduciaries and B; each fiduciary makes a transfer key
//                          in its key store and accepts; P starts the round; each fiduciary deals
//                          (3 commitments, a proof of knowledge, 5 signed shares sealed to the
//                          receivers' transfer keys); each receiver opens and checks 5 shares and
//                          sends its verdict; P qualifies and announces the epoch; each holder
//                          combines its share into its key store and confirms; B's key is in (sent
//                          on the order); P publishes the address once 3 holders confirmed
//   threshold.refresh.p50  ms from POST /v1/threshold/:id/refresh at P to its answer of
//                          GET …?wait=held&round=r: the same rounds with zero-constant dealings,
//                          until all 5 holders confirmed their refreshed shares (old ones destroyed)
//   threshold.release.p50  ms from POST /v1/threshold/:id/release at P to B's answer of
//                          GET …?wait=redeemed: 5 holders each seal their share to B from their key
//                          store; B opens and checks each against its public share, interpolates 3,
//                          adds its own key, checks the wallet key, imports it
import { rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ApiClient } from '../../node/api/client.ts'
import { readApiToken } from '../../node/api/token.ts'
import { makeHome } from '../../test/node/node-harness.ts'
import type { Report } from '../bench.ts'
import { CustodyChild, type Ready } from '../nodes/spawn.ts'

export const figures = ['threshold.']

const SAMPLES = 15
const WARM_UP = 2
const N = 5
const T = 3

interface Node { readonly child: CustodyChild, readonly ready: Ready, readonly api: ApiClient }
type Order = { id: string, wallet: unknown, redeemed: boolean, round: { round: number, status: string, held: number[] }, epoch: { holders: number[] } | null }

function percentile (sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
}

async function spawnNode (home: string, bootstrap: readonly Ready[], signal: AbortSignal): Promise<Node> {
  const child = new CustodyChild(home, ['--fast', ...bootstrap.flatMap((r) => ['--bootstrap', r.addr])])
  const ready = await child.next<Ready>('ready', signal)
  return { child, ready, api: new ApiClient({ url: ready.api, token: await readApiToken(`${home}/api-token`) }) }
}

export async function bench (report: Report): Promise<void> {
  const signal = AbortSignal.timeout(600_000)
  const nodes: Node[] = []
  try {
    const homes = await Promise.all([...Array.from({ length: N }, (_, k) => `bench-th-f${k + 1}`), 'bench-th-beneficiary', 'bench-th-principal'].map(makeHome))
    for (const home of homes) nodes.push(await spawnNode(home, nodes.map((n) => n.ready), signal))
    const ids = nodes.map((n) => n.ready.identity)
    await Promise.all(nodes.map(async (n) => { await n.child.knows(ids.filter((i) => i !== n.ready.identity), signal) }))
    const fiduciaries = nodes.slice(0, N).map((f) => f.ready.identity)
    const B = nodes[N] as Node
    const P = nodes[N + 1] as Node

    const dkg = async (): Promise<{ id: string, ms: number }> => {
      const t0 = performance.now()
      const o = await P.api.request<Order>('POST', '/v1/threshold', { beneficiary: B.ready.identity, fiduciaries, threshold: T, network: 'regtest' })
      const done = await P.api.request<Order>('GET', `/v1/threshold/${o.id}?wait=published&timeoutMs=60000`)
      if (done.wallet === null) throw new Error(`order ${o.id} not published within 60 s (round ${done.round.round}: ${done.round.status})`)
      return { id: o.id, ms: performance.now() - t0 }
    }
    const refresh = async (id: string): Promise<number> => {
      const t0 = performance.now()
      const asked = await P.api.request<Order>('POST', `/v1/threshold/${id}/refresh`, {})
      const done = await P.api.request<Order>('GET', `/v1/threshold/${id}?wait=held&round=${asked.round.round}&timeoutMs=60000`)
      if (done.round.status !== 'qualified' || done.round.held.length !== N) throw new Error(`order ${id} not refreshed within 60 s (${done.round.status}, ${done.round.held.length} held)`)
      return performance.now() - t0
    }
    const release = async (id: string): Promise<number> => {
      const t0 = performance.now()
      await P.api.request('POST', `/v1/threshold/${id}/release`, {})
      const r = await B.api.request<Order>('GET', `/v1/threshold/${id}?wait=redeemed&timeoutMs=60000`)
      if (!r.redeemed) throw new Error(`order ${id} not redeemed within 60 s`)
      return performance.now() - t0
    }
    for (let i = 0; i < WARM_UP; i++) {
      const { id } = await dkg()
      await refresh(id)
      await release(id)
    }
    const orders: string[] = []
    const dkgMs: number[] = []
    for (let i = 0; i < SAMPLES; i++) {
      const o = await dkg()
      orders.push(o.id)
      dkgMs.push(o.ms)
    }
    const refreshMs: number[] = []
    for (const id of orders) refreshMs.push(await refresh(id))
    const releaseMs: number[] = []
    for (const id of orders) releaseMs.push(await release(id))
    report({ name: 'threshold.dkg.p50', value: percentile(dkgMs.sort((a, b) => a - b), 0.5), unit: 'ms' })
    report({ name: 'threshold.refresh.p50', value: percentile(refreshMs.sort((a, b) => a - b), 0.5), unit: 'ms' })
    report({ name: 'threshold.release.p50', value: percentile(releaseMs.sort((a, b) => a - b), 0.5), unit: 'ms' })
  } finally {
    await Promise.all(nodes.map(async (n) => { await n.child.stop() }))
    await Promise.all(nodes.map(async (n) => { await rm(dirname(n.child.home), { recursive: true, force: true }) }))
  }
}
