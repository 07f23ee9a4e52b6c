// The composition root: one plain function that builds a node from its home and wires every
// part, each given only the few components it needs.
//
//   stores (storage/)  blockstore + datastore + state LevelDB under <home>/data
//   log                LevelLog: the node's signed single-writer chain (the truth)
//   p2p DB             <home>/data/p2p: directory, outbox, received index, sync cursors
//   libp2p + Helia     the peer (TCP/Noise/Yamux/identify/gossipsub) and bitswap on the same blockstore
//   directory          identity documents of other nodes, verified
//   inbound/delivery   the receive path and `/milagro/envelope/1.0.0`
//   dispatcher         drains the outbox with retries
//   sync               heads exchange and batched catch-up on (re)connection
//   redial             bootstrap and known peers
//   admin socket       <home>/admin.sock
//   crypto pool        worker threads (crypto/pool) for batch signature checks of the log and the
//                      receive path, and for the M-Pin service's pairings; sized to the cores
//
// Start order is bottom-up, stop order top-down: `stop()` stops taking work (admin, network),
// lets in-flight appends finish, records the index watermark, then closes the databases. A node
// never logs secret material; keys stay in `home.keys` and in the signer.
//
// The pool's threads start at the beginning of `start()`, while the stores and the log open, and
// load an M-Pin curve on their first job for it (lazy: a node that never pairs never pays for mcl).
// The pool must be running before the network starts (so that `start()` resolves as soon after
// the node is reachable as before) and before the services; a pool that cannot start fails the
// node's start with PoolStartError (no fallback to in-thread work). Batches smaller than POOL_MIN_BATCH are
// checked in this thread (a thread hop costs more than a few Ed25519 verifications). The pool
// stops last, after the services and the log — unless it was passed in (`cryptoPool`, shared by
// several nodes of one process, e.g. a simulation): then its owner stops it.
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import type { ConnectionGater } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { CID } from 'multiformats/cid'
import {
  openEnvelope, seal, UnknownIdentityError, type CustodyState, type DecodedEnvelope, type Effect, type OpenedEnvelope, type StateMachine,
  type VerifiedIdentity
} from '../protocol/index.ts'
import { createStores, dataPaths, LevelLog, type Stores } from '../storage/index.ts'
import { CryptoPool, verifyEd25519Batch, type CryptoPoolOptions, type Ed25519BatchItem } from '../crypto/index.ts'
import { PoolStartError } from './errors.ts'
import { AdminServer } from './admin/server.ts'
import { adminHandlers } from './admin/handlers.ts'
import type { LoadedHome } from './home.ts'
import { componentLogger, silentLogger, type Logger } from './logger.ts'
import { openP2pDb, type P2pDb } from './p2p/db.ts'
import { DELIVERY_PROTOCOL, handleDelivery } from './p2p/delivery.ts'
import { Directory, type DirectoryInit } from './p2p/directory.ts'
import { Dispatcher, type DispatcherInit } from './p2p/dispatcher.ts'
import { EnvelopeLog } from './p2p/envelope-log.ts'
import { NotStartedError } from './p2p/errors.ts'
import { createPeerHelia, type PeerHelia } from './p2p/helia.ts'
import { Inbound, type InboundInit } from './p2p/inbound.ts'
import { createPeer, type Peer, type PeerInit } from './p2p/libp2p.ts'
import { Outbox } from './p2p/outbox.ts'
import { Redialer } from './p2p/redial.ts'
import { Sync } from './p2p/sync.ts'
import { NodeMetrics } from './metrics.ts'

