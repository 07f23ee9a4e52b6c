// `/milagro/identity/1.0.0`: ask a connected peer for its identity document directly, without
// waiting for a gossipsub announcement or a bitswap round.
//
//   request  frame: DAG-CBOR { v: 1, want: CID | null }   (null: your current document)
//   response frame: the document's bytes, or an empty frame when the peer does not hold it
//
// A peer answers only with documents of its own (its current identity and the ones it
// superseded). The asker verifies everything (directory.ts): the answer is only a hint.
import * as dagCbor from '@ipld/dag-cbor'
import type { AbortOptions, PeerId, Stream } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import { MAX_IDENTITY_BYTES, type VerifiedIdentity } from '../../protocol/index.ts'
import { ProtocolViolationError } from './errors.ts'
import { FrameReader, writeFrames } from './frames.ts'
import type { Peer } from './libp2p.ts'

export const IDENTITY_PROTOCOL = '/milagro/identity/1.0.0'
const MAX_REQUEST_BYTES = 128
const REQUEST_TIMEOUT_MS = 10_000

/** Serves this node's own documents; `own()` lists them, current first. */
export async function handleIdentityProtocol (libp2p: Peer, own: () => readonly VerifiedIdentity[]): Promise<void> {
  await libp2p.handle(IDENTITY_PROTOCOL, async (stream: Stream) => {
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    try {
      const reader = new FrameReader(stream, MAX_REQUEST_BYTES)
      const frame = await reader.next({ signal })
      if (frame === null) throw new ProtocolViolationError('identity request stream ended before the request')
      const want = parseRequest(frame)
      const docs = own()
      const doc = want === null ? docs[0] : docs.find((d) => d.cid.equals(want))
      await writeFrames(stream, [doc?.bytes ?? new Uint8Array(0)], { signal })
      await stream.close({ signal })
    } catch (err) {
      stream.abort(err as Error)
    }
  }, { maxInboundStreams: 8 })
}

export function parseRequest (frame: Uint8Array): CID | null {
  let value: unknown
  try {
    value = dagCbor.decode(frame)
  } catch (err) {
    throw new ProtocolViolationError('identity request is not DAG-CBOR', { cause: err })
  }
  const r = value as { v?: unknown, want?: unknown } | null
  if (r === null || typeof r !== 'object' || r.v !== 1) throw new ProtocolViolationError('identity request has no v: 1')
  if (r.want === null) return null
  const cid = CID.asCID(r.want)
  if (cid === null) throw new ProtocolViolationError('identity request want is not a CID')
  return cid
}

/** Asks `peer` for a document (its current one when `want` is null); undefined if it has none. */
export async function requestIdentity (libp2p: Peer, peer: PeerId, want: CID | null, options: AbortOptions = {}): Promise<Uint8Array | undefined> {
  const signal = options.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  const stream = await libp2p.dialProtocol(peer, IDENTITY_PROTOCOL, { signal })
  try {
    const reader = new FrameReader(stream, MAX_IDENTITY_BYTES)
    await writeFrames(stream, [dagCbor.encode({ v: 1, want })], { signal })
    const frame = await reader.next({ signal })
    await stream.close({ signal })
    if (frame === null) throw new ProtocolViolationError('identity response stream ended before the response')
    return frame.length === 0 ? undefined : frame
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
}
