// In-memory log entries for reducer tests (no storage): a chain with real CIDs.
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from '../../../crypto/index.ts'
import type { IpldValue, LogEntry } from '../../../protocol/state/types.ts'

const cidOf = (value: unknown): CID => CID.createV1(0x71, Digest.create(0x12, sha256(dagCbor.encode(value))))

export const author = cidOf({ test: 'author' })

/** A chain of entries of the given kinds; `envelope.*` get a link, the rest a body. */
export function chain (kinds: readonly string[], body: (i: number) => IpldValue = (i) => ({ i })): LogEntry[] {
  const out: LogEntry[] = []
  let prev: CID | null = null
  kinds.forEach((kind, seq) => {
    const payload = kind.startsWith('envelope.') ? { link: cidOf({ envelope: seq }) } : { body: body(seq) }
    const fields = { v: 1 as const, seq, prev, clock: seq + 1, time: 1_700_000_000_000 + seq, kind, author, ...payload }
    const cid = cidOf(fields)
    out.push({ ...fields, cid })
    prev = cid
  })
  return out
}

/** Freezes a value and everything in it, so a reducer that mutates its input throws. */
export function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array) && CID.asCID(value) === null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
