// Fuzzing what node/p2p/ reads from peers: frames (frames.ts FrameReader) over arbitrarily chunked
// streams, delivery acknowledgements (delivery.ts decodeAck), sync hellos and answers (sync.ts),
// identity requests (identity-protocol.ts) and gossipsub announcements (directory.ts), and the
// whole receive path (inbound.ts Inbound.receive) on batches mixing garbage, edited envelopes,
// envelopes for others, replays and valid ones. Parsers may refuse only with the protocol's typed
// errors; the receive path must never throw, and answers one verdict per frame.
import type { MessageStream, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { CID } from 'multiformats/cid'
import { seal, type DecodedEnvelope } from '../../protocol/index.ts'
import { silentLogger } from '../../node/logger.ts'
import { decodeAck, encodeAck } from '../../node/p2p/delivery.ts'
import type { DirectoryEntry } from '../../node/p2p/directory.ts'
import { parseAnnouncement } from '../../node/p2p/directory.ts'
import { IdentityNotFoundError } from '../../node/p2p/errors.ts'
import { encodeFrames, FrameReader } from '../../node/p2p/frames.ts'
import { parseRequest as parseIdentityRequest } from '../../node/p2p/identity-protocol.ts'
import { DROP_REASONS, Inbound } from '../../node/p2p/inbound.ts'
import { decodeFrame, readAt, readHello } from '../../node/p2p/sync.ts'
import { testNode } from '../fixtures/identities.ts'
import { cidArb, fc, fieldEditArb, ipldArb, mutationsOf, property, tryEncode, typed, typedAsync, type Family } from './fuzz.ts'

const FRAME_ERRORS: ReadonlySet<string> = new Set(['FrameTooLargeError', 'ProtocolViolationError'])
const PROTOCOL_ERRORS: ReadonlySet<string> = new Set(['ProtocolViolationError'])

const stream = (parts: readonly Uint8Array[]): MessageStream => ({ async * [Symbol.asyncIterator] () { yield * parts } }) as unknown as MessageStream

/** Cuts `bytes` at the given points. */
function chunked (bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let prev = 0
  for (const c of [...at, bytes.length]) { out.push(bytes.subarray(prev, c)); prev = c }
  return out
}

async function readAll (reader: FrameReader): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for (let f = await reader.next(); f !== null; f = await reader.next()) out.push(f)
  return out
}

const alice = await testNode('fuzz-alice')
const bob = await testNode('fuzz-bob')
const carol = await testNode('fuzz-carol')
const stranger = await testNode('fuzz-stranger')
const fromAlice = peerIdFromString(alice.identity.doc.peerId)
const toBob = [0, 1, 2, 3].map((i) => seal(alice.sender, [bob.identity], 'test/fuzz', { i }))
const toCarol = seal(alice.sender, [carol.identity], 'test/fuzz', { other: true })
const fromStranger = seal(stranger.sender, [bob.identity], 'test/fuzz', { who: 'stranger' })

/** Bob's receive path over an in-memory directory (alice known, everyone else unknown) and sink. */
function bobInbound (): { inbound: Inbound, held: Set<string> } {
  const held = new Set<string>()
  const entry: DirectoryEntry = { identity: alice.identity, bound: true, addrs: [], supersededBy: null, firstSeen: 0, lastSeen: 0 }
  const inbound = new Inbound({
    directory: {
      resolve: async (cid: CID) => {
        if (cid.equals(alice.identity.cid)) return entry
        throw new IdentityNotFoundError(`unknown ${cid.toString()}`)
      }
    },
    sink: {
      append: async (envelopes: readonly DecodedEnvelope[]) => { for (const e of envelopes) held.add(e.cid.toString()) },
      has: async (cids: readonly CID[]) => cids.map((c) => held.has(c.toString()))
    },
    logger: silentLogger(),
    self: () => bob.identity.cid
  }, { rateLimit: { perSecond: 1_000, burst: 40 } })
  return { inbound, held }
}

const frameArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.constantFrom(...toBob.map((e) => e.bytes)),
  fc.constantFrom(toCarol.bytes, fromStranger.bytes),
  fc.constantFrom(...toBob).chain((e) => mutationsOf(e.bytes))
)

