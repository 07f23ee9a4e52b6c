// Keeps the node connected to the peers it should talk to: at start it dials the configured
// bootstrap addresses and the last known addresses of peers in the directory (a restarted node
// on a new port thus reaches the peers that hold envelopes for it), and it redials a bootstrap
// peer that disconnects, with exponential backoff. Dial failures are logged at debug: an absent
// peer is normal in a network of nodes that come and go.
import type { PeerId } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from 'pino'
import type { Directory } from './directory.ts'
import type { Peer } from './libp2p.ts'

export interface RedialComponents {
  readonly libp2p: Peer
  readonly directory: Directory
  readonly logger: Logger
}

export interface RedialInit {
  /** Bootstrap multiaddrs; those ending in /p2p/<id> are kept connected. */
  readonly bootstrap: readonly string[]
  /** Most directory peers dialled at start; default 64. */
  readonly maxKnownPeers?: number
  readonly maxBackoffMs?: number
}

export class Redialer {
  readonly #c: RedialComponents
  readonly #bootstrap: Multiaddr[]
  readonly #keep = new Map<string, { addr: Multiaddr, backoffMs: number, timer?: ReturnType<typeof setTimeout> }>()
  readonly #maxKnown: number
  readonly #maxBackoffMs: number
  #started = false
  readonly #onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const kept = this.#keep.get(evt.detail.toString())
    if (kept !== undefined && this.#started) this.#schedule(evt.detail.toString())
  }

  constructor (components: RedialComponents, init: RedialInit) {
    this.#c = components
    this.#bootstrap = init.bootstrap.map((a) => multiaddr(a))
    this.#maxKnown = init.maxKnownPeers ?? 64
    this.#maxBackoffMs = init.maxBackoffMs ?? 60_000
    for (const addr of this.#bootstrap) {
      const id = addr.getComponents().find((c) => c.name === 'p2p')?.value
      if (id !== undefined) this.#keep.set(id, { addr, backoffMs: 0 })
    }
  }

  start (): void {
    if (this.#started) return
    this.#started = true
    this.#c.libp2p.addEventListener('peer:disconnect', this.#onDisconnect)
    void this.#dialAll()
  }

  stop (): void {
    this.#started = false
    this.#c.libp2p.removeEventListener('peer:disconnect', this.#onDisconnect)
    for (const k of this.#keep.values()) clearTimeout(k.timer)
  }

  async #dialAll (): Promise<void> {
    const targets: Multiaddr[][] = this.#bootstrap.map((a) => [a])
    const me = this.#c.libp2p.peerId.toString()
    const known = (await this.#c.directory.list())
      .filter((e) => e.bound && e.supersededBy === null && e.addrs.length > 0 && e.identity.doc.peerId !== me)
      .sort((x, y) => y.lastSeen - x.lastSeen)
      .slice(0, this.#maxKnown)
    for (const e of known) {
      targets.push(e.addrs.map((a) => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${e.identity.doc.peerId}`)))
    }
    await Promise.allSettled(targets.map(async (addrs) => {
      const ok = await this.#dial(addrs)
      const id = addrs[0]?.getComponents().find((c) => c.name === 'p2p')?.value
      // A bootstrap peer that is down at start is retried, like one that disconnects later.
      if (!ok && id !== undefined && this.#keep.has(id)) this.#schedule(id)
    }))
  }

  async #dial (addrs: Multiaddr[]): Promise<boolean> {
    if (!this.#started) return false
    try {
      await this.#c.libp2p.dial(addrs, { signal: AbortSignal.timeout(10_000) })
      return true
    } catch (err) {
      this.#c.logger.debug({ err, addrs: addrs.map((a) => a.toString()) }, 'dial failed')
      return false
    }
  }

  #schedule (id: string): void {
    const k = this.#keep.get(id)
    if (k === undefined || k.timer !== undefined) return
    k.backoffMs = k.backoffMs === 0 ? 1_000 : Math.min(this.#maxBackoffMs, k.backoffMs * 2)
    k.timer = setTimeout(() => {
      k.timer = undefined
      void this.#dial([k.addr]).then((ok) => {
        if (ok) k.backoffMs = 0
        else if (this.#started) this.#schedule(id)
      })
    }, k.backoffMs)
  }
}
