// The node's libp2p peer: TCP, Noise, Yamux, identify and gossipsub — nothing else (no DHT, no
// mDNS, no relays, no public bootstrap list): peers are the ones the operator configures and the
// ones that dial in. The private key comes from the node home, so the peer id is stable across
// restarts; the peer store lives in the node's datastore, so known addresses survive them too.
//
// Gossipsub is `@libp2p/gossipsub` (the libp2p 3 package). It carries best-effort announcements
// only: a publish made before the first heartbeat after a peer subscribes reaches nobody, so
// nothing that must arrive depends on it (delivery.ts and sync.ts use direct streams).
//
// The connection gater is a hook: `createGater()` returns one whose rules a test or a simulation
// can change at run time (fault injection: cut a peer off, refuse inbound connections).
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import type { ComponentLogger, ConnectionGater, Libp2p, Metrics, PeerId, PrivateKey } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Datastore } from 'interface-datastore'
import { createLibp2p } from 'libp2p'

// A type alias, not an interface: libp2p's ServiceMap needs the implicit index signature.
export type PeerServices = {
  identify: Identify
  pubsub: GossipSub
}

export type Peer = Libp2p<PeerServices>

/** Gossipsub topics this node speaks; messages on any other topic are ignored. */
export const TOPICS = {
  identity: 'milagro/identity/1'
} as const

export interface PeerInit {
  readonly privateKey: PrivateKey
  /** Multiaddrs to listen on, e.g. `/ip4/127.0.0.1/tcp/4101`. */
  readonly listen: readonly string[]
  /** Persists the peer store (known peers and their addresses). In memory when absent. */
  readonly datastore?: Datastore
  readonly gater?: ConnectionGater
  /** libp2p's metrics component (the node passes its Prometheus registry's). */
  readonly metrics?: (components: { logger: ComponentLogger }) => Metrics
  /** Gossipsub heartbeat (ms); default 1000. Tests shorten it. */
  readonly heartbeatIntervalMs?: number
  /** Agent version sent in identify. */
  readonly agentVersion?: string
  /**
   * Networks (multiaddrs such as `/ip4/127.0.0.0/ipcidr/8`) whose inbound connections skip the
   * connection manager's limits: 5 new connections per second per host, 10 pending inbound
   * connections, maxConnections. For simulations and tests, where every peer shares one host
   * (many nodes dialling one peer at once are otherwise reset); never for public networks.
   */
  readonly allow?: readonly string[]
}

/** Creates the peer, not started: call `start()` (the node does, after wiring its protocols). */
export async function createPeer (init: PeerInit): Promise<Peer> {
  return await createLibp2p<PeerServices>({
    privateKey: init.privateKey,
    start: false,
    addresses: { listen: [...init.listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(init.datastore === undefined ? {} : { datastore: init.datastore }),
    ...(init.gater === undefined ? {} : { connectionGater: init.gater }),
    ...(init.metrics === undefined ? {} : { metrics: init.metrics }),
    ...(init.allow === undefined ? {} : { connectionManager: { allow: [...init.allow] } }),
    nodeInfo: { userAgent: init.agentVersion ?? 'milagro-server' },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        emitSelf: false,
        allowPublishToZeroTopicPeers: true,
        allowedTopics: Object.values(TOPICS),
        heartbeatInterval: init.heartbeatIntervalMs ?? 1000
      })
    }
  })
}

/** A connection gater whose rules can be changed while the peer runs. */
export interface SwitchableGater extends ConnectionGater {
  /** Peers (by string id) that may neither dial nor be dialled. */
  readonly denied: Set<string>
  /** When true, every new connection is refused, inbound and outbound. */
  isolated: boolean
}

export function createGater (): SwitchableGater {
  const denied = new Set<string>()
  const gater: SwitchableGater = {
    denied,
    isolated: false,
    denyDialPeer: (peer: PeerId) => gater.isolated || denied.has(peer.toString()),
    denyDialMultiaddr: (_addr: Multiaddr) => gater.isolated,
    denyInboundConnection: () => gater.isolated,
    denyInboundEncryptedConnection: (peer: PeerId) => gater.isolated || denied.has(peer.toString()),
    denyOutboundEncryptedConnection: (peer: PeerId) => gater.isolated || denied.has(peer.toString())
  }
  return gater
}
