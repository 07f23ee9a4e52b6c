// The hostile-peer harness: a target node in its own process (target-child.ts, with the REST API and
// the admin socket), a legitimate sender (a whole node, in this process), and hostile libp2p peers
// on loopback that speak our protocols (`/milagro/envelope/1.0.0`, `/milagro/sync/1.0.0`,
// `/milagro/identity/1.0.0`) with our own stack, and send:
//   - garbage frames (random bytes) and a frame announced larger than the limit;
//   - a flood of valid-looking envelopes: sealed and signed by the hostile identity (which the target
//     knows — any peer that connects is), addressed to the target, pipelined on every stream the
//     target allows a connection;
//   - replays of captured envelopes: the legitimate sender's (the hostile peer was a co-recipient)
//     and its own;
//   - envelopes signed by its superseded identity, after it rotated;
//   - slow-loris streams: delivery streams holding a frame one byte short of the 1 MiB limit, sync
//     and identity streams holding half a request, from several connections, held to the end.
// Meanwhile a prober process (status-prober.ts) measures REST `status` latency and the harness
// samples the target's resident memory (/proc). Afterwards the target's counters (admin `status`)
// and its log (read offline) say what was dropped, what was appended, and whether every legitimate
// envelope arrived exactly once.
import { readFile, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { adminCall } from '../../node/admin/client.ts'
import { openHomeStores } from '../../node/commands/log-home.ts'
import { homePaths } from '../../node/home.ts'
import type { MilagroNode } from '../../node/node.ts'
import { DELIVERY_PROTOCOL, DeliverySession, type Ack } from '../../node/p2p/delivery.ts'
import { encodeVarint } from '../../node/p2p/frames.ts'
import { IDENTITY_PROTOCOL } from '../../node/p2p/identity-protocol.ts'
import { createPeer, type Peer } from '../../node/p2p/libp2p.ts'
import { SYNC_PROTOCOL } from '../../node/p2p/sync.ts'
import { cidOf, MAX_ENVELOPE_BYTES, seal, type DecodedEnvelope, type VerifiedIdentity } from '../../protocol/index.ts'
import { LOG_KINDS } from '../../protocol/state/types.ts'
import { listEntries } from '../../storage/inspect.ts'
import { makeHome, startNode } from '../node/node-harness.ts'
import { startDeliveryStack, type DeliveryStack } from '../node/p2p/delivery-harness.ts'
import { makeKeys } from '../node/p2p/harness.ts'
import { NodeProcess, type Ready } from './child.ts'

const TARGET = fileURLToPath(new URL('./target-child.ts', import.meta.url))
const PROBER = fileURLToPath(new URL('./status-prober.ts', import.meta.url))

export interface HostileOptions {
  /** Envelopes in the flood (default 10,000). */
  readonly flood?: number
  /** Envelopes the legitimate sender sends during the flood (default 200). */
  readonly legit?: number
  readonly garbage?: number
  /** How many times each captured envelope is replayed (default 3). */
  readonly replays?: number
  readonly superseded?: number
  /** Connections holding slow-loris streams (4 delivery + 2 sync + 4 identity streams each; default 4). */
  readonly slowLorisConnections?: number
  /** V8 old-space limit of the target process in MiB (default: Node's own). */
  readonly heapMiB?: number
  readonly signal?: AbortSignal
  readonly progress?: (line: string) => void
}

export interface HostileReport {
  readonly status: { readonly n: number, readonly errors: number, readonly p50: number, readonly p99: number, readonly max: number, readonly baselineP50: number }
  readonly memory: { readonly baselineMiB: number, readonly peakMiB: number, readonly afterMiB: number }
  readonly flood: { readonly sent: number, readonly accepted: number, readonly refused: Readonly<Record<string, number>>, readonly ms: number }
  readonly legit: { readonly sent: number, readonly acked: number, readonly inLog: number, readonly duplicatesInLog: number }
  readonly garbage: { readonly sent: number, readonly malformed: number }
  readonly oversized: Ack | undefined
  readonly replays: { readonly sent: number, readonly duplicates: number, readonly appended: number }
  readonly superseded: { readonly sent: number, readonly refused: number }
  readonly slowLoris: { readonly opened: number, readonly stillOpen: number }
  /** The target's inbound counters (admin `status`). */
  readonly inbound: { readonly received: number, readonly duplicates: number, readonly dropped: Readonly<Record<string, number>> }
  readonly targetEntries: number
}

function percentile (sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
}

/** Resident memory of `pid` now and at its peak (VmHWM), in MiB. */
async function memoryOf (pid: number): Promise<{ rss: number, peak: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN)
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 }
}

