// Log replication for backups: this node's own signed chain is copied to replica peers, so that
// a node restored from its backup gets its log back (backup-recover.ts); and this node keeps the
// copies of the nodes it is a replica for. Both sides of `/milagro/log-replica/1.0.0`
// (node/p2p/replica*.ts).
//
// Who keeps whose log:
//   - this node pushes to the fiduciaries of its newest backup that is not revoked (they hold the
//     shares a restore needs, so they are the peers a restore reaches anyway), plus the identities
//     of `backup.replicas` in the configuration;
//   - it keeps a copy (<home>/data/replicas, `backup.quotaBytes` per author) for every principal
//     whose backup part it holds as fiduciary (the safeguard state knows: a deposit labelled as a
//     backup part, this node a fiduciary of it, not revoked), plus the identities of
//     `backup.replicate`. A push from anyone else is refused `not-replica`; a copy is served back to
//     its author only.
//
// Pushing never slows the hot path: a `log:append` only arms a timer (`delayMs`); the push then
// runs in the background, after the group commits it covers, one stream per replica and range,
// reading the chain with storage's range scan and sending it as one stream of blocks (entries,
// the blocks they link, the identity documents they name) that ends at a signed entry. A replica
// that is down or refuses is tried again with backoff (doubling from `retryMs` to 60 s), and at once
// when its sync hello is heard; a clean stop waits (`stopFlushMs`) for the replicas to reach the
// head. A copy that does not continue this node's chain (this node was restored from a shorter
// copy elsewhere, and wrote on) is replaced from genesis.
import { EventEmitter } from 'node:events'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { entriesOf } from '../../protocol/custody/order-map.ts'
import type { SafeguardState } from '../../protocol/safeguard/state.ts'
import type { Logger } from '../logger.ts'
import type { MilagroNode, NodeService } from '../node.ts'
import { PeerUnreachableError, ReplicaRefusedError } from '../p2p/errors.ts'
import { pushToReplica, type PushRange, type WireHead } from '../p2p/replica-client.ts'
import { ReplicaServer } from '../p2p/replica.ts'
import { ReplicaStore } from '../p2p/replica-store.ts'
import { parseBackupLabel } from './backup-bundle.ts'
import type { Backups } from './backup.ts'
import { rangeFrames, type RangeRead } from './backup-range.ts'

export interface ReplicationInit {
  /** Identities this node pushes its log to, besides the fiduciaries of its newest backup. */
  readonly replicas?: readonly CID[]
  /** Identities whose log this node keeps, besides the principals whose backup it holds. */
  readonly replicate?: readonly CID[]
  /** Bytes kept per author (default 256 MiB). */
  readonly quotaBytes?: number
  /** Wait after an append before pushing, so that a burst goes as one range (ms, default 200). */
  readonly delayMs?: number
  /** First retry delay after a failed push (ms, default 1 s), doubled up to 60 s. */
  readonly retryMs?: number
  /** Bytes of one pushed range, about (default 4 MiB; it ends at the next signed entry). */
  readonly rangeBytes?: number
  /** At stop, the longest wait for replicas to catch up with the head (ms, default 2 s; 0: none). */
  readonly stopFlushMs?: number
}

export interface ReplicationComponents {
  readonly node: MilagroNode
  /** The safeguard slice of the state (undefined when the safeguard service is not running). */
  readonly safeguard: () => SafeguardState | undefined
  readonly backups: () => Backups | undefined
  readonly logger: Logger
}

export interface ReplicaStatus {
  readonly replica: string
  /** The copy's head as the replica last reported it. */
  readonly head: WireHead | null | undefined
  readonly lastError: string | undefined
  readonly failures: number
}

export interface ReplicationEvents {
  /** A replica now holds this node's chain up to `head`. */
  'replica:pushed': [{ replica: string, head: WireHead | null }]
  'replica:failed': [{ replica: string, error: Error }]
}

interface Target {
  head: WireHead | null | undefined
  running: Promise<void> | undefined
  again: boolean
  failures: number
  timer: NodeJS.Timeout | undefined
  lastError: string | undefined
  /** Identity documents this replica was sent in this run. */
  readonly sent: Set<string>
}

const MAX_RETRY_MS = 60_000

/** Principals whose backup part this node holds as a fiduciary (not revoked). */
export function backupPrincipals (state: SafeguardState | undefined): Set<string> {
  const out = new Set<string>()
  if (state === undefined) return out
  for (const [, r] of entriesOf(state.deposits)) {
    if (r.asFiduciary !== null && r.revoke === null && parseBackupLabel(r.label) !== undefined) out.add(r.principal.toString())
  }
  return out
}

