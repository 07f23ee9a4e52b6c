// The simulated network: each node with its own home (keys, LevelDB stores, key store) in a
// temporary directory, libp2p over loopback TCP on a port fixed at creation (so a restarted node
// comes back where its peers expect it), the REST API on a free port, driven by the runner
// through that API. Where the nodes run (`mode`):
//
//   process     one child process per node (simulations/nodes/custody-child.ts): what a real
//               deployment looks like, spreads over the cores, and the only mode where a node
//               can be SIGKILLed (kill faults). Each process loads the whole code base and its own
//               V8 heap; its crypto pool starts threads only when a task needs one.
//   in-process  every node in this process (simulations/nodes/in-process.ts), sharing the loaded
//               code and one crypto pool: a node costs only its own state. One event loop runs
//               them all, bound by one core — or `threads` of them: node i runs on thread
//               i mod threads, thread 0 being the main one and each other a worker thread
//               (simulations/nodes/threaded.ts) with its own copy of the code and its own pool.
//
// Wiring follows `milagro init --network`: peers are configured, not discovered. Each node
// bootstraps to the counterparts it shares an order with (plan.ts); the first start dials only
// lower-numbered ones so that every pair makes one connection, a restart dials them all.
//
// Fault state is kept here as *desired* state — peers a node must refuse (one set per active
// partition), a delay (the largest of the active ones) — and applied again whenever a node
// (re)starts: a node killed inside a partition comes back inside it (`deny` at start).
//
// A kill never interrupts an order's creation: creations hold the node (`hold`), and a kill
// waits for them to finish and stops new ones until the node is back. Retrying a POST that
// creates an order after a crash would create a second order, which the operator (here, the
// runner) would have no way to tell from a lost one; every other call is idempotent and simply
// retried after the restart.
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { CryptoPool } from '../../crypto/index.ts'
import { ApiClient, initHome, readApiToken, type LoadedHome } from '../../node/index.ts'
import type { NodeStats } from '../nodes/control.ts'
import type { DownHow, NodeHost, Ready } from '../nodes/host.ts'
import { InProcessNode } from '../nodes/in-process.ts'
import { NodeThread } from '../nodes/threaded.ts'
import { CustodyChild } from '../nodes/spawn.ts'
import { SimNodeError, SimOptionsError } from './errors.ts'
import { processMemory } from './memory.ts'
import { counterparts, type Plan } from './plan.ts'
import { freePorts } from './ports.ts'
import type { MemorySample } from './result.ts'

export const MODES = ['process', 'in-process'] as const
export type NodeMode = typeof MODES[number]

/**
 * Pool threads of a node process (or of the shared pool) end after this long without work: a
 * custody node needs the pool only for batches of 64 signatures or more (catch-up, a restart's
 * replay) and M-Pin work, so most of the time it holds no thread (~20 MiB each, measured).
 */
const POOL_IDLE_MS = 10_000

/**
 * V8 flags of node processes: young-generation semi-spaces of 1 MiB instead of 16. Each process
 * keeps ~20–27 MiB less resident (measured: 197 → 169 MiB RSS after start; 183 → 161 MiB RSS and
 * 128 → 105 MiB PSS at the end of 100 orders on 10 nodes), and the node processes' CPU time per
 * order did not change beyond the noise of this machine (79–94 ms with the flag, 86–87 without).
 * `--optimize-for-size` would save 8 MiB more but costs ~40 % more CPU per order: not used.
 */
export const CHILD_EXEC_ARGV = ['--max-semi-space-size=1'] as const

export interface ClusterInit {
  /** Directory for the node homes (node0, node1, …). */
  readonly dir: string
  readonly plan: Plan
  /** `services` of each home's config. */
  readonly services: ReadonlyArray<'custody' | 'safeguard' | 'mpin'>
  /** M-Pin: nodes the D-TAs issue server secrets to (they also get the beneficiary role, to ask for their own). */
  readonly mpinAuthServers?: readonly number[]
  /** Crypto pool threads per node process, or of the pool shared in process. */
  readonly poolSize: number
  /** Where the nodes run (default 'process'). */
  readonly mode?: NodeMode
  /** In process: JavaScript threads the nodes are spread over, the main one included (default 1). */
  readonly threads?: number
  /** Bound on one node's start (default 120 s: a loaded machine can take that long to load the code). */
  readonly startTimeoutMs?: number
  readonly onEvent?: (event: NodeEvent) => void
}

export interface NodeEvent {
  readonly node: number
  readonly what: 'up' | 'down'
  /** For 'down': killed (SIGKILL), stopped (SIGTERM), or exited on its own. */
  readonly how?: DownHow
}

