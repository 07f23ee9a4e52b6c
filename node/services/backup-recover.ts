// A restored node's own log, recovered from the peers that replicated it (backup-replication.ts),
// before the node first starts (backup-restore.ts runs this between writing the home and starting it).
//
//   1. A bare libp2p peer with the node's own key (so the replicas see the author's peer id, which
//      its identity document binds) dials the given peers and the configuration's bootstrap list,
//      and asks each for the head of the copy it keeps (`/milagro/log-replica/1.0.0`, `head`).
//   2. The copies are tried longest first: each is fetched as one stream of blocks and imported
//      into the empty log of the fresh home by storage's importChain — verified while it streams
//      (signatures of this node's key, chain, seq, clock, linked blocks, checkpoint markers against
//      the replayed state) and audited from genesis (envelopes against the documents that came with
//      it; one whose documents did not come is counted as unchecked). A copy that does not verify
//      is undone, named (peer, ChainRejectedError and the entry it breaks at) and the next is
//      tried. The first that imports is the node's log.
//   3. No copy: the log stays empty and the result says so — what is lost (this node's own
//      entries) and what still comes back (the envelopes peers re-deliver).
// A copy shorter than the lost log (a replica that lagged) gives back a prefix: what came after it
// is what the peers re-deliver (the restore mark makes every peer send everything again), and
// whatever this node itself wrote after it is lost.
import { multiaddr } from '@multiformats/multiaddr'
import type { PeerId } from '@libp2p/interface'
import { fullNodeMachine } from '../../protocol/machines.ts'
import { createStores, dataPaths, importChain, type Imported } from '../../storage/index.ts'
import { envelopeVerifier, identityResolver } from '../commands/log-home.ts'
import { loadHome } from '../home.ts'
import { silentLogger, type Logger } from '../logger.ts'
import { createPeer } from '../p2p/libp2p.ts'
import { fetchChain, replicaHead, type WireHead } from '../p2p/replica-client.ts'

export interface LogRecoveryOptions {
  /** Peers to ask (multiaddrs with /p2p/…); the configuration's bootstrap list is asked too. */
  readonly connect?: readonly string[]
  /** Longest recovery (ms, default 120 s). */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
  readonly logger?: Logger
  readonly progress?: (line: string) => void
}

export interface ReplicaReport {
  readonly peer: string
  /** The head of the copy the peer keeps (null: none), when it answered. */
  readonly head?: { readonly seq: number, readonly cid: string } | null
  /** Why the peer could not be asked, or why its copy was refused. */
  readonly error?: { readonly name: string, readonly message: string, readonly problem?: unknown }
}

export interface LogRecovery {
  /** Peer id the log came from; null: no copy could be imported. */
  readonly source: string | null
  readonly head: { readonly seq: number, readonly cid: string } | null
  readonly entries: number
  /** Envelopes of the recovered log not checked at import: a document of their sender or recipients did not come with the copy. */
  readonly unchecked: number
  /** Every peer asked, with its answer or error (a rejected copy has ChainRejectedError). */
  readonly replicas: readonly ReplicaReport[]
  /** For the operator: where the log came from, or what is lost without it. */
  readonly message: string
  /** Time taken (dial, ask, fetch, verify, import, audit), ms. */
  readonly ms: number
}

/** An envelope whose parties' documents are not known yet. */
class Unchecked extends Error {}

const LOST = 'this node\'s own entries (envelopes it sent, facts it recorded, key events, checkpoints) are lost; peers re-deliver the envelopes they sent it'

const headJson = (h: WireHead): { seq: number, cid: string } => ({ seq: h.seq, cid: h.cid.toString() })
const errorJson = (err: unknown): NonNullable<ReplicaReport['error']> => {
  const e = err as Error & { problem?: unknown }
  return { name: e.name, message: e.message, ...(e.problem === undefined ? {} : { problem: e.problem }) }
}

