// Small fixtures for the M-Pin protocol tests: CIDs that stand for identities and envelopes,
// envelope headers, and hand-made log entries (no network, no keys).
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { curveParams, randomBytes, sha256, type CurveName } from '../../../crypto/index.ts'
import type { IpldValue, LogEntry } from '../../../protocol/state/types.ts'

export const cidOf = (value: unknown): CID => CID.createV1(0x71, Digest.create(0x12, sha256(dagCbor.encode(value))))

/** A fresh CID (an identity or an envelope). */
export const newCid = (): CID => cidOf({ r: randomBytes(16) })

export function header (type: string, sender: CID, recipients: readonly CID[], thread: CID | null = null): { cid: CID, header: { type: string, sender: CID, recipients: readonly CID[], thread: CID | null, time: number } } {
  return { cid: newCid(), header: { type, sender, recipients, thread, time: 1_700_000_000_000 } }
}

/** A G1 octet of the right length and prefix (not necessarily a point). */
export function g1 (curve: CurveName): Uint8Array {
  const b = randomBytes(2 * curveParams[curve].pfs + 1)
  b[0] = 0x04
  return b
}

export function g2 (curve: CurveName): Uint8Array {
  return randomBytes(4 * curveParams[curve].pfs)
}

export function handle (kind = 'generic'): string {
  return `ks1:${kind}:${Buffer.from(randomBytes(16)).toString('base64url')}`
}

/** A chain of entries by `author`, as the log would hand them to the reducers. */
export class Chain {
  readonly author: CID
  readonly entries: LogEntry[] = []
  time = 1_700_000_000_000

  constructor (author: CID) {
    this.author = author
  }

  entry (kind: string, body: IpldValue): LogEntry {
    const last = this.entries[this.entries.length - 1]
    const fields = { v: 1 as const, seq: this.entries.length, prev: last?.cid ?? null, clock: this.entries.length + 1, time: this.time++, kind, author: this.author, body }
    const e: LogEntry = { ...fields, cid: cidOf(fields) }
    this.entries.push(e)
    return e
  }
}