export class SimNode {
  readonly index: number
  readonly home: LoadedHome
  readonly port: number
  /** Where the node runs now; undefined while it is down. */
  host: NodeHost | undefined
  api: ApiClient | undefined
  ready: Ready | undefined
  /** Times the node has come up. */
  epoch = 0
  holds = 0
  /** A kill or stop is waiting for the holds to end, or the node is down. */
  blocked = false
  readonly #waiters = new Set<() => void>()

  constructor (index: number, home: LoadedHome, port: number) {
    this.index = index
    this.home = home
    this.port = port
  }

  get up (): boolean {
    return this.api !== undefined && !this.blocked
  }

  get identity (): string { return this.home.keys.identity.cid.toString() }
  get peerId (): string { return this.home.keys.identity.doc.peerId }
  get listen (): string { return `/ip4/127.0.0.1/tcp/${this.port}` }
  get addr (): string { return `${this.listen}/p2p/${this.peerId}` }

  changed (): void {
    for (const w of [...this.#waiters]) w()
  }

  /** Resolves at the next change of this node (up, down, hold released), or when `signal` aborts. */
  async nextChange (signal: AbortSignal, maxMs = 1_000): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = (): void => { clearTimeout(timer); this.#waiters.delete(done); signal.removeEventListener('abort', done); resolve() }
      const timer = setTimeout(done, maxMs)
      this.#waiters.add(done)
      signal.addEventListener('abort', done, { once: true })
    })
  }
}

export class Cluster {
  readonly nodes: readonly SimNode[]
  readonly #init: ClusterInit
  readonly #peers: ReadonlyArray<ReadonlySet<number>>
  readonly #denied: Array<Map<number, readonly string[]>>
  readonly #delays: Array<Map<number, number>>
  /** In process: the pool the main thread's nodes share, created by startAll, stopped by stopAll. */
  #pool: CryptoPool | undefined
  /** In process: the worker threads running nodes (thread k + 1 of `threads`). */
  #threads: NodeThread[] = []

  private constructor (init: ClusterInit, nodes: SimNode[]) {
    this.#init = init
    this.nodes = nodes
    this.#peers = counterparts(init.plan)
    this.#denied = nodes.map(() => new Map())
    this.#delays = nodes.map(() => new Map())
  }

  get mode (): NodeMode {
    return this.#init.mode ?? 'process'
  }

  /** Creates the homes (keys, identity, config, API token); nothing runs yet. */
  static async create (init: ClusterInit): Promise<Cluster> {
    const n = init.plan.roles.length
    const ports = await freePorts(n)
    const servers = new Set(init.mpinAuthServers ?? [])
    const homes = await Promise.all(init.plan.roles.map(async (role, i) => await initHome(join(init.dir, `node${i}`), {
      name: `node${i}`,
      roles: servers.has(i) && role !== 'beneficiary' ? [role, 'beneficiary'] : [role],
      services: [...init.services],
      listen: [`/ip4/127.0.0.1/tcp/${ports[i] as number}`]
    })))
    return new Cluster(init, homes.map((h, i) => new SimNode(i, h, ports[i] as number)))
  }