export interface NodeOptions {
  readonly logger?: Logger
  /** Overrides `config.listen` (tests listen on /ip4/127.0.0.1/tcp/0). */
  readonly listen?: readonly string[]
  /** Overrides `config.bootstrap`. */
  readonly bootstrap?: readonly string[]
  /** Connection gater hook (fault injection in tests and simulations). */
  readonly gater?: ConnectionGater
  /** More settings of the libp2p peer (simulations: connection limits lifted on loopback). */
  readonly peer?: Pick<PeerInit, 'allow'>
  readonly heartbeatIntervalMs?: number
  readonly directory?: Partial<Omit<DirectoryInit, 'self'>>
  readonly inbound?: InboundInit
  readonly dispatcher?: DispatcherInit
  /** The reducers the log folds (default: none). */
  readonly machine?: StateMachine<unknown, Effect>
  /** Open the admin socket (default true). */
  readonly admin?: boolean
  /** fsync each log group commit (default true). */
  readonly sync?: boolean
  /** Services run on top of the node (custody, REST API): started in order once it runs, stopped in reverse before it stops. */
  readonly services?: ReadonlyArray<(node: MilagroNode) => NodeService>
  /** The node's crypto pool (default: one thread per core; each loads an M-Pin curve on its first job for it). */
  readonly pool?: Pick<CryptoPoolOptions, 'size' | 'curves' | 'maxQueue' | 'maxBatch' | 'idleTimeoutMs'>
  /**
   * A crypto pool the caller owns, used instead of one of the node's own (`pool` is then
   * ignored): several nodes in one process share one pool. The node starts it if it is not
   * running (start is idempotent) and never stops it.
   */
  readonly cryptoPool?: CryptoPool
  /**
   * Bound on each network-facing step of `stop()` (services, admin socket, dispatcher, sync,
   * directory, Helia, libp2p), in ms (default 10 s). A step that does not finish in time is logged
   * and left behind, so a stuck peer or service cannot keep the node from closing its stores.
   */
  readonly stopStepTimeoutMs?: number
}

/** Default bound on one network-facing step of `stop()`. */
export const STOP_STEP_TIMEOUT_MS = 10_000

/** Smallest signature batch handed to the pool; smaller ones are checked in this thread. */
export const POOL_MIN_BATCH = 64

/** A service built on a running node; it may use `node.parts` from `start()` until `stop()` resolves. */
export interface NodeService {
  start (options?: { signal?: AbortSignal }): Promise<void>
  stop (): Promise<void>
}

export interface ReceivedEnvelope {
  readonly envelope: DecodedEnvelope
  /** Peer id of the connection it came over. */
  readonly from: string
}

export interface NodeEvents {
  'envelope:received': [ReceivedEnvelope]
  'envelope:sent': [DecodedEnvelope]
  'envelope:delivered': [{ recipient: string, cid: CID, duplicate: boolean }]
  /** `stop()` completed (also after an admin `stop`). */
  'node:stopped': []
}

export interface SendLinks {
  readonly thread?: CID | null
  readonly prev?: readonly CID[]
}

interface Running {
  readonly stores: Stores
  readonly db: P2pDb
  readonly log: LevelLog<unknown, Effect>
  readonly libp2p: Peer
  readonly helia: PeerHelia
  readonly directory: Directory
  readonly outbox: Outbox
  readonly envelopes: EnvelopeLog
  readonly inbound: Inbound
  readonly dispatcher: Dispatcher
  readonly sync: Sync
  readonly redial: Redialer
  readonly admin: AdminServer | undefined
  readonly pool: CryptoPool
  /** False when the pool was passed in (NodeOptions.cryptoPool): the node does not stop it. */
  readonly ownsPool: boolean
}

const CODE_P2P = 0x01a5

export class MilagroNode extends EventEmitter<NodeEvents> {
  readonly home: LoadedHome
  readonly logger: Logger
  readonly #options: NodeOptions
  #running: Running | undefined
  #starting: Promise<void> | undefined
  #stopping: Promise<void> | undefined
  #startedAt = 0
  #services: NodeService[] = []

  /** Prometheus metrics (libp2p's and ours), served by the REST API at /metrics. */
  readonly metrics = new NodeMetrics()

  constructor (home: LoadedHome, options: NodeOptions = {}) {
    super()
    this.home = home
    this.#options = options
    this.logger = (options.logger ?? silentLogger()).child({ node: home.config.name })
  }

  get identity (): VerifiedIdentity {
    return this.home.keys.identity
  }

  get started (): boolean {
    return this.#running !== undefined
  }

  get startedAt (): number {
    return this.#startedAt
  }

