// What `milagro audit` and `milagro log` need from a node home: its stores opened read-only in
// spirit (nothing is written; a running node holds the lock and is reported as such), identity
// documents resolved from the node's own blockstore (or its identity.cbor), and linked envelopes
// verified against their senders' documents.
import { readFile } from 'node:fs/promises'
import type { CID } from 'multiformats/cid'
import { decodeEnvelope, verifyEnvelope } from '../../protocol/envelope.ts'
import { IdentityMismatchError, NotARecipientError, UnknownIdentityError } from '../../protocol/errors.ts'
import { decodeIdentity, type VerifiedIdentity } from '../../protocol/identity.ts'
import { LOG_KINDS } from '../../protocol/state/types.ts'
import type { LogEntry } from '../../protocol/state/types.ts'
import { createStores, dataPaths, type Stores } from '../../storage/stores.ts'
import { homePaths } from '../home.ts'

export async function openHomeStores (home: string): Promise<Stores> {
  const stores = createStores(dataPaths(homePaths(home).dir), { createIfMissing: false })
  await stores.start()
  return stores
}

export type ResolveIdentity = (cid: CID) => Promise<VerifiedIdentity>

/** Identity documents from the local blockstore, else the home's identity.cbor; verified, cached. */
export function identityResolver (stores: Stores, home: string): ResolveIdentity {
  const cache = new Map<string, Promise<VerifiedIdentity>>()
  const load = async (cid: CID): Promise<VerifiedIdentity> => {
    const [bytes] = await stores.blockstore.getBlocks([cid])
    if (bytes !== undefined) return decodeIdentity(bytes, cid)
    const own = await readFile(homePaths(home).identityPath).then((b) => new Uint8Array(b), () => undefined)
    if (own !== undefined) {
      const doc = decodeIdentity(own)
      if (doc.cid.equals(cid)) return doc
    }
    throw new UnknownIdentityError(`identity ${cid.toString()} is not in this node's block store`)
  }
  return (cid) => {
    const id = cid.toString()
    let p = cache.get(id)
    if (p === undefined) { p = load(cid); cache.set(id, p) }
    return p
  }
}

/**
 * Checks an envelope linked from the log: its sender's signature; for `envelope.sent`, that the
 * entry's author sent it and every recipient's identity document is known and valid; for
 * `envelope.received`, that the entry's author is among the recipients.
 */
export function envelopeVerifier (resolve: ResolveIdentity): (bytes: Uint8Array, context: { readonly entry: LogEntry }) => Promise<void> {
  return async (bytes, { entry }) => {
    const env = decodeEnvelope(bytes)
    verifyEnvelope(env, await resolve(env.header.sender))
    if (entry.kind === LOG_KINDS.envelopeSent) {
      if (!env.header.sender.equals(entry.author)) throw new IdentityMismatchError(`the envelope was sent by ${env.header.sender.toString()}, not by this log's author`)
      for (const r of env.header.recipients) await resolve(r)
    } else if (entry.kind === LOG_KINDS.envelopeReceived) {
      if (!env.header.recipients.some((r) => r.equals(entry.author))) throw new NotARecipientError('this log\'s author is not among the envelope\'s recipients')
    }
  }
}
