// Figures for the append-only log, side by side with OrbitDB's oplog (@orbitdb/core) in the same
// run: 10,000 entries with ~200-byte payloads, both persisting to LevelDB on disk.
//
// Ours: LevelLog on blockstore-level + level, node state machine, fsync on every group commit.
// OrbitDB: its `Log` with an Identities/KeyStore on disk, entries through IPFSBlockStorage on a
// Helia (not started: no networking) over a LevelBlockstore, heads and index in its LevelStorage,
// each behind its usual LRU cache — the storage OrbitDB's own Database sets up, minus pinning
// (pin: false, which only makes OrbitDB faster). OrbitDB 4 runs on Helia 7 as it is.
//
// What each side verifies when it loads a log: ours, everything (audit: hashes, chain, clocks,
// every signature, state rebuilt and compared with checkpoints). OrbitDB's Log.iterator verifies
// nothing — no signature, and the entry hash is recomputed but never compared with the key it was
// fetched by — so `log.replay.vs-verified` also times OrbitDB iterating *and* calling Entry.verify.
//
// Appends are pipelined the same way on both sides (a window of `WINDOW` appends in flight);
// `*.sequential` awaits every append before the next (2,000 entries). Ours fsyncs every group
// commit; OrbitDB never fsyncs, so `*.no-fsync` shows ours at OrbitDB's durability. Dirty pages
// are flushed (`sync`) before each measured phase. `log.restart` opens a 100,000-entry log
// (checkpoint every 1,000 entries) from nothing to ready: stores open, head and checkpoint
// verified, tail replayed with signatures, outbox loaded — median of three opens.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelBlockstore } from 'blockstore-level'
import { LevelDatastore } from 'datastore-level'
import { createHeliaLight } from 'helia'
import { CryptoPool } from '../../crypto/pool/index.ts'
import { nodeMachine } from '../../protocol/state/machine.ts'
import { audit } from '../../storage/audit.ts'
import { LevelLog, type LogInit } from '../../storage/log.ts'
import { createStores, dataPaths, type Stores } from '../../storage/stores.ts'
import type { Effect } from '../../storage/types.ts'
import { testNode } from '../../test/fixtures/identities.ts'
import type { Report } from '../bench.ts'

export const figures = ['log.']

const PEER = 'OrbitDB 4.0.0 oplog'
const WINDOW = 256
const PAYLOAD = 'x'.repeat(200)

type Node = Awaited<ReturnType<typeof testNode>>

/** @orbitdb/core ships no types; this is the part of its API the bench uses. */
interface OrbitStorage { readonly __storage: never }
interface OrbitModule {
  ComposedStorage: (a: OrbitStorage, b: OrbitStorage) => Promise<OrbitStorage>
  LRUStorage: (o: { size: number }) => Promise<OrbitStorage>
  LevelStorage: (o: { path: string }) => Promise<OrbitStorage>
  IPFSBlockStorage: (o: { ipfs: unknown, pin: boolean }) => Promise<OrbitStorage>
  KeyStore: (o: { path: string }) => Promise<{ close: () => Promise<void> }>
  Identities: (o: { keystore: unknown }) => Promise<{ createIdentity: (o: { id: string }) => Promise<unknown> }>
  Log: (identity: unknown, o: Record<string, unknown>) => Promise<OrbitLog>
  Entry: { verify: (identities: unknown, entry: unknown) => Promise<boolean> }
}
interface OrbitLog {
  append: (payload: string) => Promise<unknown>
  iterator: () => AsyncIterable<unknown>
  close: () => Promise<void>
}

async function orbitdb (): Promise<OrbitModule> {
  const specifier = '@orbitdb/core'
  return await import(specifier) as OrbitModule
}

/** Runs `n` calls of `fn` keeping at most `window` in flight; returns calls per second. */
async function pipelined (n: number, window: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: Math.min(window, n) }, async () => {
    while (next < n) await fn(next++)
  }))
  return n / ((performance.now() - started) / 1000)
}

