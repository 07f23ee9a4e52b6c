// Helia on the node's own libp2p peer and its own stores: the blockstore that holds the log's
// blocks, envelopes and identity documents, and the datastore. Bitswap is the only block broker
// (no HTTP gateways, no delegated routing): a block is fetched from connected peers, which is
// what the identity directory needs (fetch a document by CID from the peers that announced it).
//
// The peer's lifecycle stays with the node: stopping Helia stops bitswap, not libp2p.
//
// What bitswap gives away: only the blocks `servable` admits (the node passes "an identity
// document its directory holds" — its own and the verified documents of peers, which are public).
// The same blockstore holds the node's log entries (facts in clear: orders, counterparties,
// public keys, key-store handles) and its envelopes; anyone connected who learns one CID (a sync
// hello carries the head) could otherwise walk the whole log back by `prev`. Bitswap reads the
// blocks it serves from the blockstore its components hand it, and nothing else (it fetches
// through Helia's own storage), so the broker is built over a view whose `has`/`get` refuse
// what is not servable; fetching from peers is unchanged. Log replicas go over their own
// authenticated protocol (replica.ts), never bitswap.
//
// Helia is built from its parts, not through the `helia` package's index: that index also
// imports `@helia/http` and `@helia/libp2p` (for `createHelia`), and the latter loads libp2p's
// whole default stack — Kademlia DHT, WebRTC, circuit relay, TLS, AutoNAT, UPnP, WebSockets —
// about 60 MiB resident per process, measured (Node 22: 151 MiB RSS after importing the index
// over our libp2p modules, 89 MiB after importing only the class). `createHeliaLight` is just
// `new Helia({ name, version, ...init })` from the package's own `helia.js`, so that module is
// loaded directly, found next to the package's entry point (the package exports only its index).
// If a Helia release moves it, the import below fails at load time, loudly.
import { withBitswap } from '@helia/bitswap'
import * as dagCbor from '@ipld/dag-cbor'
import type { Blockstore } from 'interface-blockstore'
import { NotFoundError } from 'interface-store'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import type { Datastore } from 'interface-datastore'
import type { Helia, HeliaInit as FullHeliaInit } from 'helia'
import type { Peer } from './libp2p.ts'

export type PeerHelia = Helia & { readonly libp2p: Peer }

export interface HeliaInit {
  readonly libp2p: Peer
  readonly blockstore: Blockstore
  readonly datastore: Datastore
  /** Whether bitswap may give this local block to a peer that wants it. */
  readonly servable: (cid: CID) => Promise<boolean>
}

interface BitswapMixin { readonly name: string, start: (helia: Helia) => Promise<void> }

type HeliaClass = new (init: FullHeliaInit & { readonly name: string, readonly version: string }) => Helia

const entry = import.meta.resolve('helia')
const classModule = await import(new URL('./helia.js', entry).href) as { Helia?: HeliaClass }
const versionModule = await import(new URL('./version.js', entry).href) as { name?: string, version?: string }
if (typeof classModule.Helia !== 'function') throw new TypeError(`the helia package at ${entry} has no Helia class in helia.js: node/p2p/helia.ts needs updating for this release`)
const HeliaClass: HeliaClass = classModule.Helia
const info = { name: versionModule.name ?? 'helia', version: versionModule.version ?? 'unknown' }

/** Creates Helia (not started) over `libp2p` and the given stores. */
export function createPeerHelia (init: HeliaInit): PeerHelia {
  const helia = new HeliaClass({
    ...info,
    blockstore: init.blockstore,
    datastore: init.datastore,
    codecs: [dagCbor],
    logger: init.libp2p.logger
  })
  // Bitswap reads `helia.libp2p`; give it the node's peer instead of letting Helia build one.
  Object.defineProperty(helia, 'libp2p', { value: init.libp2p, enumerable: true })
  // withBitswap registers a mixin that builds the broker from the Helia it is started with; it is
  // captured here and started with a Helia whose `blockstore` is the serving view.
  let bitswap: BitswapMixin | undefined
  withBitswap({ addMixin: (m: BitswapMixin) => { bitswap = m } } as unknown as PeerHelia)
  if (bitswap === undefined) throw new TypeError('@helia/bitswap registered no mixin: node/p2p/helia.ts needs updating for this release')
  const mixin = bitswap
  helia.addMixin({
    name: mixin.name,
    start: async (h: Helia) => {
      const view = servingView(h.blockstore, init.servable)
      await mixin.start(new Proxy(h, { get: (target, p) => p === 'blockstore' ? view : Reflect.get(target, p, target) }))
    }
  })
  return helia as PeerHelia
}

/** `store`, with `has` and `get` limited to the blocks `servable` admits. */
function servingView (store: Helia['blockstore'], servable: (cid: CID) => Promise<boolean>): Helia['blockstore'] {
  return new Proxy(store, {
    get: (target, p) => {
      if (p === 'has') return async (cid: CID, options?: AbortOptions) => await servable(cid) && await target.has(cid, options)
      if (p === 'get') {
        return async function * (cid: CID, options?: AbortOptions) {
          if (!await servable(cid)) throw new NotFoundError(`block ${cid.toString()} is not served to peers`)
          yield * target.get(cid, options)
        }
      }
      const v = Reflect.get(target, p, target) as unknown
      return typeof v === 'function' ? v.bind(target) : v
    }
  })
}
