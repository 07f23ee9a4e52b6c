import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { verify } from '../../crypto/index.ts'
import {
  cidOfBlock, decodeEntry, encodeEntry, LOG_ENTRY_SIGNATURE_CONTEXT, MAX_ENTRY_BYTES, signingMessage, type EntryFields
} from '../../storage/entry.ts'
import { golden } from '../golden.ts'
import { hex, toHex } from '../vectors.ts'
import { alice } from './fixture.ts'

const author = alice.identity.cid
const genesis: EntryFields = { v: 1, seq: 0, prev: null, clock: 1, time: 1_700_000_000_000, kind: 'key.event', body: { event: 'generated', key: 'custody', public: new Uint8Array(33).fill(2) }, author }

function signed (f: EntryFields) {
  return encodeEntry(f, alice.signer.sign(signingMessage(f)))
}

function reencode (bytes: Uint8Array, change: (m: Record<string, unknown>) => void): Uint8Array {
  const m = dagCbor.decode(bytes) as Record<string, unknown>
  change(m)
  return dagCbor.encode(m)
}

function rejects (bytes: Uint8Array, pattern: RegExp, expected?: CID): void {
  try {
    decodeEntry(bytes, expected)
  } catch (e) {
    assert.is((e as Error).name, 'MalformedEntryError')
    assert.match((e as Error).message, pattern)
    return
  }
  assert.unreachable(`accepted; expected ${String(pattern)}`)
}

test('golden vector: a signed genesis entry and an unsigned successor', () => {
  const e0 = signed(genesis)
  const e1 = encodeEntry({ v: 1, seq: 1, prev: e0.cid, clock: 7, time: 1_700_000_000_001, kind: 'envelope.sent', link: author, author })
  const actual = {
    author: author.toString(),
    entries: [e0, e1].map((e) => ({ bytes: toHex(e.bytes), cid: e.cid.toString(), signingMessage: toHex(signingMessage(e)) }))
  }
  const expected = golden('log-entry-v1.json', actual)
  assert.equal(actual, expected)
  for (const x of expected.entries) {
    const d = decodeEntry(hex(x.bytes), CID.parse(x.cid))
    assert.is(toHex(signingMessage(d)), x.signingMessage)
  }
})

test('the signature covers context ‖ 0x00 ‖ canonical bytes without sig, and verifies', () => {
  const e = signed(genesis)
  const msg = signingMessage(e)
  const ctx = new TextEncoder().encode(LOG_ENTRY_SIGNATURE_CONTEXT)
  assert.is(toHex(msg.subarray(0, ctx.length)), toHex(ctx))
  assert.is(msg[ctx.length], 0)
  const unsigned = encodeEntry(genesis)
  assert.is(toHex(msg.subarray(ctx.length + 1)), toHex(unsigned.bytes))
  assert.ok(e.sig !== undefined && verify(alice.signer.publicKey, msg, e.sig))
  assert.ok(!e.cid.equals(unsigned.cid), 'the CID covers the signature')
})

test('decode(encode(x)) round-trips and the CID is CIDv1 dag-cbor sha2-256 of the bytes', () => {
  const e = signed(genesis)
  const d = decodeEntry(e.bytes)
  assert.ok(d.cid.equals(e.cid))
  assert.ok(d.cid.equals(cidOfBlock(e.bytes)))
  assert.is(d.cid.version, 1)
  assert.is(d.cid.code, 0x71)
  assert.is(d.cid.multihash.code, 0x12)
  assert.equal(d.body, genesis.body)
  assert.equal(d.sig, e.sig)
  assert.ok(decodeEntry(e.bytes, e.cid).cid === e.cid)
})

test('bytes that do not hash to the expected CID are rejected', () => {
  const e = signed(genesis)
  const other = encodeEntry({ ...genesis, time: genesis.time + 1 })
  rejects(e.bytes, /does not hash/, other.cid)
})

