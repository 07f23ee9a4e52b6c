// The outbox: effects the reducers asked for that the node has not marked done yet.
//
// An entry's effects are written in the same LevelDB batch as the entry itself, so "the entry is
// durable" and "its effects are in the outbox" are one fact. The node executes an effect and then
// marks its key done (the record is deleted). After a crash, `pending()` hands out again exactly
// the effects not marked done — an effect executed but not yet marked is repeated once, under the
// same key, which is why executors must be idempotent per key.
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { seqKey } from './layout.ts'
import type { Effect, KeyedEffect } from './types.ts'

export function outboxKey (seq: number, n: number): string {
  return `${seqKey(seq)}:${n.toString().padStart(4, '0')}`
}

export function encodeOutbox (e: KeyedEffect): Uint8Array {
  return dagCbor.encode({ key: e.key, seq: e.seq, entry: e.entry, effect: e.effect })
}

export function decodeOutbox (bytes: Uint8Array): KeyedEffect {
  const v = dagCbor.decode(bytes) as Record<string, unknown>
  const entry = CID.asCID(v.entry)
  if (typeof v.key !== 'string' || typeof v.seq !== 'number' || entry === null || v.effect === null || typeof v.effect !== 'object') {
    throw new Error('malformed outbox record')
  }
  return { key: v.key, seq: v.seq, entry, effect: v.effect as Effect }
}