async function openOurs (home: string, node: Node, init: Partial<LogInit<unknown, Effect>> = {}): Promise<{ stores: Stores, log: LevelLog<unknown, Effect> }> {
  const stores = createStores(dataPaths(home))
  await stores.start()
  const log = new LevelLog<unknown, Effect>({ blockstore: stores.blockstore, state: stores.state }, {
    author: node.identity.cid,
    signer: node.signer,
    resolveSigningKey: async () => node.signer.publicKey,
    machine: nodeMachine() as never,
    ...init
  })
  await log.start()
  return { stores, log }
}

const ourEntry = (i: number) => ({ kind: 'key.event', body: { i, data: PAYLOAD } })

async function oursAppend (home: string, node: Node, n: number, window: number, init: Partial<LogInit<unknown, Effect>> = {}): Promise<number> {
  const { stores, log } = await openOurs(home, node, init)
  const rate = await pipelined(n, window, (i) => log.append(ourEntry(i)))
  await log.stop()
  await stores.stop()
  return rate
}

async function oursReplay (home: string, node: Node, verifyBatch?: (items: readonly { publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array }[]) => Promise<boolean[]>): Promise<number> {
  const stores = createStores(dataPaths(home), { createIfMissing: false })
  await stores.start()
  const r = await audit(stores, { machine: nodeMachine(), resolveSigningKey: async () => node.signer.publicKey, ...(verifyBatch !== undefined ? { verifyBatch } : {}) })
  await stores.stop()
  if (!r.ok) throw new Error(`bench log does not verify: ${JSON.stringify(r.problem)}`)
  return r.entries / (r.ms / 1000)
}

interface Orbit {
  append (payload: string): Promise<unknown>
  iterate (verify: boolean): Promise<number>
  close (): Promise<void>
}

async function openOrbit (dir: string): Promise<Orbit> {
  const blockstore = new LevelBlockstore(join(dir, 'blocks'))
  const datastore = new LevelDatastore(join(dir, 'datastore'))
  await blockstore.open()
  await datastore.open()
  const helia = createHeliaLight({ blockstore, datastore })
  const ipfs = helia
  const { ComposedStorage, Entry, Identities, IPFSBlockStorage, KeyStore, LevelStorage, Log, LRUStorage } = await orbitdb()
  const keystore = await KeyStore({ path: join(dir, 'keystore') })
  const identities = await Identities({ keystore })
  const identity = await identities.createIdentity({ id: 'bench' })
  const open = async (): Promise<OrbitLog> => await Log(identity, {
    logId: 'bench',
    entryStorage: await ComposedStorage(await LRUStorage({ size: 1000 }), await IPFSBlockStorage({ ipfs, pin: false })),
    headsStorage: await ComposedStorage(await LRUStorage({ size: 1000 }), await LevelStorage({ path: join(dir, 'heads') })),
    indexStorage: await ComposedStorage(await LRUStorage({ size: 1000 }), await LevelStorage({ path: join(dir, 'index') }))
  })
  let log = await open()
  return {
    append: async (payload) => await log.append(payload),
    async iterate (verify) {
      // A fresh Log on the same storage (cold LRU caches), as after a restart.
      await log.close()
      log = await open()
      const started = performance.now()
      let n = 0
      for await (const entry of log.iterator()) {
        if (verify && !(await Entry.verify(identities, entry))) throw new Error('OrbitDB entry does not verify')
        n++
      }
      return n / ((performance.now() - started) / 1000)
    },
    async close () {
      await log.close()
      await keystore.close()
      await blockstore.close()
      await datastore.close()
    }
  }
}

async function orbitAppend (dir: string, n: number, window: number): Promise<{ rate: number, orbit: Orbit }> {
  const orbit = await openOrbit(dir)
  const rate = await pipelined(n, window, async (i) => await orbit.append(`${i}:${PAYLOAD}`))
  return { rate, orbit }
}

/**
 * Flushes dirty pages before a measured phase: on ext4 an fsync also waits for unrelated dirty data
 * (journal ordering), so without this a phase pays for the writes of the one before it.
 */
function settle (): void {
  execFileSync('sync')
}