  /** Whether node i is party to at least one order of the plan. */
  isParty (i: number): boolean {
    return (this.#peers[i]?.size ?? 0) > 0
  }

  node (i: number): SimNode {
    const n = this.nodes[i]
    if (n === undefined) throw new RangeError(`no node ${i}`)
    return n
  }

  /**
   * Starts every node and waits until each knows the identities of its counterparts. Nodes start
   * in index order, a few at a time (each start is CPU-bound: loading the code), so the ones a
   * node dials at start are mostly up already and no start waits behind dozens of others.
   */
  async startAll (signal: AbortSignal): Promise<void> {
    if (this.mode === 'in-process') {
      this.#pool ??= new CryptoPool({ size: this.#init.poolSize, curves: [], idleTimeoutMs: POOL_IDLE_MS })
      const threads = Math.min(this.nodes.length, Math.max(1, this.#init.threads ?? 1))
      while (this.#threads.length < threads - 1) this.#threads.push(new NodeThread({ poolSize: this.#init.poolSize, poolIdleTimeoutMs: POOL_IDLE_MS }))
    }
    let next = 0
    const lanes = Math.max(2, 2 * availableParallelism())
    let failure: unknown
    await Promise.allSettled(Array.from({ length: Math.min(lanes, this.nodes.length) }, async () => {
      while (next < this.nodes.length && failure === undefined) {
        try {
          await this.#spawn(this.node(next++), false, signal)
        } catch (err) {
          failure ??= err // stop starting more; the caller stops the ones that run
        }
      }
    }))
    if (failure !== undefined) throw failure
    // A dial at start can fail (the peer was still loading; the redialer retries with a growing
    // backoff), and the identity hello of a new connection can time out on a loaded machine (a
    // dial to a peer already connected does not repeat it). Every few seconds, each node asks
    // the peers it still does not know for their identity directly.
    const introduced = Promise.all(this.nodes.map(async (n) => {
      const peers = [...(this.#peers[n.index] ?? [])].map((j) => this.node(j).identity)
      await n.host?.knows(peers, signal)
    }))
    let done = false
    void introduced.finally(() => { done = true }).catch(() => {})
    while (!done && !signal.aborted) {
      await Promise.race([introduced, sleep(3_000)]).catch(() => {})
      if (done || signal.aborted) break
      await Promise.all(this.nodes.map(async (n) => {
        for (const j of this.#peers[n.index] ?? []) {
          const peer = this.node(j)
          if (n.host?.identities.has(peer.identity) === false) await this.#control(n, { cmd: 'introduce', addr: peer.addr }, signal).catch(() => {})
        }
      }))
    }
    await introduced
  }

  async #spawn (n: SimNode, restart: boolean, signal: AbortSignal): Promise<void> {
    const peers = [...(this.#peers[n.index] ?? [])].filter((j) => restart || j < n.index)
    const denied = this.deniedPeers(n.index)
    const bootstrap = peers.map((j) => this.node(j).addr)
    const authServers = (this.#init.mpinAuthServers ?? []).map((j) => this.node(j).identity)
    const init = { fast: true, listen: [n.listen], bootstrap, deny: denied, mpinAuthServers: authServers }
    const thread = this.#threads.length === 0 ? undefined : this.#threads[n.index % (this.#threads.length + 1) - 1]
    const host: NodeHost = this.#pool !== undefined
      ? thread !== undefined ? thread.start(n.home.paths.dir, init) : new InProcessNode(n.home.paths.dir, init, this.#pool)
      : new CustodyChild(n.home.paths.dir, [
        '--fast', '--listen', n.listen, '--pool-size', String(this.#init.poolSize), '--pool-idle-ms', String(POOL_IDLE_MS),
        ...bootstrap.flatMap((a) => ['--bootstrap', a]),
        ...denied.flatMap((p) => ['--deny', p]),
        ...authServers.flatMap((c) => ['--mpin-auth-server', c])
      ], { execArgv: CHILD_EXEC_ARGV })
    n.host = host
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(this.#init.startTimeoutMs ?? 120_000)])
    let ready: Ready
    try {
      ready = await host.ready(bounded)
    } catch (err) {
      if (host.killable) await host.kill()
      else await host.stop()
      if (n.host === host) n.host = undefined
      throw new SimNodeError(`node${n.index} did not start: ${(err as Error).message}`, { cause: err })
    }
    // Partitions and delays may have started or healed while the node was starting: apply the
    // state as it is now, until it no longer changes under us.
    let applied = { peers: denied.join(), delay: 0 }
    for (;;) {
      const want = { peers: this.deniedPeers(n.index).join(), delay: this.delayOf(n.index) }
      if (want.peers === applied.peers && want.delay === applied.delay) break
      const peers = this.deniedPeers(n.index)
      await host.control(peers.length === 0 ? { cmd: 'ungate' } : { cmd: 'gate', peers }, bounded)
      await host.control({ cmd: 'delay', ms: want.delay }, bounded)
      applied = want
    }
    n.ready = ready
    n.api = new ApiClient({ url: ready.api, token: await readApiToken(n.home.paths.apiTokenPath) })
    n.epoch++
    n.blocked = false
    host.onDown((how) => {
      if (n.host !== host) return
      n.api = undefined
      n.host = undefined
      n.changed()
      this.#init.onEvent?.({ node: n.index, what: 'down', how })
    })
    n.changed()
    this.#init.onEvent?.({ node: n.index, what: 'up' })
  }

  /** Starts a node that is down again, on the same home and port. */
  async restart (i: number, signal: AbortSignal): Promise<void> {
    const n = this.node(i)
    if (n.host !== undefined) throw new SimNodeError(`node${i} is still running`)
    await this.#spawn(n, true, signal)
  }

  /**
   * Takes a node down: SIGKILL (a crash) or SIGTERM (a clean stop); waits for running creations
   * first. A node in this process cannot be killed (SimOptionsError: the runner refuses kill
   * faults in process before it starts anything).
   */
  async down (i: number, how: 'SIGKILL' | 'SIGTERM', signal: AbortSignal): Promise<void> {
    const n = this.node(i)
    if (how === 'SIGKILL' && this.mode === 'in-process') throw new SimOptionsError('kill faults need nodes in child processes (mode process)')
    n.blocked = true
    while (n.holds > 0 && !signal.aborted) await n.nextChange(signal)
    const host = n.host
    if (host === undefined) return
    if (how === 'SIGTERM') await host.stop(AbortSignal.timeout(20_000))
    else await host.kill()
  }

  /**
   * Runs `fn` on a node's API while holding it up (no kill in between); waits for the node to be
   * up first. Used for calls that must not be repeated (order creation).
   */
  async hold<T> (i: number, fn: (api: ApiClient) => Promise<T>, signal: AbortSignal): Promise<T> {
    const n = this.node(i)
    while (!n.up) {
      signal.throwIfAborted()
      await n.nextChange(signal)
    }
    n.holds++
    try {
      return await fn(n.api as ApiClient)
    } finally {
      n.holds--
      n.changed()
    }
  }

  /** Peers node i refuses under the active partitions. */
  deniedPeers (i: number): string[] {
    return [...new Set([...(this.#denied[i]?.values() ?? [])].flat())]
  }

  delayOf (i: number): number {
    return Math.max(0, ...(this.#delays[i]?.values() ?? []))
  }

  /** Partition `fault`: nodes of `side` and the others refuse each other. */
  async partition (fault: number, side: readonly number[], signal: AbortSignal): Promise<void> {
    const inside = new Set(side)
    const a = this.nodes.filter((n) => inside.has(n.index))
    const b = this.nodes.filter((n) => !inside.has(n.index))
    for (const n of a) this.#denied[n.index]?.set(fault, b.map((m) => m.peerId))
    for (const n of b) this.#denied[n.index]?.set(fault, a.map((m) => m.peerId))
    await this.#applyGates(signal)
  }

  async heal (fault: number, signal: AbortSignal): Promise<void> {
    for (const d of this.#denied) d.delete(fault)
    await this.#applyGates(signal)
  }

  async #applyGates (signal: AbortSignal): Promise<void> {
    await Promise.all(this.nodes.map(async (n) => {
      const peers = this.deniedPeers(n.index)
      await this.#control(n, peers.length === 0 ? { cmd: 'ungate' } : { cmd: 'gate', peers }, signal)
    }))
  }

  async setDelay (fault: number, i: number, ms: number | undefined, signal: AbortSignal): Promise<void> {
    if (ms === undefined) this.#delays[i]?.delete(fault)
    else this.#delays[i]?.set(fault, ms)
    await this.#control(this.node(i), { cmd: 'delay', ms: this.delayOf(i) }, signal)
  }

  /** Test hook: node i loses the next envelope of `type` it receives (acknowledged, never recorded). */
  async dropNext (i: number, type: string, signal: AbortSignal): Promise<void> {
    await this.#control(this.node(i), { cmd: 'drop', type }, signal)
  }

  async stats (i: number, signal: AbortSignal): Promise<NodeStats | undefined> {
    return await this.#control(this.node(i), { cmd: 'stats' }, signal) as NodeStats | undefined
  }

  /** A control request to a running node; a node that is down gets its state at restart instead. */
  async #control (n: SimNode, request: Parameters<NodeHost['control']>[0], signal: AbortSignal): Promise<unknown> {
    const host = n.host
    if (host === undefined || host.exited || n.api === undefined) return undefined
    try {
      return await host.control(request, signal)
    } catch (err) {
      if (host.exited || n.host !== host) return undefined // went down meanwhile: restart applies the state
      throw err
    }
  }

  /**
   * Memory of the running nodes now: in child processes, the sum and the largest of their RSS
   * and the sum of their PSS; in process, this process's RSS and PSS (the simulation's own
   * driving included) with the number of nodes it runs.
   */
  async memory (t: number): Promise<MemorySample | undefined> {
    const running = this.nodes.filter((n) => n.host !== undefined && !n.host.exited)
    if (running.length === 0) return undefined
    if (this.mode === 'in-process') {
      const m = await processMemory('self')
      return m === undefined ? undefined : { t, nodes: running.length, rss: m.rss, maxRss: m.rss, pss: m.pss ?? null }
    }
    const all = (await Promise.all(running.map(async (n) => n.host?.pid === undefined ? undefined : await processMemory(n.host.pid))))
      .filter((m) => m !== undefined)
    if (all.length === 0) return undefined
    return {
      t,
      nodes: all.length,
      rss: all.reduce((a, m) => a + m.rss, 0),
      maxRss: Math.max(...all.map((m) => m.rss)),
      pss: all.every((m) => m.pss !== undefined) ? all.reduce((a, m) => a + (m.pss as number), 0) : null
    }
  }

  /** Stops every running node cleanly (kills a child that does not stop within 20 s), then the shared pools and the node threads. */
  async stopAll (): Promise<void> {
    await Promise.all(this.nodes.map(async (n) => {
      n.blocked = true
      await n.host?.stop(AbortSignal.timeout(20_000))
    }))
    const pool = this.#pool
    const threads = this.#threads
    this.#pool = undefined
    this.#threads = []
    await Promise.all([pool?.stop(), ...threads.map(async (t) => { await t.close() })])
  }
}
