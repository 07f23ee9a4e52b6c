// What each admin command does on a running node. Results are plain JSON (CIDs and keys as
// strings); nothing secret is ever returned — the identity command shows public keys only.
import { toHex } from '../../crypto/index.ts'
import { listCheckpoints, sublevels } from '../../storage/index.ts'
import type { MilagroNode } from '../node.ts'
import type { AdminHandlers } from './server.ts'

export function adminHandlers (node: MilagroNode): AdminHandlers {
  return {
    status: async () => {
      const p = node.parts
      const directory = await p.directory.list()
      const head = p.log.head
      return {
        name: node.home.config.name,
        identity: node.identity.cid.toString(),
        peerId: p.libp2p.peerId.toString(),
        addrs: p.libp2p.getMultiaddrs().map((a) => a.toString()),
        uptimeMs: Date.now() - node.startedAt,
        peers: p.libp2p.getPeers().length,
        log: head === undefined ? null : { seq: head.seq, cid: head.cid.toString() },
        outbox: { pending: p.outbox.count(), dead: p.outbox.deadLetters },
        inbound: p.inbound.stats(),
        directory: { identities: directory.length, rejected: p.directory.rejected }
      }
    },
    peers: async () => {
      const p = node.parts
      return await Promise.all(p.libp2p.getPeers().map(async (peer) => {
        const entry = await p.directory.byPeer(peer)
        const head = p.sync.heads().find((h) => h.peer === peer.toString())
        return {
          peerId: peer.toString(),
          addrs: p.libp2p.getConnections(peer).map((c) => c.remoteAddr.toString()),
          identity: entry?.identity.cid.toString() ?? null,
          name: entry?.identity.doc.name ?? null,
          logHead: head?.head == null ? null : { seq: head.head.seq, cid: head.head.cid.toString() }
        }
      }))
    },
    connect: async (request) => {
      const peerId = await node.connect(request.addr as string)
      return { peerId }
    },
    identity: async () => {
      const { cid, doc } = node.identity
      return {
        cid: cid.toString(),
        name: doc.name,
        peerId: doc.peerId,
        created: doc.created,
        supersedes: doc.supersedes?.toString() ?? null,
        signingKey: toHex(doc.signingKey),
        encryptionKey: toHex(doc.encryptionKey),
        custodyKey: toHex(doc.custodyKey)
      }
    },
    'log.head': async () => {
      const head = node.parts.log.head
      return head === undefined ? null : { seq: head.seq, cid: head.cid.toString(), clock: head.clock }
    },
    checkpoint: async () => {
      const p = node.parts
      const stored = await listCheckpoints(sublevels(p.stores.state).ckpt)
      return {
        every: node.home.config.storage.checkpointEvery,
        startedFrom: p.log.startInfo.from ?? null,
        replayedAtStart: p.log.startInfo.replayed,
        checkpoints: stored.map((c) => ({ seq: c.seq }))
      }
    },
    stop: async () => {
      // Answer first; the node stops once the reply is on its way.
      setImmediate(() => { void node.stop() })
      return { stopping: true }
    }
  }
}
