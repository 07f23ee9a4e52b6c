// Parties, keys and log entries for the threshold protocol tests: real CIDs and points, no
// documents (the reducer needs none), deterministic values.
import * as dagCbor from '@ipld/dag-cbor'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from '../../../crypto/index.ts'
import type { MessageEnvelope } from '../../../protocol/threshold/decode.ts'
import { factEntry } from '../../../protocol/threshold/facts.ts'
import type { LogEntry } from '../../../protocol/state/types.ts'
import type { ThresholdFact, ThresholdMessageType } from '../../../protocol/threshold/types.ts'

export const cidOf = (value: unknown): CID => CID.createV1(0x71, Digest.create(0x12, sha256(dagCbor.encode(value))))

export const T0 = 1_700_000_000_000
export const PHASE = 5_000

export const ids = {
  principal: cidOf({ party: 'principal' }),
  beneficiary: cidOf({ party: 'beneficiary' }),
  f1: cidOf({ party: 'f1' }),
  f2: cidOf({ party: 'f2' }),
  f3: cidOf({ party: 'f3' }),
  f4: cidOf({ party: 'f4' }),
  mallory: cidOf({ party: 'mallory' })
}

/** A valid compressed point: k·G. */
export function point (k: number): Uint8Array {
  return secp256k1.getPublicKey(sha256(Uint8Array.of(k)), true)
}

export const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

let n = 0

export function envelope (type: ThresholdMessageType, from: CID, recipients: readonly CID[], thread: CID | null, time = T0): MessageEnvelope {
  return { cid: cidOf({ type, n: n++ }), header: { type, sender: from, recipients, thread, time } }
}

/** A fresh envelope CID. */
export function cid (label: string): CID {
  return cidOf({ label, n: n++ })
}

let seq = 0

/** An entry recording `fact`, authored by `author` (through DAG-CBOR, as the log stores it). */
export function entry (fact: ThresholdFact, author: CID): LogEntry {
  const { kind, body } = factEntry(fact)
  const fields = { v: 1 as const, seq, prev: seq === 0 ? null : cidOf({ seq: seq - 1 }), clock: seq + 1, time: T0 + seq, kind, author, body }
  seq++
  const decoded = dagCbor.decode(dagCbor.encode(fields)) as typeof fields
  return { ...decoded, cid: cidOf(fields) }
}

export function fakeHandle (label: string): string {
  return `ks1:generic:${Buffer.from(sha256(new TextEncoder().encode(label)).subarray(0, 16)).toString('base64url')}`
}

export function expectError (fn: () => unknown, name: string): void {
  try {
    fn()
  } catch (err) {
    if ((err as Error).name !== name) throw new Error(`expected ${name}, got ${(err as Error).name}: ${(err as Error).message}`)
    return
  }
  throw new Error(`accepted; expected ${name}`)
}
