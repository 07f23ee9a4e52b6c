// What the custody service needs from the node, and no more: the log, identities, sealing and
// sending envelopes, opening received ones, reading stored envelope blocks, and the node's
// encryption key (to open a released share sealed to it). `custodyPort(node)` adapts a running
// MilagroNode; tests and simulations may pass their own.
import type { CID } from 'multiformats/cid'
import { UnknownIdentityError } from '../../protocol/errors.ts'
import { decodeEnvelope, seal, type DecodedEnvelope, type OpenedEnvelope } from '../../protocol/envelope.ts'
import type { VerifiedIdentity } from '../../protocol/identity.ts'
import type { Effect } from '../../protocol/state/effects.ts'
import type { LevelLog } from '../../storage/log.ts'
import type { MilagroNode } from '../node.ts'

export type CustodyLog = Pick<LevelLog<unknown, Effect>, 'state' | 'append' | 'pending' | 'markDone' | 'addEventListener' | 'removeEventListener'>

export interface SealLinks {
  readonly thread: CID | null
  readonly prev: readonly CID[]
}

export interface CustodyNode {
  readonly identity: VerifiedIdentity
  readonly log: CustodyLog
  /** The node's X25519 secret: opens shares released to it. Never logged, never copied into state. */
  readonly encryptionSecretKey: Uint8Array
  /** A verified identity document: this node's, or the directory's (fetched if needed); UnknownIdentityError otherwise. */
  resolve (cid: CID, options?: { signal?: AbortSignal }): Promise<VerifiedIdentity>
  seal (recipients: readonly VerifiedIdentity[], type: string, body: unknown, links: SealLinks): DecodedEnvelope
  /**
   * Appends `envelope.sent` and queues the envelope for its other recipients. The append is issued
   * before the returned promise first yields, so an append made right after joins the same group commit.
   */
  recordSent (envelope: DecodedEnvelope): Promise<void>
  /** Queues an envelope this node sent earlier again, for its recipients but itself; returns how many were queued. */
  requeue (envelope: CID): Promise<number>
  /** Verifies and decrypts an envelope addressed to this node. */
  open (envelope: DecodedEnvelope): Promise<OpenedEnvelope>
  /** An envelope stored in the node's blockstore (sent or received), or undefined. */
  readEnvelope (cid: CID): Promise<DecodedEnvelope | undefined>
}

/** The custody port of a running node. */
export function custodyPort (node: MilagroNode): CustodyNode {
  const others = (e: DecodedEnvelope): CID[] => e.header.recipients.filter((r) => !r.equals(node.identity.cid))
  const read = async (cid: CID): Promise<DecodedEnvelope | undefined> => {
    const recent = node.parts.envelopes.recent(cid) // appended in this run: already decoded
    if (recent !== undefined) return recent
    const [bytes] = await node.parts.stores.blockstore.getBlocks([cid])
    return bytes === undefined ? undefined : decodeEnvelope(bytes)
  }
  return {
    get identity () { return node.identity },
    get log () { return node.log },
    encryptionSecretKey: node.home.keys.encryptionSecretKey,
    async resolve (cid, options = {}) {
      if (cid.equals(node.identity.cid)) return node.identity
      try {
        return (await node.directory.resolve(cid, options)).identity
      } catch (err) {
        const name = (err as Error).name
        if (name !== 'IdentityNotFoundError' && name !== 'IdentityRejectedError' && name !== 'TimeoutError' && name !== 'AbortError') throw err
        throw new UnknownIdentityError(`identity ${cid.toString()} is not known to this node: ${(err as Error).message}`, { cause: err })
      }
    },
    seal (recipients, type, body, links) {
      // The log's Lamport clock goes in the header: receivers' entries advance past it.
      return seal({ identity: node.identity, signer: node.home.keys.signer }, recipients, type, body, { ...links, clock: node.log.head?.clock ?? 0 })
    },
    async recordSent (envelope) {
      const p = node.parts
      const { queued } = await p.envelopes.recordSent(envelope)
      for (const r of queued) p.dispatcher.notify(r.toString())
    },
    async requeue (cid) {
      const envelope = await read(cid)
      if (envelope === undefined) return 0
      const p = node.parts
      const to = others(envelope)
      const n = await p.outbox.enqueue(envelope, to)
      for (const r of to) p.dispatcher.notify(r.toString())
      return n
    },
    open: async (envelope) => await node.open(envelope),
    readEnvelope: read
  }
}
