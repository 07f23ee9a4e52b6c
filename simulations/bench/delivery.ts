// Figures for delivery and catch-up sync between real nodes on loopback TCP (createNode: libp2p
// with Noise + Yamux, LevelDB logs on disk, fsync on every group commit), in this process.
//
//   delivery.rtt.p50 / .p99   one envelope over `/milagro/envelope/1.0.0` and its acknowledgement,
//                             sequentially: the receiver decodes, verifies the signature, checks
//                             for a replay, appends to its log (fsynced) and only then acks.
//   delivery.throughput       envelopes/s from `send()` on one node (seal, append `envelope.sent`,
//                             queue) to their acknowledgement by the other, 5,000 pipelined.
//   sync.catchup              a peer offline while 10,000 envelopes were sent to it starts with an
//                             empty log: entries/s from its start until all 10,000 are in its log.
//                             Beside it, OrbitDB replicating a 10,000-entry log to a fresh peer
//                             (see orbitdbReplication), measured in the same run.
//
// The per-peer rate limit is a policy (default 2,000 envelopes/s, bursts of 10,000); it is raised
// here so that the figures measure the engine, not the policy.
import { rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { seal } from '../../protocol/index.ts'
import { DeliverySession } from '../../node/p2p/delivery.ts'
import type { MilagroNode, NodeOptions } from '../../node/node.ts'
import { introduce, listenAddrOf, makeHome, receivedCount, startNode } from '../../test/node/node-harness.ts'
import type { BenchOptions, Report } from '../bench.ts'
import { orbitdbReplication, ORBITDB_PEER } from '../peers/orbitdb-replication.ts'

export const figures = ['delivery.', 'sync.']

const RTT_SAMPLES = 2_000
const THROUGHPUT_N = 5_000
const CATCHUP_N = 10_000
const OPTIONS: NodeOptions = { admin: false, inbound: { rateLimit: { perSecond: 1_000_000, burst: 1_000_000 } } }

function percentile (sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
}

async function pair (): Promise<{ a: MilagroNode, b: MilagroNode, dirs: string[] }> {
  const dirs = await Promise.all([makeHome('bench-a'), makeHome('bench-b')])
  const a = await startNode(dirs[0] as string, OPTIONS)
  const b = await startNode(dirs[1] as string, OPTIONS)
  await introduce(a, b, AbortSignal.timeout(10_000))
  return { a, b, dirs }
}

async function cleanup (nodes: ReadonlyArray<MilagroNode | undefined>, dirs: readonly string[]): Promise<void> {
  await Promise.allSettled(nodes.map(async (n) => { await n?.stop() }))
  await Promise.all(dirs.map(async (d) => { await rm(dirname(d), { recursive: true, force: true }) }))
}

async function rtt (report: Report): Promise<void> {
  const { a, b, dirs } = await pair()
  try {
    const sender = { identity: a.identity, signer: a.home.keys.signer }
    const body = { payload: new Uint8Array(200) }
    const session = await DeliverySession.open(a.libp2p, b.libp2p.peerId)
    const samples: number[] = []
    for (let i = 0; i < RTT_SAMPLES + 200; i++) {
      const envelope = seal(sender, [b.identity], 'bench/rtt', body)
      const t = performance.now()
      const [ack] = await session.send([envelope])
      const ms = performance.now() - t
      if (ack?.reason !== null) throw new Error(`bench envelope refused: ${String(ack?.reason)}`)
      if (i >= 200) samples.push(ms) // the first 200 warm up
    }
    await session.close()
    samples.sort((x, y) => x - y)
    report({ name: 'delivery.rtt.p50', value: percentile(samples, 0.5), unit: 'ms' })
    report({ name: 'delivery.rtt.p99', value: percentile(samples, 0.99), unit: 'ms' })
  } finally {
    await cleanup([a, b], dirs)
  }
}

async function throughput (report: Report): Promise<void> {
  const { a, b, dirs } = await pair()
  try {
    const to = [b.identity.cid]
    const body = { payload: new Uint8Array(200) }
    const started = performance.now()
    let next = 0
    await Promise.all(Array.from({ length: 256 }, async () => {
      for (let i = next++; i < THROUGHPUT_N; i = next++) await a.send(to, 'bench/throughput', { ...body, i })
    }))
    await a.parts.dispatcher.drained(b.identity.cid.toString(), { signal: AbortSignal.timeout(120_000) })
    const seconds = (performance.now() - started) / 1000
    if (b.parts.inbound.stats().received !== THROUGHPUT_N) throw new Error('not every envelope arrived')
    report({ name: 'delivery.throughput', value: THROUGHPUT_N / seconds, unit: 'envelopes/s' })
  } finally {
    await cleanup([a, b], dirs)
  }
}

async function catchup (report: Report): Promise<void> {
  const { a, b: first, dirs } = await pair()
  let b: MilagroNode | undefined = first
  try {
    const listen = listenAddrOf(b)
    const to = [b.identity.cid]
    await b.stop()
    b = undefined
    let next = 0
    await Promise.all(Array.from({ length: 256 }, async () => {
      for (let i = next++; i < CATCHUP_N; i = next++) await a.send(to, 'bench/catchup', { payload: new Uint8Array(200), i })
    }))
    if (a.parts.outbox.count() !== CATCHUP_N) throw new Error('the backlog is not in the outbox')
    const started = performance.now()
    // No explicit dial: the restarted peer redials the peers in its directory, sync runs on identify.
    b = await startNode(dirs[1] as string, { ...OPTIONS, listen: [listen] })
    await receivedCount(b, CATCHUP_N, AbortSignal.timeout(300_000))
    const ours = CATCHUP_N / ((performance.now() - started) / 1000)
    const peer = await orbitdbReplication(CATCHUP_N)
    report({ name: 'sync.catchup', value: ours, unit: 'entries/s', ...(peer === undefined ? {} : { peer: ORBITDB_PEER, peerValue: peer }) })
  } finally {
    await cleanup([a, b], dirs)
  }
}

/** `--only delivery` skips the catch-up (and OrbitDB, ~90 s); `--only sync` skips the delivery figures. */
export async function bench (report: Report, options: BenchOptions = {}): Promise<void> {
  const wants = (prefix: string): boolean => options.only === undefined || prefix.startsWith(options.only) || options.only.startsWith(prefix)
  if (wants('delivery.rtt')) await rtt(report)
  if (wants('delivery.throughput')) await throughput(report)
  if (wants('sync.catchup')) await catchup(report)
}