function count<T> (items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1
  return out
}

/** Sends `envelopes` on `session` in windows of `window`, two windows in flight; all acks, in order. */
async function pipeline (session: DeliverySession, envelopes: readonly DecodedEnvelope[], window: number, signal: AbortSignal): Promise<Ack[]> {
  const windows: Array<Promise<Ack[]>> = []
  const acks: Ack[] = []
  for (let i = 0; i < envelopes.length; i += window) {
    const sent = session.send(envelopes.slice(i, i + window), { signal })
    sent.catch(() => {}) // awaited below, in order; a failure must not go unhandled meanwhile
    windows.push(sent)
    if (windows.length >= 2) acks.push(...await (windows.shift() as Promise<Ack[]>))
  }
  for (const w of windows) acks.push(...await w)
  return acks
}

async function until (check: () => Promise<boolean>, what: string, signal: AbortSignal): Promise<void> {
  while (!await check()) {
    if (signal.aborted) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => { AbortSignal.timeout(100).addEventListener('abort', resolve) })
  }
}

export async function runHostile (options: HostileOptions = {}): Promise<HostileReport> {
  const signal = options.signal ?? AbortSignal.timeout(300_000)
  const say = options.progress ?? (() => {})
  const floodSize = options.flood ?? 10_000
  const legitCount = options.legit ?? 200
  const garbageCount = options.garbage ?? 200
  const replayTimes = options.replays ?? 3
  const supersededCount = options.superseded ?? 50
  const slowConnections = options.slowLorisConnections ?? 4

  const targetHome = await makeHome('target')
  const legitHome = await makeHome('legit')
  const target = new NodeProcess(TARGET, targetHome, [], options.heapMiB === undefined ? {} : { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${options.heapMiB}` })
  let legit: MilagroNode | undefined
  let hostile: DeliveryStack | undefined
  const slowPeers: Peer[] = []
  const held: Stream[] = []
  let prober: NodeProcess | undefined
  let baselineProbe: NodeProcess | undefined
  let sampler: ReturnType<typeof setInterval> | undefined
  let completed = false
  try {
    const ready = await target.next<Ready & { pid: number }>('ready', signal)
    const targetPeer = peerIdFromString(ready.peerId)
    const targetId = CID.parse(ready.identity)
    const adminSocket = homePaths(targetHome).adminSocketPath
    const targetStatus = async (): Promise<{ inbound: HostileReport['inbound'], directory: { rejected: Record<string, number> } }> =>
      await adminCall(adminSocket, { cmd: 'status' }, { signal }) as { inbound: HostileReport['inbound'], directory: { rejected: Record<string, number> } }

    // The legitimate sender, and the hostile peer (a delivery stack: it receives what it is sent, so it can capture).
    legit = await startNode(legitHome, { admin: false })
    hostile = await startDeliveryStack('hostile')
    const legitNode = legit
    const hostileStack = hostile
    await legitNode.connect(ready.addr, { signal })
    await hostileStack.libp2p.dial(multiaddr(ready.addr), { signal })
    await legitNode.connect(hostileStack.libp2p.getMultiaddrs()[0]?.toString() as string, { signal })
    const targetKnows = async (cid: CID): Promise<boolean> => {
      const r = await fetch(`${ready.api}/v1/identities/${cid.toString()}`, { headers: { authorization: `Bearer ${(await readFile(homePaths(targetHome).apiTokenPath, 'utf8')).trim()}` }, signal })
      await r.text()
      return r.status === 200
    }
    await until(async () => await targetKnows(legitNode.identity.cid) && await targetKnows(hostileStack.keys.identity.cid) &&
      (await legitNode.directory.get(targetId))?.bound === true && (await legitNode.directory.get(hostileStack.keys.identity.cid))?.bound === true &&
      (await hostileStack.directory.get(targetId)) !== undefined, 'the three peers to know each other', signal)
    const targetIdentity = (await hostileStack.directory.get(targetId))?.identity as VerifiedIdentity
    const hostileIdentity = hostileStack.keys.identity
    say('peers up')

    // Captures: the legitimate sender writes to the target and the hostile peer together.
    const captured: DecodedEnvelope[] = []
    for (let i = 0; i < 20; i++) captured.push(await legitNode.send([targetId, hostileIdentity.cid], 'test/legit-shared', { i }))
    await until(async () => (await hostileStack.sink.has(captured.map((c) => c.cid))).every(Boolean), 'the captures', signal)

    // The flood, sealed beforehand so that sending is all the attacker does during it — in slices,
    // yielding between them: sealing 10,000 at once blocked this process's event loop for seconds
    // on a loaded machine, and a connection ping in flight meanwhile (libp2p's connection monitor,
    // every 10 s, ≥ 5 s timeout) then timed out and aborted the attacker's connection to the
    // target, so a session opened on it failed with "the receiver closed the delivery stream".
    const sender = { identity: hostileIdentity, signer: hostileStack.keys.signer }
    const flood: DecodedEnvelope[] = []
    while (flood.length < floodSize) {
      const from = flood.length
      for (let i = from; i < Math.min(floodSize, from + 200); i++) flood.push(seal(sender, [targetIdentity], 'test/flood', { i, pad: 'x'.repeat(64) }))
      await new Promise((resolve) => setImmediate(resolve))
    }
    say(`sealed ${flood.length} flood envelopes`)

    // Baseline latency and memory, before any attack.
    prober = new NodeProcess(PROBER, targetHome, ['--url', ready.api, '--token-file', homePaths(targetHome).apiTokenPath, '--every', '20'])
    await prober.next('probing', signal)
    baselineProbe = new NodeProcess(PROBER, targetHome, ['--url', ready.api, '--token-file', homePaths(targetHome).apiTokenPath, '--every', '10'])
    await baselineProbe.next('probing', signal)
    await new Promise((resolve) => { AbortSignal.timeout(1_000).addEventListener('abort', resolve) })
    baselineProbe.command('stop')
    const baseline = (await baselineProbe.next<{ latencies: number[] }>('result', signal)).latencies.sort((a, b) => a - b)
    const baseMem = await memoryOf(ready.pid)
    let peakRss = baseMem.rss
    sampler = setInterval(() => { void memoryOf(ready.pid).then((m) => { peakRss = Math.max(peakRss, m.rss) }, () => {}) }, 50)

    // Slow-loris: connections of fresh peer ids, each holding every stream the target allows it.
    for (let c = 0; c < slowConnections; c++) {
      const peer = await createPeer({ privateKey: await generateKeyPair('Ed25519'), listen: [] })
      await peer.start()
      slowPeers.push(peer)
      for (let attempt = 0; ; attempt++) {
        try {
          await peer.dial(multiaddr(ready.addr), { signal: AbortSignal.timeout(5_000) })
          break
        } catch (err) {
          // libp2p admits 5 inbound connections per second per address: loopback is one address.
          if (attempt >= 20) throw err
          await new Promise((resolve) => { AbortSignal.timeout(250).addEventListener('abort', resolve) })
        }
      }
      const open = async (protocol: string, bytes: Uint8Array): Promise<void> => {
        const s = await peer.dialProtocol(targetPeer, protocol, { signal: AbortSignal.timeout(5_000) })
        s.send(bytes)
        held.push(s)
      }
      const almost = new Uint8Array(MAX_ENVELOPE_BYTES - 1).fill(0xa5)
      for (let k = 0; k < 4; k++) await open(DELIVERY_PROTOCOL, concat(encodeVarint(MAX_ENVELOPE_BYTES), almost))
      for (let k = 0; k < 2; k++) await open(SYNC_PROTOCOL, concat(encodeVarint(1000), new Uint8Array(500)))
      for (let k = 0; k < 4; k++) await open(IDENTITY_PROTOCOL, concat(encodeVarint(100), new Uint8Array(10)))
    }
    say(`slow-loris: ${held.length} streams held`)

    // Garbage and an oversized frame, then the flood on four streams, the legitimate sender meanwhile.
    const garbageStream = await hostileStack.libp2p.dialProtocol(targetPeer, DELIVERY_PROTOCOL, { signal })
    const garbageSession = new DeliverySession(garbageStream)
    const junk = Array.from({ length: garbageCount }, (_, i) => {
      const bytes = crypto.getRandomValues(new Uint8Array(16 + (i % 200)))
      return { cid: cidOf(bytes), bytes }
    })
    const garbageAcks = await garbageSession.send(junk, { signal })
    await garbageSession.close()
    const bigStream = await hostileStack.libp2p.dialProtocol(targetPeer, DELIVERY_PROTOCOL, { signal })
    const bigSession = new DeliverySession(bigStream)
    const huge = new Uint8Array(MAX_ENVELOPE_BYTES + 1)
    const [oversized] = await bigSession.send([{ cid: cidOf(huge), bytes: huge }], { signal }).catch(() => [undefined])
    say(`garbage: ${garbageAcks.length} acks; oversized: ${oversized?.reason ?? 'no ack'}`)

    const legitAcked = new Set<string>()
    const onDelivered = (d: { recipient: string, cid: CID }): void => { if (d.recipient === targetId.toString()) legitAcked.add(d.cid.toString()) }
    legitNode.on('envelope:delivered', onDelivered)
    const floodStarted = performance.now()
    const sessions = await Promise.all([0, 1, 2, 3].map(async () => await DeliverySession.open(hostileStack.libp2p, targetPeer, { signal })))
    const share = Math.ceil(flood.length / sessions.length)
    const floodAcks = Promise.all(sessions.map(async (s, k) => await pipeline(s, flood.slice(k * share, (k + 1) * share), 256, signal)))
    floodAcks.catch(() => {}) // awaited after the legitimate sends
    const legitSent: DecodedEnvelope[] = []
    for (let i = 0; i < legitCount; i++) {
      legitSent.push(await legitNode.send([targetId], 'test/legit', { i }))
      if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve))
    }
    const acks = (await floodAcks).flat()
    const floodMs = performance.now() - floodStarted
    await Promise.all(sessions.map(async (s) => { await s.close() }))
    await until(async () => legitSent.every((e) => legitAcked.has(e.cid.toString())), 'every legitimate envelope to be acknowledged', signal)
    say(`flood: ${acks.length} acks in ${Math.round(floodMs)} ms; legit: ${legitAcked.size}/${legitSent.length}`)

    // Replays: the captures and some of the flood, several times, on one stream.
    const replayed = [...captured, ...flood.slice(0, 50)]
    const replaySession = await DeliverySession.open(hostileStack.libp2p, targetPeer, { signal })
    const replayAcks: Ack[] = []
    for (let r = 0; r < replayTimes; r++) replayAcks.push(...await replaySession.send(replayed, { signal }))
    await replaySession.close()

    // Rotation: the hostile peer supersedes its identity, then signs with the old one.
    const next = await makeKeys('hostile', { previous: hostileStack.keys })
    await hostileStack.directory.setSelf([next.identity, hostileIdentity])
    await until(async () => await targetKnows(next.identity.cid), 'the target to learn the rotation', signal)
    const stale = Array.from({ length: supersededCount }, (_, i) => seal(sender, [targetIdentity], 'test/stale', { i }))
    const staleSession = await DeliverySession.open(hostileStack.libp2p, targetPeer, { signal })
    const staleAcks = await staleSession.send(stale, { signal })
    await staleSession.close()

    prober.command('stop')
    const probed = await prober.next<{ latencies: number[], errors: number }>('result', signal)
    const latencies = probed.latencies.sort((a, b) => a - b)
    const proberErrors = probed.errors
    clearInterval(sampler)
    const endMem = await memoryOf(ready.pid)
    const stillOpen = held.filter((s) => s.status === 'open').length
    const status = await targetStatus()
    say(`status p99 ${percentile(latencies, 0.99).toFixed(1)} ms over ${latencies.length}; memory ${baseMem.rss.toFixed(0)} → peak ${Math.max(peakRss, endMem.peak).toFixed(0)} MiB`)

    for (const s of held) s.abort(new Error('done'))
    await Promise.all(slowPeers.splice(0).map(async (p) => { await p.stop() }))
    await target.stop()

    // The target's log, offline: each legitimate envelope exactly once; nothing appended twice.
    const stores = await openHomeStores(targetHome)
    const received: string[] = []
    let entries = 0
    try {
      for await (const row of listEntries(stores, { from: 0 })) {
        entries++
        const e = row.entry
        if (e?.kind === LOG_KINDS.envelopeReceived && e.link !== undefined) received.push(e.link.toString())
      }
    } finally {
      await stores.stop()
    }
    const inLog = count(received, (c) => c)
    const legitIds = [...legitSent, ...captured].map((e) => e.cid.toString())
    completed = true
    return {
      status: { n: latencies.length, errors: proberErrors, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1) ?? Number.NaN, baselineP50: percentile(baseline, 0.5) },
      memory: { baselineMiB: baseMem.rss, peakMiB: Math.max(peakRss, endMem.peak), afterMiB: endMem.rss },
      flood: { sent: flood.length, accepted: acks.filter((a) => a.reason === null).length, refused: count(acks.filter((a) => a.reason !== null), (a) => a.reason as string), ms: floodMs },
      legit: { sent: legitIds.length, acked: legitSent.filter((e) => legitAcked.has(e.cid.toString())).length + captured.length, inLog: legitIds.filter((c) => inLog[c] !== undefined).length, duplicatesInLog: Object.values(inLog).filter((n) => n > 1).length },
      garbage: { sent: junk.length, malformed: garbageAcks.filter((a) => a.reason === 'malformed').length },
      oversized,
      replays: { sent: replayAcks.length, duplicates: replayAcks.filter((a) => a.duplicate).length, appended: replayed.filter((e) => (inLog[e.cid.toString()] ?? 0) > 1).length },
      superseded: { sent: staleAcks.length, refused: staleAcks.filter((a) => a.reason === 'superseded-sender').length },
      slowLoris: { opened: held.length, stillOpen },
      inbound: status.inbound,
      targetEntries: entries
    }
  } finally {
    // Everything this run started, also after a failure at any point: the sampler is a ref'd
    // interval (a failure between its start and its clearInterval above once kept the test file
    // alive until the runner's kill), and one step failing must not skip the others.
    clearInterval(sampler)
    for (const s of held) s.abort(new Error('done'))
    const steps: Array<() => Promise<unknown>> = [
      async () => await Promise.allSettled(slowPeers.map(async (p) => { await p.stop() })),
      async () => await prober?.kill(),
      async () => await baselineProbe?.kill(),
      async () => await target.stop(),
      async () => await legit?.stop(),
      async () => await hostile?.stop(),
      async () => { await rm(dirname(targetHome), { recursive: true, force: true }) },
      async () => { await rm(dirname(legitHome), { recursive: true, force: true }) }
    ]
    const errors: unknown[] = []
    for (const step of steps) await step().catch((err: unknown) => { errors.push(err) })
    // After a failure, that failure is the one to report; otherwise a teardown error is.
    if (completed && errors.length > 0) throw errors[0]
  }
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

