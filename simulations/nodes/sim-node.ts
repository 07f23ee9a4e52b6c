// One simulation node, started the same way whether it runs in its own process (custody-child.ts)
// or next to others in the simulation's process (in-process.ts): the node of a home with the
// custody service (plus safeguard / M-Pin as its config says) and the REST API on a free loopback
// port, a switchable connection gater (partitions), its bootstrap peers, and the receive-path
// hooks of control.ts. Nothing here is specific to the process it runs in.
import { CID } from 'multiformats/cid'
import type { CryptoPool } from '../../crypto/index.ts'
import type { LoadedHome } from '../../node/home.ts'
import { silentLogger } from '../../node/logger.ts'
import { createNode, type MilagroNode, type NodeOptions } from '../../node/node.ts'
import { createGater, type SwitchableGater } from '../../node/p2p/libp2p.ts'
import { nodeServices } from '../../node/services/compose.ts'
import { nodeControl, type ControlRequest } from './control.ts'
import type { Ready } from './host.ts'

export interface SimNodeInit {
  /** Listen addresses (default: a free loopback TCP port). */
  readonly listen?: readonly string[]
  readonly bootstrap?: readonly string[]
  /** Peer ids the gater refuses from the start (a node restarted inside a partition stays in it). */
  readonly deny?: readonly string[]
  /** M-Pin (D-TA setting): identities that may receive server-secret shares. */
  readonly mpinAuthServers?: readonly string[]
  /** Threads of the node's own crypto pool (default: one per core). Ignored with `sharedPool`. */
  readonly poolSize?: number
  /** The node's own pool starts threads only when a task needs one, and ends them after this idle time. */
  readonly poolIdleTimeoutMs?: number
  /** A pool owned by the caller, shared with other nodes of this process (never stopped by the node). */
  readonly sharedPool?: CryptoPool
  /** Short gossipsub heartbeat and dispatcher backoff (simulations and tests). */
  readonly fast?: boolean
  readonly signal?: AbortSignal
}

export interface StartedSimNode {
  readonly node: MilagroNode
  readonly gater: SwitchableGater
  readonly ready: Ready
  /** Answers a control request (control.ts). */
  readonly control: (request: ControlRequest) => Promise<unknown>
}

/** Starts the node of `home` for a simulation; `onIdentity` hears each identity its directory holds (bound) or learns. */
export async function startSimNode (home: LoadedHome, init: SimNodeInit, onIdentity: (cid: string) => void): Promise<StartedSimNode> {
  const logger = silentLogger()
  const authServers = (init.mpinAuthServers ?? []).map((c) => CID.parse(c))
  const { options, services } = nodeServices(home, logger, { api: { host: '127.0.0.1', port: 0 }, ...(authServers.length === 0 ? {} : { mpin: { authServers } }) })
  const gater = createGater()
  for (const peer of init.deny ?? []) gater.denied.add(peer)
  const pool: Pick<NodeOptions, 'pool' | 'cryptoPool'> = init.sharedPool !== undefined
    ? { cryptoPool: init.sharedPool }
    : (init.poolSize === undefined && init.poolIdleTimeoutMs === undefined)
        ? {}
        : { pool: { ...(init.poolSize === undefined ? {} : { size: init.poolSize }), ...(init.poolIdleTimeoutMs === undefined ? {} : { idleTimeoutMs: init.poolIdleTimeoutMs }) } }
  const node = createNode(home, {
    logger,
    ...options,
    gater,
    // Every peer of a simulation is on this host: libp2p's per-host limits on inbound connections
    // would reset the dials of many nodes starting at once (and with them, introductions).
    peer: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
    admin: false,
    listen: init.listen ?? ['/ip4/127.0.0.1/tcp/0'],
    ...pool,
    bootstrap: init.bootstrap ?? [],
    ...(init.fast === true ? { heartbeatIntervalMs: 100, dispatcher: { initialBackoffMs: 50, maxBackoffMs: 500 } } : {})
  })
  await node.start(init.signal === undefined ? {} : { signal: init.signal })
  node.directory.on('identity:added', (entry) => { onIdentity(entry.identity.cid.toString()) })
  for (const e of await node.directory.list()) if (e.bound) onIdentity(e.identity.cid.toString())
  const control = nodeControl(node, gater)
  const addr = node.libp2p.getMultiaddrs()[0]?.toString()
  const api = services.api?.url
  if (addr === undefined || api === undefined) {
    await node.stop()
    throw new TypeError('a simulation node needs a listen address and its REST API')
  }
  return { node, gater, control, ready: { identity: node.identity.cid.toString(), peerId: node.libp2p.peerId.toString(), addr, api } }
}
