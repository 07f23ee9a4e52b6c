// Nodes in a worker thread of the simulation's process (NodeHost, host.ts): a NodeThread runs
// thread-worker.ts, which starts and stops nodes on request and serves their control requests.
// Nodes in one thread share its loaded code and its crypto pool, as in-process.ts's nodes share
// the main thread's; a few threads let the nodes of one process use more than one core (their
// JavaScript otherwise runs on the main thread alone). A thread costs its own copy of the code
// (an isolate, the modules, ~100 MiB).
//
// Like any node in this process, a threaded node cannot be killed. If its thread dies, every node
// on it goes down as 'exited'.
import { Worker } from 'node:worker_threads'
import type { ControlRequest } from './control.ts'
import { NotKillableError } from './errors.ts'
import { bounded, KnownIdentities, type DownHow, type NodeHost, type Ready } from './host.ts'
import type { FromThread, ThreadData, ThreadInit, ToThread } from './thread-worker.ts'

const ENTRY = new URL('./thread-worker.ts', import.meta.url)

export class NodeThread {
  readonly #worker: Worker
  readonly #hosts = new Map<number, ThreadedNode>()
  readonly #replies = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  #ids = 0
  #rids = 0
  #gone: string | undefined
  readonly #exited: Promise<void>
  #closed: (() => void) | undefined

  constructor (data: ThreadData) {
    this.#worker = new Worker(ENTRY, { workerData: data })
    this.#worker.on('message', (msg: FromThread) => { this.#receive(msg) })
    this.#worker.on('error', (err) => { this.#fail(`the node thread failed: ${err.name}: ${err.message}`) })
    this.#exited = new Promise((resolve) => {
      this.#worker.once('exit', (code) => { this.#fail(`the node thread exited (code ${code})`); resolve() })
    })
  }

  /** Starts the node of `home` in this thread. */
  start (home: string, init: ThreadInit): ThreadedNode {
    const id = ++this.#ids
    const host = new ThreadedNode(this, id, home)
    this.#hosts.set(id, host)
    if (this.#gone !== undefined) host.failed(this.#gone)
    else this.post({ op: 'start', id, home, init })
    return host
  }

  /** Stops every node still on the thread, its pool, then the thread. */
  async close (): Promise<void> {
    if (this.#gone === undefined) {
      const closed = new Promise<void>((resolve) => { this.#closed = resolve })
      this.post({ op: 'close' })
      await Promise.race([closed, this.#exited])
    }
    await this.#worker.terminate()
    await this.#exited
  }

  post (msg: ToThread): void {
    this.#worker.postMessage(msg)
  }

  async request (id: number, request: ControlRequest): Promise<unknown> {
    if (this.#gone !== undefined) throw new Error(`control ${request.cmd}: ${this.#gone}`)
    const rid = ++this.#rids
    return await new Promise((resolve, reject) => {
      this.#replies.set(rid, { resolve, reject })
      this.post({ op: 'control', id, rid, request })
    })
  }

  #receive (msg: FromThread): void {
    switch (msg.ev) {
      case 'reply': {
        const r = this.#replies.get(msg.rid)
        this.#replies.delete(msg.rid)
        if (msg.ok) r?.resolve(msg.result)
        else r?.reject(new Error(`control failed in the node thread: ${msg.error ?? ''}`))
        return
      }
      case 'closed':
        this.#closed?.()
        return
      default: {
        const host = this.#hosts.get(msg.id)
        if (host === undefined) return
        if (msg.ev === 'ready') host.started(msg.ready)
        else if (msg.ev === 'identity') host.learned(msg.cid)
        else if (msg.ev === 'failed') { this.#hosts.delete(msg.id); host.failed(msg.error) } else { this.#hosts.delete(msg.id); host.stopped() }
      }
    }
  }

  #fail (why: string): void {
    if (this.#gone !== undefined) return
    this.#gone = why
    for (const r of this.#replies.values()) r.reject(new Error(why))
    this.#replies.clear()
    for (const host of this.#hosts.values()) host.failed(why)
    this.#hosts.clear()
  }
}

export class ThreadedNode implements NodeHost {
  readonly home: string
  readonly pid = undefined
  readonly killable = false
  readonly #thread: NodeThread
  readonly #id: number
  readonly #known = new KnownIdentities()
  readonly #ready: Promise<Ready>
  #resolveReady: ((r: Ready) => void) | undefined
  #rejectReady: ((e: Error) => void) | undefined
  readonly #down: Array<(how: DownHow) => void> = []
  #exited = false
  #stopped: Promise<void> | undefined
  #onStopped: (() => void) | undefined

  constructor (thread: NodeThread, id: number, home: string) {
    this.#thread = thread
    this.#id = id
    this.home = home
    this.#ready = new Promise((resolve, reject) => { this.#resolveReady = resolve; this.#rejectReady = reject })
    this.#ready.catch(() => {})
  }

  get identities (): ReadonlySet<string> {
    return this.#known.set
  }

  get exited (): boolean {
    return this.#exited
  }

  async ready (signal: AbortSignal): Promise<Ready> {
    return await bounded(this.#ready, 'the node to start', signal)
  }

  async knows (cids: readonly string[], signal: AbortSignal): Promise<void> {
    await this.#known.all(cids, signal)
  }

  async control<T = unknown> (request: ControlRequest, signal: AbortSignal): Promise<T> {
    await bounded(this.#ready, 'the node to start', signal)
    if (this.#exited) throw new Error(`control ${request.cmd}: the node is stopped`)
    return await bounded(this.#thread.request(this.#id, request), `the reply to ${request.cmd}`, signal) as T
  }

  async stop (): Promise<void> {
    if (this.#exited) return
    this.#stopped ??= new Promise<void>((resolve) => {
      this.#onStopped = resolve
      this.#thread.post({ op: 'stop', id: this.#id })
    })
    await this.#stopped
  }

  async kill (): Promise<void> {
    throw new NotKillableError('a node in the simulation\'s process cannot be killed (SIGKILL would take the whole process): run kill faults with nodes in child processes')
  }

  onDown (listener: (how: DownHow) => void): void {
    if (this.#exited) return
    this.#down.push(listener)
  }

  /** From the thread: the node runs. */
  started (ready: Ready): void {
    this.#resolveReady?.(ready)
  }

  learned (cid: string): void {
    this.#known.add(cid)
  }

  /** From the thread: the node stopped as asked. */
  stopped (): void {
    this.#goDown('stopped')
  }

  /** From the thread: the node did not start, or the thread died. */
  failed (why: string): void {
    this.#rejectReady?.(new Error(why))
    this.#goDown('exited')
  }

  #goDown (how: DownHow): void {
    if (this.#exited) return
    this.#exited = true
    for (const l of this.#down.splice(0)) l(how)
    this.#known.down()
    this.#onStopped?.()
  }
}