  /** The running parts; throws NotStartedError before `start()` or after `stop()`. */
  get parts (): Running {
    if (this.#running === undefined) throw new NotStartedError('the node is not running')
    return this.#running
  }

  get libp2p (): Peer {
    return this.parts.libp2p
  }

  get directory (): Directory {
    return this.parts.directory
  }

  get log (): LevelLog<unknown, Effect> {
    return this.parts.log
  }

  async start (options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#running !== undefined) return
    this.#starting ??= this.#start(options).finally(() => { this.#starting = undefined })
    await this.#starting
  }

  async stop (): Promise<void> {
    if (this.#starting !== undefined) await this.#starting.catch(() => {})
    if (this.#running === undefined) return
    this.#stopping ??= this.#stop().finally(() => { this.#stopping = undefined })
    await this.#stopping
  }

  /**
   * Seals `body` to the identities `recipients`, appends `envelope.sent` to the log, and queues
   * it for delivery. Resolves once the envelope is in the log (not once it is delivered).
   */
  async send (recipients: readonly CID[], type: string, body: unknown, links: SendLinks = {}, options: { signal?: AbortSignal } = {}): Promise<DecodedEnvelope> {
    const p = this.parts
    const docs: VerifiedIdentity[] = []
    for (const r of recipients) {
      const entry = r.equals(this.identity.cid) ? undefined : await p.directory.get(r)
      if (r.equals(this.identity.cid)) docs.push(this.identity)
      else if (entry === undefined) throw new UnknownIdentityError(`recipient ${r.toString()} is not in the directory`)
      else docs.push(entry.identity)
    }
    const envelope = seal({ identity: this.identity, signer: this.home.keys.signer }, docs, type, body, {
      clock: p.log.head?.clock ?? 0,
      ...(links.thread === undefined ? {} : { thread: links.thread }),
      ...(links.prev === undefined ? {} : { prev: links.prev })
    })
    const { queued } = await p.envelopes.recordSent(envelope, options)
    for (const r of queued) p.dispatcher.notify(r.toString())
    this.emit('envelope:sent', envelope)
    return envelope
  }

  /** Decrypts an envelope addressed to this node (verifying it against the sender's document). */
  async open (envelope: DecodedEnvelope): Promise<OpenedEnvelope> {
    const sender = envelope.header.sender.equals(this.identity.cid) ? this.identity : (await this.parts.directory.get(envelope.header.sender))?.identity
    if (sender === undefined) throw new UnknownIdentityError(`sender ${envelope.header.sender.toString()} is not in the directory`)
    return openEnvelope(envelope, sender, { identity: this.identity.cid, encryptionSecretKey: this.home.keys.encryptionSecretKey })
  }

  /** Dials a peer; resolves with its peer id once connected. */
  async connect (addr: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    const ma = multiaddr(addr)
    const libp2p = this.parts.libp2p
    const peer = ma.getComponents().findLast((c) => c.name === 'p2p')?.value
    if (peer !== undefined) {
      // Record the address first: a dial to this peer by id already in flight (delivery, sync,
      // redial) joins with this one in libp2p's dial queue, and must find an address to use.
      await libp2p.peerStore.merge(peerIdFromString(peer), { multiaddrs: [ma.decapsulateCode(CODE_P2P)] })
    }
    const conn = await libp2p.dial(ma, { signal: options.signal ?? AbortSignal.timeout(10_000) })
    return conn.remotePeer.toString()
  }

  async #start (options: { signal?: AbortSignal }): Promise<void> {
    const { home } = this
    const o = this.#options
    const log = this.logger
    const started: Array<() => Promise<void> | void> = []
    const ownsPool = o.cryptoPool === undefined
    const pool = o.cryptoPool ?? new CryptoPool({ curves: [], ...o.pool, logger: componentLogger(log, 'pool') })
    const poolReady = pool.start(options).catch((err: unknown) => {
      throw new PoolStartError(`the crypto pool did not start: ${(err as Error).message}`, { cause: err })
    })
    poolReady.catch(() => {}) // awaited below; a failure must not go unhandled meanwhile
    if (ownsPool) started.push(async () => { await poolReady.catch(() => {}); await pool.stop() })
    const verifyBatch = async (items: readonly Ed25519BatchItem[]): Promise<boolean[]> => {
      if (items.length < POOL_MIN_BATCH) return verifyEd25519Batch(items)
      await poolReady
      return await pool.verifyBatch(items)
    }
    try {
      const stores = createStores(dataPaths(home.paths.dir))
      await stores.start()
      started.push(async () => { await stores.stop() })
      const db = await openP2pDb(join(home.paths.dataDir, 'p2p'))
      started.push(async () => { await db.level.close() })

      const libp2p = await createPeer({
        privateKey: home.keys.libp2pKey,
        listen: o.listen ?? home.config.listen,
        datastore: stores.datastore,
        ...(o.gater === undefined ? {} : { gater: o.gater }),
        ...(o.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: o.heartbeatIntervalMs }),
        ...o.peer,
        metrics: this.metrics.libp2p()
      })
      // Bitswap gives peers identity documents only, never log entries or envelopes (helia.ts).
      const helia = createPeerHelia({ libp2p, blockstore: stores.blockstore, datastore: stores.datastore, servable: async (cid) => (await directory.get(cid)) !== undefined })
      const directory = new Directory({ libp2p, blockstore: helia.blockstore, db: db.directory, logger: componentLogger(log, 'directory') }, {
        self: [home.keys.identity],
        ...(o.heartbeatIntervalMs === undefined ? {} : { announceDelayMs: 2 * o.heartbeatIntervalMs }),
        ...o.directory
      })
      const nodeLog = new LevelLog<unknown, Effect>({ blockstore: stores.blockstore, state: stores.state }, {
        author: home.keys.identity.cid,
        signer: home.keys.signer,
        resolveSigningKey: async (author) => {
          if (author.equals(home.keys.identity.cid)) return home.keys.identity.doc.signingKey
          const entry = await directory.get(author)
          if (entry === undefined) throw new UnknownIdentityError(`log author ${author.toString()} is not a known identity`)
          return entry.identity.doc.signingKey
        },
        ...(o.machine === undefined ? {} : { machine: o.machine }),
        verifyBatch,
        checkpointEvery: home.config.storage.checkpointEvery,
        ...(o.sync === undefined ? {} : { sync: o.sync }),
        auditHint: `milagro audit --home ${home.paths.dir}`
      })
      await nodeLog.start(options)
      started.push(async () => { await nodeLog.stop() })
      nodeLog.addEventListener('log:append', (e: Event) => { this.metrics.logEntries.inc({ kind: (e as CustomEvent<{ entry: { kind: string } }>).detail.entry.kind }) })

      const outbox = new Outbox(db.outbox)
      await outbox.open()
      const self = (): CID => directory.self.cid
      const envelopes = new EnvelopeLog({ log: nodeLog, blockstore: stores.blockstore, index: db.received, outbox, self })
      const repaired = await envelopes.repair(options)
      if (repaired > 0) log.info({ entries: repaired }, 're-indexed the log tail after an unclean stop')
      const inbound = new Inbound({ directory, sink: envelopes, logger: componentLogger(log, 'inbound'), self }, { verifyBatch, minBatchForPool: POOL_MIN_BATCH, ...o.inbound })
      inbound.on('envelope:received', (envelope, from) => { this.emit('envelope:received', { envelope, from }) })
      const dispatcher = new Dispatcher({ libp2p, outbox, directory, logger: componentLogger(log, 'dispatcher') }, o.dispatcher)
      dispatcher.on('delivery:acked', (d) => { this.emit('envelope:delivered', d) })
      const sync = new Sync({ libp2p, directory, dispatcher, envelopes, index: db.sync, logger: componentLogger(log, 'sync') })
      const redial = new Redialer({ libp2p, directory, logger: componentLogger(log, 'redial') }, { bootstrap: o.bootstrap ?? home.config.bootstrap })

      // The pool warmed up while the stores and the log opened; it must run before anything listens.
      await poolReady
      await libp2p.start()
      started.push(async () => { await libp2p.stop() })
      await helia.start()
      started.push(async () => { await helia.stop() })
      await handleDelivery(libp2p, inbound, componentLogger(log, 'delivery'))
      await directory.start()
      started.push(async () => { await directory.stop() })
      await sync.start()
      started.push(async () => { await sync.stop() })
      dispatcher.start()
      started.push(async () => { await dispatcher.stop() })
      redial.start()
      started.push(() => { redial.stop() })

      const running: Running = { stores, db, log: nodeLog, libp2p, helia, directory, outbox, envelopes, inbound, dispatcher, sync, redial, admin: undefined, pool, ownsPool }
      let admin: AdminServer | undefined
      if (o.admin !== false) {
        const server = new AdminServer({ socketPath: home.paths.adminSocketPath, handlers: adminHandlers(this), logger: componentLogger(log, 'admin') })
        await server.start()
        admin = server
        started.push(async () => { await server.stop() })
      }
      this.#running = { ...running, admin }
      this.#startedAt = Date.now()
      this.metrics.attach({
        logLength: () => (nodeLog.head?.seq ?? -1) + 1,
        inbound: () => inbound.stats(),
        outbox: () => ({ pending: outbox.count(), dead: outbox.deadLetters }),
        peers: () => libp2p.getPeers().length,
        poolQueue: () => pool.queueSize,
        custody: () => nodeLog.state as CustodyState
      })
      for (const make of o.services ?? []) {
        const service = make(this)
        await service.start(options)
        this.#services.push(service)
        started.push(async () => { await service.stop() })
      }
      log.info({ identity: home.keys.identity.cid.toString(), peerId: libp2p.peerId.toString(), addrs: libp2p.getMultiaddrs().map((a) => a.toString()), pending: outbox.count() }, 'node started')
    } catch (err) {
      this.#running = undefined
      this.metrics.attach(undefined)
      this.#services = []
      for (const undo of started.reverse()) {
        try {
          await undo()
        } catch (undoErr) {
          log.error({ err: undoErr }, 'cleanup after a failed start failed')
        }
      }
      throw err
    }
  }

  async #stop (): Promise<void> {
    const r = this.#running as Running
    const log = this.logger
    const boundMs = this.#options.stopStepTimeoutMs ?? STOP_STEP_TIMEOUT_MS
    const step = async (what: string, fn: () => Promise<void> | void, bounded = false): Promise<void> => {
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        const done = Promise.resolve().then(fn)
        if (!bounded) await done
        else {
          // The step goes on in the background if it overruns; its late failure is logged too.
          done.catch((err: unknown) => { if (timer === undefined) log.error({ err }, `stopping ${what} failed after its time bound`) })
          await Promise.race([done, new Promise<never>((_resolve, reject) => {
            timer = setTimeout(() => { timer = undefined; reject(new Error(`stopping ${what} did not finish within ${boundMs} ms; going on without it`)) }, boundMs)
          })])
        }
      } catch (err) {
        log.error({ err }, `stopping ${what} failed`)
      } finally {
        if (timer !== undefined) clearTimeout(timer)
      }
    }
    for (const service of this.#services.splice(0).reverse()) await step('service', async () => { await service.stop() }, true)
    await step('admin socket', async () => { await r.admin?.stop() }, true)
    r.redial.stop()
    await step('dispatcher', async () => { await r.dispatcher.stop() }, true)
    await step('sync', async () => { await r.sync.stop() }, true)
    await step('directory', async () => { await r.directory.stop() }, true)
    await step('delivery', async () => { await r.libp2p.unhandle(DELIVERY_PROTOCOL) }, true)
    await step('helia', async () => { await r.helia.stop() }, true)
    await step('libp2p', async () => { await r.libp2p.stop() }, true)
    await step('envelope index', async () => { await r.envelopes.stop() })
    await step('log', async () => { await r.log.stop() })
    await step('p2p db', async () => { await r.db.level.close() })
    await step('stores', async () => { await r.stores.stop() })
    if (r.ownsPool) await step('crypto pool', async () => { await r.pool.stop() })
    this.metrics.attach(undefined)
    this.#running = undefined
    log.info('node stopped')
    this.emit('node:stopped')
  }
}

/** Builds a node from a loaded home (not started). */
export function createNode (home: LoadedHome, options: NodeOptions = {}): MilagroNode {
  return new MilagroNode(home, options)
}