/** Recovers the own log of the (fresh, never started) node in `dir` from its replicas. */
export async function recoverOwnLog (dir: string, options: LogRecoveryOptions = {}): Promise<LogRecovery> {
  const started = performance.now()
  const home = await loadHome(dir)
  const logger = options.logger ?? silentLogger()
  const say = options.progress ?? (() => {})
  const signal = AbortSignal.any([options.signal ?? new AbortController().signal, AbortSignal.timeout(options.timeoutMs ?? 120_000)])
  const author = home.keys.identity.cid
  const addrs = [...new Set([...(options.connect ?? []), ...home.config.bootstrap])]
  const reports = new Map<string, ReplicaReport>()
  const peer = await createPeer({ privateKey: home.keys.libp2pKey, listen: [] })
  const stores = createStores(dataPaths(dir))
  await stores.start()
  try {
    await peer.start()
    const peers = new Map<string, PeerId>()
    await Promise.all(addrs.map(async (addr) => {
      try {
        const conn = await peer.dial(multiaddr(addr), { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) })
        peers.set(conn.remotePeer.toString(), conn.remotePeer)
      } catch (err) {
        reports.set(addr, { peer: addr, error: errorJson(err) })
        logger.warn({ err, addr }, 'could not dial a peer to recover the log from')
      }
    }))
    const heads: Array<{ id: PeerId, head: WireHead }> = []
    await Promise.all([...peers.values()].map(async (id) => {
      try {
        const head = await replicaHead(peer, id, author, { signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) })
        reports.set(id.toString(), { peer: id.toString(), head: head === null ? null : headJson(head) })
        if (head !== null) heads.push({ id, head })
      } catch (err) {
        reports.set(id.toString(), { peer: id.toString(), error: errorJson(err) })
      }
    }))
    heads.sort((a, b) => b.head.seq - a.head.seq)
    say(`${peers.size} peer(s) reached, ${heads.length} keep a copy of this node's log${heads[0] === undefined ? '' : ` (longest: ${heads[0].head.seq + 1} entries)`}`)
    for (const { id, head } of heads) {
      signal.throwIfAborted()
      // An envelope whose sender or recipient document did not come with the copy cannot be checked
      // yet: it is counted, not held against the copy (the node fetches documents from its peers,
      // and the audit at the end of the restore checks every envelope again).
      const resolve = identityResolver(stores, dir)
      const verify = envelopeVerifier(async (cid) => {
        try {
          return await resolve(cid)
        } catch (err) {
          if ((err as Error).name === 'UnknownIdentityError') throw new Unchecked()
          throw err
        }
      })
      let unchecked = 0
      let imported: Imported
      try {
        const fetched = await fetchChain(peer, id, author, { signal })
        imported = await importChain(stores, fetched.batches, {
          author,
          machine: fullNodeMachine(),
          resolveSigningKey: async () => home.keys.identity.doc.signingKey,
          verifyEnvelope: async (bytes, context) => {
            try {
              await verify(bytes, context)
            } catch (err) {
              if (!(err instanceof Unchecked)) throw err
              unchecked++
            }
          },
          signal
        })
      } catch (err) {
        reports.set(id.toString(), { peer: id.toString(), head: headJson(head), error: errorJson(err) })
        logger.warn({ err, peer: id.toString() }, 'a copy of this node\'s log was refused')
        say(`the copy at ${id.toString()} was refused: ${(err as Error).name}: ${(err as Error).message}`)
        continue
      }
      const h = imported.head
      const message = `log recovered from ${id.toString()}: ${imported.entries} entries (head seq ${h?.seq ?? -1}), audited from genesis` +
        `${unchecked > 0 ? ` (${unchecked} envelope(s) not checked yet: documents of their parties did not come with the copy)` : ''}` +
        '; entries this node wrote after that copy are lost, envelopes peers sent after it are re-delivered'
      say(message)
      return { source: id.toString(), head: h === undefined ? null : { seq: h.seq, cid: h.cid.toString() }, entries: imported.entries, unchecked, replicas: [...reports.values()], message, ms: performance.now() - started }
    }
    const why = addrs.length === 0
      ? 'no peer to ask (give --connect, or a bootstrap list in the configuration)'
      : heads.length === 0 ? `no peer reached keeps a copy of it (${peers.size} of ${addrs.length} reached)` : `every copy was refused (${heads.length})`
    const message = `the log could not be recovered: ${why}; the node starts with an empty log — ${LOST}`
    say(message)
    return { source: null, head: null, entries: 0, unchecked: 0, replicas: [...reports.values()], message, ms: performance.now() - started }
  } finally {
    await peer.stop()
    await stores.stop()
  }
}
