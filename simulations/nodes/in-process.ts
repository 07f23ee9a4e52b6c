// A simulation node in the simulation's own process (a NodeHost, host.ts): the same node as a
// child process runs (sim-node.ts), started with a crypto pool shared by every node of the
// process. Modules are loaded once and the pool's threads serve every node, so a node costs only
// its own state: stores, sockets, the libp2p peer and the services' state.
//
// It cannot be killed: SIGKILL takes the whole process. A clean stop (and a start afterwards, by
// a new host on the same home) works as in a child. A node that fails on its own in here fails
// the simulation's process, so the `exited` outcome of a child does not exist.
import { loadHome } from '../../node/home.ts'
import type { CryptoPool } from '../../crypto/index.ts'
import type { ControlRequest } from './control.ts'
import { bounded, KnownIdentities, type DownHow, type NodeHost, type Ready } from './host.ts'
import { startSimNode, type SimNodeInit, type StartedSimNode } from './sim-node.ts'
import { NotKillableError } from './errors.ts'

export class InProcessNode implements NodeHost {
  readonly home: string
  readonly #known = new KnownIdentities()
  readonly pid = undefined
  readonly killable = false
  readonly #started: Promise<StartedSimNode>
  readonly #down: Array<(how: DownHow) => void> = []
  #exited = false
  #stopping: Promise<void> | undefined

  /** Starts the node of `home` on `pool` (shared, not stopped with the node). */
  constructor (home: string, init: Omit<SimNodeInit, 'sharedPool' | 'poolSize' | 'poolIdleTimeoutMs'>, pool: CryptoPool) {
    this.home = home
    this.#started = (async () => await startSimNode(await loadHome(home), { ...init, sharedPool: pool }, (cid) => { this.#known.add(cid) }))()
    this.#started.catch(() => { this.#goDown('exited') })
  }

  get identities (): ReadonlySet<string> {
    return this.#known.set
  }

  get exited (): boolean {
    return this.#exited
  }

  async ready (signal: AbortSignal): Promise<Ready> {
    return (await bounded(this.#started, 'the node to start', signal)).ready
  }

  async knows (cids: readonly string[], signal: AbortSignal): Promise<void> {
    await this.#known.all(cids, signal)
  }

  async control<T = unknown> (request: ControlRequest, signal: AbortSignal): Promise<T> {
    const started = await bounded(this.#started, 'the node to start', signal)
    if (this.#exited) throw new Error(`control ${request.cmd}: the node is stopped`)
    return await bounded(started.control(request), `the reply to ${request.cmd}`, signal) as T
  }

  async stop (): Promise<void> {
    this.#stopping ??= (async () => {
      const started = await this.#started.catch(() => undefined)
      if (started !== undefined && !this.#exited) await started.node.stop()
      this.#goDown('stopped')
    })()
    await this.#stopping
  }

  async kill (): Promise<void> {
    throw new NotKillableError('a node in the simulation\'s process cannot be killed (SIGKILL would take the whole process): run kill faults with nodes in child processes')
  }

  onDown (listener: (how: DownHow) => void): void {
    if (this.#exited) return
    this.#down.push(listener)
  }

  #goDown (how: DownHow): void {
    if (this.#exited) return
    this.#exited = true
    for (const l of this.#down.splice(0)) l(how)
    this.#known.down()
  }
}