export async function bench (report: Report, options?: { entries?: number, restartEntries?: number, only?: string }): Promise<void> {
  const n = options?.entries ?? 10_000
  const restartN = options?.restartEntries ?? 100_000
  const want = (name: string): boolean => options?.only === undefined || name.startsWith(options.only) || options.only.startsWith(name)
  const root = mkdtempSync(join(tmpdir(), 'milagro-bench-log-'))
  const node = await testNode('bench')
  const dir = (name: string): string => join(root, name)
  const measure = async <T>(fn: () => Promise<T>): Promise<T> => { settle(); return await fn() }
  try {
    if (want('log.append.sequential')) {
      const seqN = Math.min(n, 2_000)
      const o = await measure(async () => await orbitAppend(dir('orbit-seq'), seqN, 1))
      await o.orbit.close()
      const ours = await measure(async () => await oursAppend(dir('ours-seq'), node, seqN, 1))
      report({ name: 'log.append.sequential', value: ours, unit: 'entries/s', peer: PEER, peerValue: o.rate })
    }
    if (!want('log.append') && !want('log.replay')) return
    const orbit = await measure(async () => await orbitAppend(dir('orbit'), n, WINDOW))
    try {
      const ours = await measure(async () => await oursAppend(dir('ours'), node, n, WINDOW))
      // OrbitDB's LevelStorage never fsyncs: `no-fsync` is ours at the same durability (survives a
      // process crash, not a power cut). `sign-every-entry` is the alternative to group signing.
      const noFsync = await measure(async () => await oursAppend(dir('ours-nofsync'), node, n, WINDOW, { sync: false }))
      const every = await measure(async () => await oursAppend(dir('ours-every'), node, n, WINDOW, { signing: 'entry' }))
      const everyNoFsync = await measure(async () => await oursAppend(dir('ours-every-nofsync'), node, n, WINDOW, { signing: 'entry', sync: false }))
      report({ name: 'log.append', value: ours, unit: 'entries/s', peer: PEER, peerValue: orbit.rate })
      report({ name: 'log.append.no-fsync', value: noFsync, unit: 'entries/s', peer: PEER, peerValue: orbit.rate })
      report({ name: 'log.append.sign-every-entry', value: every, unit: 'entries/s', peer: PEER, peerValue: orbit.rate })
      report({ name: 'log.append.sign-every-entry.no-fsync', value: everyNoFsync, unit: 'entries/s', peer: PEER, peerValue: orbit.rate })

      if (want('log.replay')) {
        const load = `${PEER} load+iterate (verifies nothing)`
        const orbitLoad = await measure(async () => await orbit.orbit.iterate(false))
        const orbitVerified = await measure(async () => await orbit.orbit.iterate(true))
        const replay = await measure(async () => await oursReplay(dir('ours'), node))
        report({ name: 'log.replay', value: replay, unit: 'entries/s', peer: load, peerValue: orbitLoad })
        report({ name: 'log.replay.vs-verified', value: replay, unit: 'entries/s', peer: `${PEER} iterate + Entry.verify`, peerValue: orbitVerified })
        const everyReplay = await measure(async () => await oursReplay(dir('ours-every'), node))
        report({ name: 'log.replay.sign-every-entry', value: everyReplay, unit: 'entries/s', peer: load, peerValue: orbitLoad })
        const pool = new CryptoPool({ curves: [] })
        await pool.start()
        try {
          const pooled = await measure(async () => await oursReplay(dir('ours-every'), node, async (items) => await pool.verifyBatch(items)))
          report({ name: 'log.replay.sign-every-entry.pool', value: pooled, unit: 'entries/s', peer: load, peerValue: orbitLoad })
        } finally {
          await pool.stop()
        }
      }
    } finally {
      await orbit.orbit.close()
    }
  } finally {
    if (want('log.restart')) await restart(report, dir('restart'), node, restartN).finally(() => rmSync(root, { recursive: true, force: true }))
    else rmSync(root, { recursive: true, force: true })
  }
}

/** ms from nothing open to a log ready to serve (stores open, head verified, state rebuilt), median of 3. */
async function restart (report: Report, home: string, node: Node, entries: number): Promise<void> {
  await oursAppend(home, node, entries, 1024, { sync: false })
  settle()
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    const { stores, log } = await openOurs(home, node)
    times.push(performance.now() - started)
    if (log.head === undefined || log.head.seq < entries) throw new Error('restart bench: the log is shorter than expected')
    await log.stop()
    await stores.stop()
  }
  times.sort((a, b) => a - b)
  report({ name: 'log.restart', value: times[1] as number, unit: 'ms' })
}