test('every single-byte flip is rejected (hash) or, without an expected CID, typed', () => {
  const e = signed(genesis)
  for (let i = 0; i < e.bytes.length; i++) {
    const bad = Uint8Array.from(e.bytes)
    bad[i]! ^= 0x01
    rejects(bad, /does not hash/, e.cid)
    try {
      const d = decodeEntry(bad)
      // Some flips inside the body or sig still decode: then the signature no longer verifies.
      assert.ok(d.sig === undefined || !verify(alice.signer.publicKey, signingMessage(d), d.sig), `flip ${i} kept a valid signature`)
    } catch (err) {
      assert.is((err as Error).name, 'MalformedEntryError', `flip ${i}`)
    }
  }
})

test('field rules: version, unknown and missing fields, body xor link, kinds, genesis prev', () => {
  const e = encodeEntry(genesis)
  rejects(reencode(e.bytes, (m) => { m.v = 2 }), /version 2 is not supported/)
  rejects(reencode(e.bytes, (m) => { m.extra = 1 }), /unknown field 'extra'/)
  rejects(reencode(e.bytes, (m) => { delete m.clock }), /clock must be/)
  rejects(reencode(e.bytes, (m) => { m.link = author }), /exactly one of body and link/)
  rejects(reencode(e.bytes, (m) => { delete m.body }), /exactly one of body and link/)
  rejects(reencode(e.bytes, (m) => { m.kind = 'Bad Kind' }), /kind is not a valid kind/)
  rejects(reencode(e.bytes, (m) => { m.kind = 'envelope.sent' }), /carries a link to the envelope/)
  rejects(reencode(e.bytes, (m) => { m.body = 'x' }), /key.event body must be a map/)
  rejects(reencode(e.bytes, (m) => { m.prev = author }), /genesis entry \(seq 0\) must have prev null/)
  rejects(reencode(e.bytes, (m) => { m.seq = 3 }), /only the genesis entry may have prev null/)
  rejects(reencode(e.bytes, (m) => { m.clock = 0 }), /clock must be at least 1/)
  rejects(reencode(e.bytes, (m) => { m.seq = -1 }), /seq must be a non-negative safe integer/)
  rejects(reencode(e.bytes, (m) => { m.sig = new Uint8Array(63) }), /sig must be 64 bytes/)
  rejects(reencode(e.bytes, (m) => { m.author = CID.createV1(0x55, author.multihash) }), /author must be a CIDv1 dag-cbor sha2-256 link/)
  rejects(reencode(e.bytes, (m) => { m.kind = 'checkpoint'; m.body = { state: author } }), /exactly \{ state, version \}/)
  rejects(dagCbor.encode([1, 2]), /must be a map/)
  rejects(new Uint8Array([0xa1, 0x61]), /not valid DAG-CBOR/)
})

test('non-canonical encodings are rejected', () => {
  const e = encodeEntry(genesis)
  // Same map, the seq written as a 2-byte integer (0x19 0x0000) instead of a 1-byte one.
  const seqKey = Uint8Array.from([0x63, 0x73, 0x65, 0x71])
  const at = Buffer.from(e.bytes).indexOf(Buffer.from(seqKey)) + seqKey.length
  const bad = new Uint8Array([...e.bytes.subarray(0, at), 0x19, 0x00, 0x00, ...e.bytes.subarray(at + 1)])
  rejects(bad, /not valid DAG-CBOR|canonical/)
})

test('size limit: an oversized body is refused on encode and on decode', () => {
  const big = { ...genesis, body: { blob: new Uint8Array(MAX_ENTRY_BYTES) } }
  assert.throws(() => encodeEntry(big), (e: Error) => e.name === 'RangeError')
  rejects(new Uint8Array(MAX_ENTRY_BYTES + 1), /over the limit/)
})

test('encodeEntry refuses a malformed draft with TypeError', () => {
  assert.throws(() => encodeEntry({ ...genesis, time: -1 }), (e: Error) => e.name === 'TypeError' && /time/.test(e.message))
  assert.throws(() => encodeEntry(genesis, new Uint8Array(10)), (e: Error) => e.name === 'TypeError')
})

test.run()
