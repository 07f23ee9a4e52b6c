// Frames of `/milagro/log-replica/1.0.0` (replica.ts): one tag byte, then the payload.
//
//   0x00 control    DAG-CBOR map (requests, answers, range header, end)
//   0x01 entry      a log entry block of the author's chain (≤ MAX_ENTRY_BYTES)
//   0x02 linked     the block the previous entry links (an envelope, ≤ MAX_ENVELOPE_BYTES)
//   0x03 identity   an identity document the author's envelopes name (≤ MAX_IDENTITY_BYTES)
//
// Blocks travel as their bytes only: the receiver computes every CID itself (an entry's from its
// bytes, a linked block's from the entry's link, a document's from its bytes), so nothing on the
// wire names a block it does not hash to. Control messages:
//   request   { v: 1, op: 'head' | 'fetch' | 'push', author: CID, from?: seq }
//   answer    { ok: true, head: { seq, cid } | null }
//             { ok: false, reason, message, problem?: { code, seq, cid?, message } }
//   range     { from: seq, prev: CID | null }      (push: where the range attaches)
//   end       { end: true }
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { MAX_ENVELOPE_BYTES, MAX_IDENTITY_BYTES } from '../../protocol/index.ts'
import { MAX_ENTRY_BYTES } from '../../storage/index.ts'
import { ProtocolViolationError } from './errors.ts'

export const REPLICA_PROTOCOL = '/milagro/log-replica/1.0.0'
/** Largest frame: a linked envelope and its tag. */
export const MAX_REPLICA_FRAME = MAX_ENVELOPE_BYTES + 1
/** Largest range one push may carry (the replica holds it in memory while it verifies it). */
export const MAX_PUSH_BYTES = 32 * 1024 * 1024
export const MAX_PUSH_ENTRIES = 16_384
export const REFUSALS = ['unauthorized', 'not-replica', 'quota', 'no-link', 'rejected', 'too-large'] as const
export type Refusal = typeof REFUSALS[number]
export const OPS = ['head', 'fetch', 'push'] as const
export type Op = typeof OPS[number]

export const TAG = { control: 0, entry: 1, linked: 2, identity: 3 } as const
const LIMITS: Readonly<Record<number, number>> = { [TAG.entry]: MAX_ENTRY_BYTES, [TAG.linked]: MAX_ENVELOPE_BYTES, [TAG.identity]: MAX_IDENTITY_BYTES }

export interface WireHead { readonly seq: number, readonly cid: CID }
export interface WireProblem { readonly code: string, readonly seq: number, readonly cid?: string, readonly message: string }

export interface Request { readonly op: Op, readonly author: CID, readonly from: number }
export type Answer =
  | { readonly ok: true, readonly head: WireHead | null }
  | { readonly ok: false, readonly reason: Refusal, readonly message: string, readonly problem?: WireProblem }

export type Frame =
  | { readonly tag: typeof TAG.control, readonly value: Readonly<Record<string, unknown>> }
  | { readonly tag: typeof TAG.entry | typeof TAG.linked | typeof TAG.identity, readonly bytes: Uint8Array }

function tagged (tag: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1)
  out[0] = tag
  out.set(bytes, 1)
  return out
}

export const controlFrame = (value: Readonly<Record<string, unknown>>): Uint8Array => tagged(TAG.control, dagCbor.encode(value))
export const blockFrame = (tag: typeof TAG.entry | typeof TAG.linked | typeof TAG.identity, bytes: Uint8Array): Uint8Array => tagged(tag, bytes)

export function parseFrame (frame: Uint8Array): Frame {
  const tag = frame[0]
  const body = frame.subarray(1)
  if (tag === TAG.control) {
    let v: unknown
    try {
      v = dagCbor.decode(body)
    } catch (err) {
      throw new ProtocolViolationError('replica control frame is not DAG-CBOR', { cause: err })
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || CID.asCID(v) !== null) throw new ProtocolViolationError('replica control frame is not a map')
    return { tag, value: v as Record<string, unknown> }
  }
  if (tag === TAG.entry || tag === TAG.linked || tag === TAG.identity) {
    if (body.length > (LIMITS[tag] as number)) throw new ProtocolViolationError(`replica frame of tag ${tag} is ${body.length} bytes, over its limit`)
    return { tag, bytes: body }
  }
  throw new ProtocolViolationError(`replica frame has an unknown tag ${String(tag)}`)
}

/** The control message of a frame; anything else is a violation. */
export function control (frame: Uint8Array | null, what: string): Readonly<Record<string, unknown>> {
  if (frame === null) throw new ProtocolViolationError(`replica stream ended before the ${what}`)
  const f = parseFrame(frame)
  if (f.tag !== TAG.control) throw new ProtocolViolationError(`expected the ${what}, got a block`)
  return f.value
}

const isSeq = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0

export function readRequest (v: Readonly<Record<string, unknown>>): Request {
  const author = CID.asCID(v.author)
  if (v.v !== 1 || author === null || !(OPS as readonly unknown[]).includes(v.op)) throw new ProtocolViolationError('replica request lacks v: 1, a known op or the author')
  const from = v.from === undefined ? 0 : v.from
  if (!isSeq(from)) throw new ProtocolViolationError('replica request from is not a seq')
  return { op: v.op as Op, author, from }
}

export function readHead (v: unknown): WireHead | null {
  if (v === null) return null
  const h = v as { seq?: unknown, cid?: unknown } | undefined
  const cid = CID.asCID(h?.cid)
  if (cid === null || !isSeq(h?.seq)) throw new ProtocolViolationError('replica head is malformed')
  return { seq: h.seq, cid }
}

export function readAnswer (v: Readonly<Record<string, unknown>>): Answer {
  if (v.ok === true) return { ok: true, head: readHead(v.head) }
  if (v.ok !== false || !(REFUSALS as readonly unknown[]).includes(v.reason) || typeof v.message !== 'string') throw new ProtocolViolationError('replica answer is malformed')
  const p = v.problem as Record<string, unknown> | undefined
  const problem = p !== undefined && p !== null && typeof p.code === 'string' && isSeq(p.seq) && typeof p.message === 'string'
    ? { code: p.code.slice(0, 64), seq: p.seq, message: p.message.slice(0, 1024), ...(typeof p.cid === 'string' ? { cid: p.cid.slice(0, 128) } : {}) }
    : undefined
  return { ok: false, reason: v.reason as Refusal, message: v.message.slice(0, 1024), ...(problem === undefined ? {} : { problem }) }
}

export function readRange (v: Readonly<Record<string, unknown>>): { from: number, prev: CID | null } {
  const prev = v.prev === null ? null : CID.asCID(v.prev)
  if (!isSeq(v.from) || (prev === null && v.prev !== null)) throw new ProtocolViolationError('replica range header is malformed')
  return { from: v.from, prev }
}

export const headValue = (h: WireHead | null): unknown => h === null ? null : { seq: h.seq, cid: h.cid }
export const refusal = (reason: Refusal, message: string, problem?: WireProblem): Uint8Array =>
  controlFrame({ ok: false, reason, message, ...(problem === undefined ? {} : { problem: { ...problem } }) })
