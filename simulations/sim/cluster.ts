// The simulated network: one node per child process (simulations/nodes/custody-child.ts), each
// with its own home (keys, LevelDB stores, key store) in a temporary directory, libp2p over
// loopback TCP on a port fixed at creation (so a restarted node comes back where its peers
// expect it), the REST API on a free port, driven by the runner through that API.
//
// Wiring follows `milagro init --network`: peers are configured, not discovered. Each node
// bootstraps to the counterparts it shares an order with (plan.ts); the first start dials only
// lower-numbered ones so that every pair makes one connection, a restart dials them all.
//
// Fault state is kept here as *desired* state — peers a node must refuse (one set per active
// partition), a delay (the largest of the active ones) — and applied again whenever a node
// (re)starts: a node killed inside a partition comes back inside it (`--deny` at spawn).
//
// A kill never interrupts an order's creation: creations hold the node (`hold`), and a kill
// waits for them to finish and stops new ones until the node is back. Retrying a POST that
// creates an order after a crash would create a second order, which the operator (here, the
// runner) would have no way to tell from a lost one; every other call is idempotent and simply
// retried after the restart.
import { createServer } from 'node:net'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { ApiClient, initHome, readApiToken, type LoadedHome } from '../../node/index.ts'
import { CustodyChild, type Ready } from '../nodes/spawn.ts'
import type { NodeStats } from '../nodes/control.ts'
import { SimNodeError } from './errors.ts'
import { counterparts, type Plan } from './plan.ts'

export interface ClusterInit {
  /** Directory for the node homes (node0, node1, …). */
  readonly dir: string
  readonly plan: Plan
  /** `services` of each home's config. */
  readonly services: ReadonlyArray<'custody' | 'safeguard' | 'mpin'>
  /** M-Pin: nodes the D-TAs issue server secrets to (they also get the beneficiary role, to ask for their own). */
  readonly mpinAuthServers?: readonly number[]
  /** Crypto pool threads per node. */
  readonly poolSize: number
  /** Bound on one node's start (default 120 s: a loaded machine can take that long to load the code). */
  readonly startTimeoutMs?: number
  readonly onEvent?: (event: NodeEvent) => void
}

export interface NodeEvent {
  readonly node: number
  readonly what: 'up' | 'down'
  /** For 'down': killed (SIGKILL), stopped (SIGTERM), or exited on its own. */
  readonly how?: 'killed' | 'stopped' | 'exited'
}

export class SimNode {
  readonly index: number
  readonly home: LoadedHome
  readonly port: number
  child: CustodyChild | undefined
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

/** The kernel's range for ephemeral ports (outgoing connections, listens on port 0). */
async function ephemeralRange (): Promise<[number, number]> {
  const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '')
  const m = /^(\d+)\s+(\d+)/.exec(text)
  return m === null ? [32_768, 60_999] : [Number(m[1]), Number(m[2])]
}

async function bindable (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => { resolve(false) })
    s.listen(port, '127.0.0.1', () => { s.close(() => { resolve(true) }) })
  })
}

/**
 * `n` free loopback ports below the ephemeral range. A port taken from the ephemeral range and
 * released could be handed to any outgoing connection before its node binds it (seen with 80
 * nodes: EADDRINUSE); below the range only an explicit bind can take it.
 */
async function freePorts (n: number): Promise<number[]> {
  const [low] = await ephemeralRange()
  const top = Math.min(low, 32_768) - 1
  const bottom = Math.max(1_024, top - 12_000)
  // From a random point of the range (two simulations at once rarely meet), wrapping around.
  const span = top - bottom + 1
  const start = Math.floor(Math.random() * span)
  const ports: number[] = []
  for (let k = 0; ports.length < n && k < span; k++) {
    const port = bottom + ((start + k) % span)
    if (await bindable(port)) ports.push(port)
  }
  if (ports.length < n) throw new SimNodeError(`found only ${ports.length} free ports in ${bottom}..${top} for ${n} nodes`)
  return ports
}

export class Cluster {
  readonly nodes: readonly SimNode[]
  readonly #init: ClusterInit
  readonly #peers: ReadonlyArray<ReadonlySet<number>>
  readonly #denied: Array<Map<number, readonly string[]>>
  readonly #delays: Array<Map<number, number>>

