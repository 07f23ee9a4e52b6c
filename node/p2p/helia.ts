// Helia on the node's own libp2p peer and its own stores: the blockstore that holds the log's
// blocks, envelopes and identity documents, and the datastore. Bitswap is the only block broker
// (no HTTP gateways, no delegated routing): a block is fetched from connected peers, which is
// what the identity directory needs (fetch a document by CID from the peers that announced it).
//
// The peer's lifecycle stays with the node: stopping Helia stops bitswap, not libp2p.
import { withBitswap } from '@helia/bitswap'
import * as dagCbor from '@ipld/dag-cbor'
import type { Blockstore } from 'interface-blockstore'
import type { Datastore } from 'interface-datastore'
import { createHeliaLight, type Helia } from 'helia'
import type { Peer } from './libp2p.ts'

export type PeerHelia = Helia & { readonly libp2p: Peer }

export interface HeliaInit {
  readonly libp2p: Peer
  readonly blockstore: Blockstore
  readonly datastore: Datastore
}

/** Creates Helia (not started) over `libp2p` and the given stores. */
export function createPeerHelia (init: HeliaInit): PeerHelia {
  const helia = createHeliaLight({
    blockstore: init.blockstore,
    datastore: init.datastore,
    codecs: [dagCbor],
    logger: init.libp2p.logger
  })
  // Bitswap reads `helia.libp2p`; give it the node's peer instead of letting Helia build one.
  Object.defineProperty(helia, 'libp2p', { value: init.libp2p, enumerable: true })
  withBitswap(helia as PeerHelia)
  return helia as PeerHelia
}
