// The peer figure for catch-up sync: OrbitDB (@orbitdb/core 4) replicating an events database
// of `n` entries to a fresh peer, on the same stack as ours (libp2p 3 over loopback TCP with Noise
// and Yamux, @libp2p/gossipsub, Helia 7 with bitswap over LevelDB block and data stores on disk).
//
// OrbitDB 4 is built for libp2p 3 and Helia 7: it runs on our Helia as it is, no adapter.
// Writer: appends `n` entries (~200-byte payloads) with no peer connected. Reader: a new OrbitDB
// on a new Helia connects and opens the database by address; timed from `open` until its log
// holds all `n` entries — OrbitDB's sync exchanges heads, then walks the log back block by block
// over bitswap.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { LevelBlockstore } from 'blockstore-level'
import { LevelDatastore } from 'datastore-level'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { createPeerHelia, type PeerHelia } from '../../node/p2p/helia.ts'
import type { Peer } from '../../node/p2p/libp2p.ts'

export const ORBITDB_PEER = 'OrbitDB 4.0.0 (bitswap)'

interface OrbitDb {
  open: (address: string, options?: Record<string, unknown>) => Promise<OrbitDatabase>
  stop: () => Promise<void>
}
interface OrbitDatabase {
  address: string
  add: (value: unknown) => Promise<string>
  events: { on: (e: string, f: () => void) => void, off: (e: string, f: () => void) => void }
  log: { values: () => Promise<unknown[]> }
  close: () => Promise<void>
}
interface OrbitModule { createOrbitDB: (o: { ipfs: unknown, directory: string }) => Promise<OrbitDb> }

interface Side { dir: string, libp2p: Peer, helia: PeerHelia, blockstore: LevelBlockstore, datastore: LevelDatastore, orbit: OrbitDb }

async function side (name: string, orbitdb: OrbitModule): Promise<Side> {
  const dir = await mkdtemp(join(tmpdir(), `orbitdb-${name}-`))
  const blockstore = new LevelBlockstore(join(dir, 'blocks'))
  const datastore = new LevelDatastore(join(dir, 'datastore'))
  await blockstore.open()
  await datastore.open()
  // Our node's transport stack, but gossipsub open to any topic (OrbitDB uses one per database).
  const libp2p: Peer = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: gossipsub({ emitSelf: false, allowPublishToZeroTopicPeers: true, heartbeatInterval: 100 }) }
  })
  // OrbitDB replicates its log over bitswap: every block is served.
  const helia = createPeerHelia({ libp2p, blockstore, datastore, servable: async () => true })
  await libp2p.start()
  await helia.start()
  const orbit = await orbitdb.createOrbitDB({ ipfs: helia, directory: join(dir, 'orbitdb') })
  return { dir, libp2p, helia, blockstore, datastore, orbit }
}

async function close (s: Side | undefined): Promise<void> {
  if (s === undefined) return
  await s.orbit.stop()
  await s.helia.stop()
  await s.libp2p.stop()
  await s.blockstore.close()
  await s.datastore.close()
  await rm(s.dir, { recursive: true, force: true })
}

/** Entries/s for a fresh OrbitDB peer to replicate an `n`-entry log; undefined if OrbitDB cannot run here. */
export async function orbitdbReplication (n: number, options: { timeoutMs?: number } = {}): Promise<number | undefined> {
  const specifier = '@orbitdb/core'
  const orbitdb = await import(specifier) as OrbitModule
  let writer: Side | undefined
  let reader: Side | undefined
  try {
    const debug = process.env.ORBIT_DEBUG !== undefined ? (m: string) => { console.error('orbit:', m) } : () => {}
    writer = await side('writer', orbitdb)
    debug('writer up')
    const db = await writer.orbit.open('milagro-bench-replication', { type: 'events' })
    debug('db open')
    const payload = 'x'.repeat(200)
    for (let i = 0; i < n; i++) { await db.add({ i, payload }); debug(`added ${i}`) }
    reader = await side('reader', orbitdb)
    const addr = writer.libp2p.getMultiaddrs()[0]
    if (addr === undefined) throw new Error('the OrbitDB writer has no address')
    await reader.libp2p.dial(addr)
    debug('dialled')
    const started = performance.now()
    const copy = await reader.orbit.open(db.address)
    debug('reader opened')
    if (process.env.ORBIT_DEBUG !== undefined) {
      for (const e of ['join', 'error', 'update', 'leave']) (copy.events as unknown as { on: (e: string, f: (...a: unknown[]) => void) => void }).on(e, (...a: unknown[]) => { console.error('reader', e, String(a[0]).slice(0, 200)) })
      for (const e of ['join', 'error', 'leave']) (db.events as unknown as { on: (e: string, f: (...a: unknown[]) => void) => void }).on(e, (...a: unknown[]) => { console.error('writer', e, String(a[0]).slice(0, 200)) })
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`OrbitDB did not replicate ${n} entries within ${options.timeoutMs ?? 240_000} ms`)) }, options.timeoutMs ?? 240_000)
      let checking = false
      let again = false
      const check = (): void => {
        if (checking) { again = true; return }
        checking = true
        again = false
        void copy.log.values().then((values) => {
          checking = false
          if (values.length >= n) { clearTimeout(timer); copy.events.off('update', check); resolve() } else if (again) check()
        }, reject)
      }
      copy.events.on('update', check)
      check()
    })
    return n / ((performance.now() - started) / 1000)
  } finally {
    await close(reader)
    await close(writer)
  }
}