export const properties: Family = [
  property('FrameReader: any bytes, any chunking, any limit: frames or a typed error', 300, fc.record({ bytes: fc.uint8Array({ maxLength: 400 }), cuts: fc.array(fc.nat(), { maxLength: 8 }), max: fc.integer({ min: 0, max: 300 }) }), async (r) => {
    await typedAsync(FRAME_ERRORS, async () => await readAll(new FrameReader(stream(chunked(r.bytes, r.cuts)), r.max)))
  }),
  property('FrameReader: well-formed frames, chunked anyhow, come back exactly', 200, fc.record({ frames: fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), cuts: fc.array(fc.nat(), { maxLength: 10 }) }), async (r) => {
    const got = await readAll(new FrameReader(stream(chunked(encodeFrames(r.frames), r.cuts)), 200))
    if (got.length !== r.frames.length || got.some((f, i) => Buffer.compare(f, r.frames[i] as Uint8Array) !== 0)) throw new Error('frames changed on the way')
  }),
  property('decodeAck: arbitrary bytes and maps are refused with ProtocolViolationError', 300, fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.record({ c: fc.option(cidArb), r: fc.oneof(ipldArb, fc.constantFrom(...DROP_REASONS)), d: ipldArb }).map((m) => tryEncode(m) ?? new Uint8Array(0)),
    mutationsOf(encodeAck({ cid: toBob[0]!.cid, reason: null, duplicate: false }))
  ), (b) => { typed(PROTOCOL_ERRORS, () => decodeAck(b)) }),
  property('sync: hellos and answers of any shape are refused with ProtocolViolationError', 300, fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    ipldArb.map((v) => tryEncode(v) ?? new Uint8Array(0)),
    fc.array(fieldEditArb(['v', 'id', 'head', 'probe', 'at']), { minLength: 1, maxLength: 3 }).map((edits) => {
      let m: Record<string, unknown> = { v: 1, id: alice.identity.cid, head: { seq: 3, cid: toBob[0]!.cid }, probe: 2, at: null }
      for (const e of edits) m = e(m)
      return tryEncode(m) ?? new Uint8Array(0)
    })
  ), (b) => {
    const f = typed(PROTOCOL_ERRORS, () => decodeFrame(b))
    if (f instanceof Error) return
    typed(PROTOCOL_ERRORS, () => readHello(f))
    typed(PROTOCOL_ERRORS, () => readAt(f))
  }),
  property('identity requests of any shape are refused with ProtocolViolationError', 300, fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.record({ v: ipldArb, want: fc.oneof(ipldArb, cidArb) }).map((m) => tryEncode(m) ?? new Uint8Array(0))
  ), (b) => { typed(PROTOCOL_ERRORS, () => parseIdentityRequest(b)) }),
  property('identity announcements of any shape never throw (malformed: null)', 300, fc.record({ data: fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.record({ v: ipldArb, id: fc.oneof(ipldArb, cidArb) }).map((m) => tryEncode(m) ?? new Uint8Array(0))), signed: fc.boolean() }), (r) => {
    const msg = { type: r.signed ? 'signed' : 'unsigned', topic: 'milagro/identity/1', data: r.data, from: fromAlice, sequenceNumber: 1n, signature: new Uint8Array(64), key: undefined }
    typed(new Set<string>(), () => parseAnnouncement(msg as unknown as Parameters<typeof parseAnnouncement>[0]))
  }),
  property('Inbound.receive: any batch gets one verdict per frame, never throws, appends only valid envelopes for this node', 150, fc.array(fc.array(frameArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 6 }), async (batches) => {
    const { inbound, held } = bobInbound()
    const valid = new Set(toBob.map((e) => e.cid.toString()))
    for (const frames of batches) {
      const verdicts = await inbound.receive(frames, fromAlice as PeerId)
      if (verdicts.length !== frames.length) throw new Error(`${frames.length} frames, ${verdicts.length} verdicts`)
      verdicts.forEach((v, i) => {
        if (v.reason !== null && !(DROP_REASONS as readonly string[]).includes(v.reason)) throw new Error(`unknown drop reason ${v.reason}`)
        if (v.accepted && !valid.has(v.cid.toString())) throw new Error(`accepted frame ${i}, which is not a valid envelope for bob`)
        if (v.accepted === (v.reason !== null)) throw new Error('a verdict is both accepted and dropped, or neither')
      })
    }
    for (const c of held) if (!valid.has(c)) throw new Error(`appended ${c}`)
    const s = inbound.stats()
    if (s.received !== held.size) throw new Error(`received ${s.received}, held ${held.size}`)
  })
]
