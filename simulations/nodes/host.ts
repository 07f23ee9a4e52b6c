// What a simulation drives a node through, wherever the node runs: in a child process of its own
// (spawn.ts: CustodyChild, the only kind that can be SIGKILLed) or in the simulation's process
// (in-process.ts: InProcessNode, many nodes sharing loaded code and one crypto pool).
import type { ControlRequest } from './control.ts'

/** What a started node announces: its identity, peer id, first listen address and REST API URL. */
export interface Ready {
  readonly identity: string
  readonly peerId: string
  readonly addr: string
  readonly api: string
}

/** How a node went down: SIGKILL (a crash), a clean stop, or on its own (a crash of its process). */
export type DownHow = 'killed' | 'stopped' | 'exited'

export interface NodeHost {
  /** Identities (CIDs) the node's directory holds, as far as the host has heard. */
  readonly identities: ReadonlySet<string>
  /** The node is down for good (this host will not run it again; a restart makes a new host). */
  readonly exited: boolean
  /** The node's own process, when it has one (memory is read from /proc/<pid>). */
  readonly pid: number | undefined
  /** Resolves once the node runs (bounded by `signal`). */
  ready (signal: AbortSignal): Promise<Ready>
  /** Resolves once the node's directory knows every identity in `cids`. */
  knows (cids: readonly string[], signal: AbortSignal): Promise<void>
  control<T = unknown> (request: ControlRequest, signal: AbortSignal): Promise<T>
  /** Clean stop (kills a child that does not stop before `signal` aborts). */
  stop (signal?: AbortSignal): Promise<void>
  /** SIGKILL: only a node in its own process can be killed. */
  readonly killable: boolean
  kill (): Promise<void>
  /** Called once when the node goes down, however that happens. */
  onDown (listener: (how: DownHow) => void): void
}

/** `p`, or a rejection naming `what` when `signal` aborts first. */
export async function bounded<T> (p: Promise<T>, what: string, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(new Error(`timed out waiting for ${what}`, { cause: signal.reason })) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([p, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort as () => void)
  }
}

/** Identities a node has announced, and waits for some of them; fails the waits once the node is down. */
export class KnownIdentities {
  readonly set = new Set<string>()
  readonly #waiters = new Set<() => void>()
  #down = false

  add (cid: string): void {
    this.set.add(cid)
    for (const w of [...this.#waiters]) w()
  }

  down (): void {
    this.#down = true
    for (const w of [...this.#waiters]) w()
  }

  async all (cids: readonly string[], signal: AbortSignal): Promise<void> {
    let check: (() => void) | undefined
    try {
      await bounded(new Promise<void>((resolve, reject) => {
        check = (): void => {
          const known = cids.every((c) => this.set.has(c))
          if (known) resolve()
          else if (this.#down) reject(new Error(`the node stopped before it knew identities ${cids.join(', ')}`))
        }
        this.#waiters.add(check)
        check()
      }), `identities ${cids.join(', ')}`, signal)
    } finally {
      if (check !== undefined) this.#waiters.delete(check)
    }
  }
}
