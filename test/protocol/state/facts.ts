// Log entries carrying custody facts, for the role reducer tests: real CIDs, any author.
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from '../../../crypto/index.ts'
import { factEntry, type CustodyFact, type OrderFact } from '../../../protocol/custody/index.ts'
import type { LogEntry } from '../../../protocol/state/types.ts'
import { deepFreeze } from './entries.ts'

export const cidOf = (value: unknown): CID => CID.createV1(0x71, Digest.create(0x12, sha256(dagCbor.encode(value))))

/** Identity CIDs of test parties (no documents needed by the reducers). */
export const ids = {
  principal: cidOf({ party: 'principal' }),
  beneficiary: cidOf({ party: 'beneficiary' }),
  fiduciary: cidOf({ party: 'fiduciary' }),
  mallory: cidOf({ party: 'mallory' })
}

let seq = 0

/** A frozen entry recording `fact`, authored by `author`. */
export function factLogEntry (fact: CustodyFact, author: CID): LogEntry {
  const { kind, body } = factEntry(fact)
  const fields = { v: 1 as const, seq: seq, prev: seq === 0 ? null : cidOf({ seq: seq - 1 }), clock: seq + 1, time: 1_700_000_000_000 + seq, kind, author, body }
  seq++
  return deepFreeze({ ...fields, cid: cidOf(fields) })
}

/** The order fact as every party records it. */
export function orderFact (order = cidOf({ order: 1 })): OrderFact {
  return { kind: 'custody.order', order, envelope: order, from: ids.principal, time: 1_700_000_000_000, beneficiary: ids.beneficiary, fiduciary: ids.fiduciary, network: 'mainnet' }
}