  private constructor (init: ClusterInit, nodes: SimNode[]) {
    this.#init = init
    this.nodes = nodes
    this.#peers = counterparts(init.plan)
    this.#denied = nodes.map(() => new Map())
    this.#delays = nodes.map(() => new Map())
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
    // A dial at start can fail (the peer was still loading); the redialer retries with a growing
    // backoff. Dial what is still missing every few seconds instead of waiting that out.
    const introduced = Promise.all(this.nodes.map(async (n) => {
      const peers = [...(this.#peers[n.index] ?? [])].map((j) => this.node(j).identity)
      await n.child?.knows(peers, signal)
    }))
    let done = false
    void introduced.finally(() => { done = true }).catch(() => {})
    while (!done && !signal.aborted) {
      await Promise.race([introduced, sleep(3_000)]).catch(() => {})
      if (done || signal.aborted) break
      await Promise.all(this.nodes.map(async (n) => {
        for (const j of this.#peers[n.index] ?? []) {
          const peer = this.node(j)
          if (j < n.index && n.child?.identities.has(peer.identity) === false) await this.#control(n, { cmd: 'dial', addr: peer.addr }, signal).catch(() => {})
        }
      }))
    }
    await introduced
  }

  async #spawn (n: SimNode, restart: boolean, signal: AbortSignal): Promise<void> {
    const peers = [...(this.#peers[n.index] ?? [])].filter((j) => restart || j < n.index)
    const denied = this.deniedPeers(n.index)
    const child = new CustodyChild(n.home.paths.dir, [
      '--fast', '--listen', n.listen, '--pool-size', String(this.#init.poolSize),
      ...peers.flatMap((j) => ['--bootstrap', this.node(j).addr]),
      ...denied.flatMap((p) => ['--deny', p]),
      ...(this.#init.mpinAuthServers ?? []).flatMap((j) => ['--mpin-auth-server', this.node(j).identity])
    ])
    n.child = child
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(this.#init.startTimeoutMs ?? 120_000)])
    let ready: Ready
    try {
      ready = await child.next<Ready>('ready', bounded)
    } catch (err) {
      await child.kill('SIGKILL')
      throw new SimNodeError(`node${n.index} did not start: ${(err as Error).message}`, { cause: err })
    }
    // Partitions and delays may have started or healed while the node was starting: apply the
    // state as it is now, until it no longer changes under us.
    let applied = { peers: denied.join(), delay: 0 }
    for (;;) {
      const want = { peers: this.deniedPeers(n.index).join(), delay: this.delayOf(n.index) }
      if (want.peers === applied.peers && want.delay === applied.delay) break
      const peers = this.deniedPeers(n.index)
      await child.control(peers.length === 0 ? { cmd: 'ungate' } : { cmd: 'gate', peers }, bounded)
      await child.control({ cmd: 'delay', ms: want.delay }, bounded)
      applied = want
    }
    n.ready = ready
    n.api = new ApiClient({ url: ready.api, token: await readApiToken(n.home.paths.apiTokenPath) })
    n.epoch++
    n.blocked = false
    child.process.once('exit', (code, sig) => {
      if (n.child !== child) return
      n.api = undefined
      n.child = undefined
      n.changed()
      this.#init.onEvent?.({ node: n.index, what: 'down', how: sig === 'SIGKILL' ? 'killed' : sig === 'SIGTERM' || code === 0 ? 'stopped' : 'exited' })
    })
    n.changed()
    this.#init.onEvent?.({ node: n.index, what: 'up' })
  }

  /** Starts a node that is down again, on the same home and port. */
  async restart (i: number, signal: AbortSignal): Promise<void> {
    const n = this.node(i)
    if (n.child !== undefined) throw new SimNodeError(`node${i} is still running`)
    await this.#spawn(n, true, signal)
  }

  /** Takes a node down: SIGKILL (a crash) or SIGTERM (a clean stop); waits for running creations first. */
  async down (i: number, how: 'SIGKILL' | 'SIGTERM', signal: AbortSignal): Promise<void> {
    const n = this.node(i)
    n.blocked = true
    while (n.holds > 0 && !signal.aborted) await n.nextChange(signal)
    const child = n.child
    if (child === undefined) return
    if (how === 'SIGTERM') await child.stop(AbortSignal.timeout(20_000))
    else await child.kill('SIGKILL')
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
  async #control (n: SimNode, request: Parameters<CustodyChild['control']>[0], signal: AbortSignal): Promise<unknown> {
    const child = n.child
    if (child === undefined || child.exited || n.api === undefined) return undefined
    try {
      return await child.control(request, signal)
    } catch (err) {
      if (child.exited || n.child !== child) return undefined // went down meanwhile: restart applies the state
      throw err
    }
  }

  /** Resident and proportional set sizes (bytes) of the running node processes, by node. */
  async memory (): Promise<Array<{ node: number, rss: number, pss: number | undefined }>> {
    const out: Array<{ node: number, rss: number, pss: number | undefined }> = []
    await Promise.all(this.nodes.map(async (n) => {
      const pid = n.child?.process.pid
      if (pid === undefined || n.child?.exited === true) return
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined)
      const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => undefined)
      const kib = (text: string | undefined, field: string): number | undefined => {
        const m = text === undefined ? null : new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
        return m === null ? undefined : Number(m[1]) * 1024
      }
      const rss = kib(status, 'VmRSS')
      if (rss !== undefined) out.push({ node: n.index, rss, pss: kib(rollup, 'Pss') })
    }))
    return out.sort((a, b) => a.node - b.node)
  }

  /** Stops every running node cleanly (kills what does not stop within 20 s). */
  async stopAll (): Promise<void> {
    await Promise.all(this.nodes.map(async (n) => {
      n.blocked = true
      await n.child?.stop(AbortSignal.timeout(20_000))
    }))
  }
}