export class BackupReplication extends EventEmitter<ReplicationEvents> implements NodeService {
  readonly #c: ReplicationComponents
  readonly #init: ReplicationInit
  readonly #targets = new Map<string, Target>()
  #store: ReplicaStore | undefined
  #server: ReplicaServer | undefined
  #timer: NodeJS.Timeout | undefined
  #stopping: AbortController | undefined
  #replicas: { readonly state: SafeguardState | undefined, readonly list: CID[] } | undefined
  readonly #onAppend = (): void => { this.#soon() }
  readonly #onHello = (h: { identity: string }): void => { if (this.#targets.has(h.identity)) this.#push(h.identity) }

  constructor (components: ReplicationComponents, init: ReplicationInit = {}) {
    super()
    this.#c = components
    this.#init = init
  }

  /** The copies this node keeps (for tests and the restore bench). */
  get store (): ReplicaStore {
    if (this.#store === undefined) throw new TypeError('the replication service is not started')
    return this.#store
  }

  get server (): ReplicaServer {
    if (this.#server === undefined) throw new TypeError('the replication service is not started')
    return this.#server
  }

  async start (): Promise<void> {
    if (this.#store !== undefined) return
    const { node } = this.#c
    const store = new ReplicaStore({ path: join(node.home.paths.dataDir, 'replicas'), ...(this.#init.quotaBytes === undefined ? {} : { quotaBytes: this.#init.quotaBytes }) })
    await store.start()
    const replicate = new Set((this.#init.replicate ?? []).map((c) => c.toString()))
    const server = new ReplicaServer({ libp2p: node.parts.libp2p, directory: node.parts.directory, store, logger: this.#c.logger }, {
      accepts: (author) => replicate.has(author.toString()) || backupPrincipals(this.#c.safeguard()).has(author.toString())
    })
    try {
      await server.start()
    } catch (err) {
      await store.stop()
      throw err
    }
    this.#store = store
    this.#server = server
    this.#stopping = new AbortController()
    node.log.addEventListener('log:append', this.#onAppend)
    node.parts.sync.on('sync:hello', this.#onHello)
    this.#soon(0)
  }

  async stop (): Promise<void> {
    if (this.#store === undefined) return
    const { node } = this.#c
    node.log.removeEventListener('log:append', this.#onAppend)
    node.parts.sync.off('sync:hello', this.#onHello)
    clearTimeout(this.#timer)
    this.#timer = undefined
    // A clean stop leaves the replicas at the head when they can be reached within the bound.
    const bound = this.#init.stopFlushMs ?? 2_000
    if (bound > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([this.flush(), new Promise<void>((resolve) => { timer = setTimeout(resolve, bound) })])
      clearTimeout(timer)
    }
    this.#stopping?.abort(new Error('the replication service stopped'))
    for (const t of this.#targets.values()) clearTimeout(t.timer)
    await Promise.all([...this.#targets.values()].map(async (t) => { await t.running?.catch(() => {}) }))
    this.#targets.clear()
    await this.#server?.stop()
    await this.#store.stop()
    this.#store = undefined
    this.#server = undefined
  }

  /** The identities this node pushes its log to now (recomputed when the safeguard state changes). */
  replicas (): CID[] {
    const state = this.#c.safeguard()
    if (this.#replicas !== undefined && this.#replicas.state === state) return this.#replicas.list
    const list = this.#computeReplicas()
    this.#replicas = { state, list }
    return list
  }

  #computeReplicas (): CID[] {
    const out = new Map<string, CID>()
    for (const c of this.#init.replicas ?? []) out.set(c.toString(), c)
    const own = (this.#c.backups()?.list() ?? []).filter((b) => b.role === 'principal' && b.complete && !b.deposits.some((d) => d.revoked))
    const newest = own.at(-1)
    for (const f of newest?.deposits[0]?.fiduciaries ?? []) out.set(f.toString(), f)
    out.delete(this.#c.node.identity.cid.toString())
    return [...out.values()]
  }

  status (): ReplicaStatus[] {
    return [...this.#targets.entries()].map(([replica, t]) => ({ replica, head: t.head, lastError: t.lastError, failures: t.failures }))
  }

  /** Pushes to every replica now and resolves when each push round has ended (done or failed). */
  async flush (): Promise<void> {
    this.#refresh()
    for (const id of this.#targets.keys()) this.#push(id)
    await Promise.all([...this.#targets.values()].map(async (t) => { while (t.running !== undefined) await t.running.catch(() => {}) }))
  }

  #soon (delay = this.#init.delayMs ?? 200): void {
    if (this.#timer !== undefined || this.#stopping?.signal.aborted !== false) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#refresh()
      for (const [id, t] of this.#targets) if (t.failures === 0) this.#push(id)
    }, delay)
  }

  /** Adds targets for new replicas and drops those that are no longer replicas. */
  #refresh (): void {
    const now = new Set<string>()
    for (const r of this.replicas()) {
      const id = r.toString()
      now.add(id)
      if (!this.#targets.has(id)) this.#targets.set(id, { head: undefined, running: undefined, again: false, failures: 0, timer: undefined, lastError: undefined, sent: new Set() })
    }
    for (const [id, t] of this.#targets) {
      if (!now.has(id) && t.running === undefined) { clearTimeout(t.timer); this.#targets.delete(id) }
    }
  }

  #push (id: string): void {
    const t = this.#targets.get(id)
    const signal = this.#stopping?.signal
    if (t === undefined || signal === undefined || signal.aborted) return
    if (t.running !== undefined) { t.again = true; return }
    clearTimeout(t.timer)
    t.timer = undefined
    t.running = this.#round(id, t, signal).then(() => {
      t.failures = 0
      t.lastError = undefined
    }, (err: unknown) => {
      if (signal.aborted) return
      // Documents of a range that did not make it are sent again with the next one.
      t.sent.clear()
      t.failures++
      t.lastError = `${(err as Error).name}: ${(err as Error).message}`
      const delay = Math.min(MAX_RETRY_MS, (this.#init.retryMs ?? 1_000) * 2 ** (t.failures - 1))
      this.#c.logger.debug({ err, replica: id, retryInMs: delay }, 'log replication to a replica failed')
      this.emit('replica:failed', { replica: id, error: err as Error })
      t.timer = setTimeout(() => { t.timer = undefined; this.#push(id) }, delay)
    }).finally(() => {
      t.running = undefined
      if (t.again && !signal.aborted) { t.again = false; this.#push(id) }
    })
  }

  /** Pushes ranges to one replica until its copy reaches this node's head. */
  async #round (id: string, t: Target, stopping: AbortSignal): Promise<void> {
    const { node } = this.#c
    const entry = await node.parts.directory.get(CID.parse(id))
    if (entry === undefined) throw new PeerUnreachableError(`replica ${id} is not in the directory yet`)
    const peer = peerIdFromString(entry.identity.doc.peerId)
    const self = node.identity
    let fromGenesis = false
    for (;;) {
      stopping.throwIfAborted()
      const signal = AbortSignal.any([stopping, AbortSignal.timeout(120_000)])
      let result
      try {
        result = await pushToReplica(node.parts.libp2p, peer, self.cid, async (head) => await this.#plan(head, t, fromGenesis), { signal })
      } catch (err) {
        // A copy that does not continue this chain is replaced from genesis (once per round).
        if (err instanceof ReplicaRefusedError && err.reason === 'no-link' && !fromGenesis) { fromGenesis = true; continue }
        throw err
      }
      t.head = result.head
      if (!result.pushed) return
      this.emit('replica:pushed', { replica: id, head: result.head })
    }
  }

  /** The next range for a copy whose head is `head`: undefined when the copy is up to date. */
  async #plan (head: WireHead | null, t: Target, fromGenesis: boolean): Promise<PushRange | undefined> {
    const log = this.#c.node.log
    const own = log.head
    if (own === undefined) return undefined
    let from = 0
    if (head !== null && !fromGenesis && head.seq <= own.seq && (await log.get(head.seq)).cid.equals(head.cid)) from = head.seq + 1
    if (from === 0) t.sent.clear()
    if (from > own.seq) return undefined
    const prev = from === 0 ? null : (await log.get(from - 1)).cid
    const { stores } = this.#c.node.parts
    const read: RangeRead = { last: from - 1 }
    const self = this.#c.node.identity
    const frames = rangeFrames({ blockstore: stores.blockstore, state: stores.state, self: { cid: self.cid, bytes: self.bytes } }, from, own.seq, this.#init.rangeBytes ?? 4 * 1024 * 1024, t.sent, read)
    return { from, prev, frames }
  }
}
