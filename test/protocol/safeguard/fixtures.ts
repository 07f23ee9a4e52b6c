// Parties, terms and log entries for the safeguard protocol tests: real CIDs, no documents (the
// reducer needs none), deterministic values.
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from '../../../crypto/index.ts'
import { factEntry } from '../../../protocol/safeguard/facts.ts'
import type { MessageEnvelope } from '../../../protocol/safeguard/messages.ts'
import type { DepositTerms, SafeguardFact, SafeguardMessageType } from '../../../protocol/safeguard/types.ts'
import type { LogEntry } from '../../../protocol/state/types.ts'

export const cidOf = (value: unknown): CID => CID.createV1(0x71, Digest.create(0x12, sha256(dagCbor.encode(value))))

export const T0 = 1_700_000_000_000

export const ids = {
  principal: cidOf({ party: 'principal' }),
  beneficiary: cidOf({ party: 'beneficiary' }),
  f0: cidOf({ party: 'f0' }),
  f1: cidOf({ party: 'f1' }),
  f2: cidOf({ party: 'f2' }),
  approver: cidOf({ party: 'approver' }),
  mallory: cidOf({ party: 'mallory' })
}

export const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)

/** 2-of-3 terms with fixed commitments. */
export function terms (changes: Partial<DepositTerms> = {}): DepositTerms {
  return {
    beneficiary: ids.beneficiary,
    fiduciaries: [ids.f0, ids.f1, ids.f2],
    threshold: 2,
    size: 100,
    salt: bytes(32, 1),
    commitment: bytes(32, 2),
    shares: [bytes(32, 3), bytes(32, 4), bytes(32, 5)],
    requesters: 'principal',
    delayMs: 0,
    approver: null,
    label: 'test',
    ...changes
  }
}

let n = 0

export function envelope (type: SafeguardMessageType, from: CID, recipients: readonly CID[], thread: CID | null, time = T0): MessageEnvelope {
  return { cid: cidOf({ type, n: n++ }), header: { type, sender: from, recipients, thread, time } }
}

let seq = 0

/** An entry recording `fact`, authored by `author`. */
export function entry (fact: SafeguardFact, author: CID): LogEntry {
  const { kind, body } = factEntry(fact)
  const fields = { v: 1 as const, seq, prev: seq === 0 ? null : cidOf({ seq: seq - 1 }), clock: seq + 1, time: T0 + seq, kind, author, body }
  seq++
  // Through DAG-CBOR, as the log stores it.
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
