import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import {
  decodeEnvelope, ENVELOPE_SIGNATURE_CONTEXT, envelopeSigningMessage, MAX_ENVELOPE_BYTES, MAX_RECIPIENTS, openEnvelope, seal, verifyEnvelope
} from '../../protocol/envelope.ts'
import { encode, signingMessage } from '../../protocol/codec.ts'
import { sha256 } from '../../crypto/index.ts'
import { testNode, type TestNode } from '../fixtures/identities.ts'
import { golden } from '../golden.ts'
import { hex, toHex } from '../vectors.ts'

const TYPED = new Set(['MalformedError', 'InvalidSignatureError', 'UnsupportedVersionError', 'OversizedError',
  'IdentityMismatchError', 'DuplicateRecipientError', 'DecryptionError', 'NotARecipientError'])

const alice = await testNode('alice')
const bob = await testNode('bob')
const carol = await testNode('carol')
const T0 = 1_700_000_000_000

/** Deterministic "randomness" for golden vectors: SHA-256 in counter mode over a label. */
function fixedRandom (label: string): (n: number) => Uint8Array {
  let counter = 0
  return (n) => {
    const out = new Uint8Array(n)
    for (let off = 0; off < n; off += 32) out.set(sha256(new TextEncoder().encode(`${label}/${counter++}`)).subarray(0, n - off), off)
    return out
  }
}

function expectTyped (fn: () => unknown, name?: string): void {
  try {
    fn()
  } catch (e) {
    const err = e as Error
    if (name !== undefined) assert.is(err.name, name, err.message)
    else assert.ok(TYPED.has(err.name), `untyped ${err.name}: ${err.message}`)
    return
  }
  assert.unreachable('accepted')
}

/** Re-signs a modified envelope as `by`, to get past the signature and test the checks behind it. */
function resign (doc: Record<string, unknown>, by: TestNode): Uint8Array {
  const { sig: _sig, ...unsigned } = doc
  return encode({ ...unsigned, sig: by.signer.sign(signingMessage(ENVELOPE_SIGNATURE_CONTEXT, unsigned)) })
}

const body = { order: 'o-1', amount: 42, note: 'hello' }
const sample = seal(alice.sender, [bob.identity], 'custody/order', body, { time: T0, random: fixedRandom('sample') })

test('golden vectors: fixed keys and randomness give exactly these bytes and CIDs', () => {
  const two = seal(alice.sender, [bob.identity, carol.identity], 'custody/order', body, {
    time: T0, clock: 7, random: fixedRandom('two'), thread: sample.cid, prev: [sample.cid]
  })
  const actual = {
    oneRecipient: { bytes: toHex(sample.bytes), cid: sample.cid.toString() },
    twoRecipients: { bytes: toHex(two.bytes), cid: two.cid.toString() }
  }
  const expected = golden('envelope-v1.json', actual)
  assert.equal(actual, expected)
  const opened = openEnvelope(hex(expected.twoRecipients.bytes), alice.identity, carol.recipientKey)
  assert.equal(opened.body, body)
  assert.is(opened.header.clock, 7)
  assert.ok(opened.cid.equals(CID.parse(expected.twoRecipients.cid)))
})

test('seal/open round trip for 1, 5, 32 and 64 recipients; every recipient reads the body', async () => {
  for (const n of [1, 5, 32, MAX_RECIPIENTS]) {
    const nodes = await Promise.all(Array.from({ length: n }, (_, i) => testNode(`r${i}`)))
    const env = seal(alice.sender, nodes.map((x) => x.identity), 'test/msg', body)
    const decoded = decodeEnvelope(env.bytes)
    assert.ok(decoded.cid.equals(env.cid))
    for (const r of [nodes[0]!, nodes[n - 1]!]) {
      const opened = openEnvelope(env.bytes, alice.identity, r.recipientKey)
      assert.equal(opened.body, body)
      assert.is(opened.header.type, 'test/msg')
      assert.is(opened.header.recipients.length, n)
    }
  }
})

test('the signed bytes and the signed message are those of encoding the maps, whatever the ciphertext length (byte-string heads of 1, 2, 3 and 5 bytes)', () => {
  // ct = body + 16-byte tag: bodies sized so that ct lands on each side of 24, 256 and 65,536 bytes.
  for (const ctLength of [17, 23, 24, 25, 255, 256, 257, 65_535, 65_536, 65_537, 200_000]) {
    // The body is a text string: its CBOR head is 1, 2, 3 or 5 bytes; ct is its encoding plus the 16-byte tag.
    const head = (n: number): number => n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5
    const n = [1, 2, 3, 5].map((h) => ctLength - 16 - h).find((m) => m >= 0 && m + head(m) === ctLength - 16) as number
    const text = 'x'.repeat(n)
    const e = seal(alice.sender, [bob.identity, carol.identity], 'test/size', text, { time: T0 })
    assert.is(e.ct.length, ctLength, `body of ${text.length} characters`)
    const value = dagCbor.decode(e.bytes) as Record<string, unknown>
    assert.equal(e.bytes, encode(value), 'the sealed bytes are the canonical encoding of the signed map')
    const { sig: _sig, ...unsigned } = value
    assert.equal(envelopeSigningMessage(e), signingMessage(ENVELOPE_SIGNATURE_CONTEXT, unsigned), 'the signed message is the canonical encoding of the map without sig')
    assert.equal(envelopeSigningMessage(decodeEnvelope(e.bytes)), signingMessage(ENVELOPE_SIGNATURE_CONTEXT, unsigned))
    verifyEnvelope(e.bytes, alice.identity)
  }
})

test('property: any DAG-CBOR-safe body round-trips', () => {
  fc.assert(fc.property(fc.record({ s: fc.string(), n: fc.integer(), b: fc.uint8Array({ maxLength: 2000 }), l: fc.array(fc.boolean()) }, { noNullPrototype: true }), (b) => {
    const env = seal(alice.sender, [bob.identity], 'test/msg', b)
    assert.equal(openEnvelope(env.bytes, alice.identity, bob.recipientKey).body, b)
  }), { numRuns: 100 })
})

test('a non-recipient can verify but not open; a wrong key cannot decrypt', () => {
  verifyEnvelope(sample.bytes, alice.identity)
  expectTyped(() => openEnvelope(sample.bytes, alice.identity, carol.recipientKey), 'NotARecipientError')
  expectTyped(() => openEnvelope(sample.bytes, alice.identity, { identity: bob.identity.cid, encryptionSecretKey: carol.encryptionSecretKey }), 'DecryptionError')
})

test('the wrong sender document is IdentityMismatchError; a forged signature is InvalidSignatureError', () => {
  expectTyped(() => verifyEnvelope(sample.bytes, carol.identity), 'IdentityMismatchError')
  const doc = dagCbor.decode(sample.bytes) as Record<string, unknown>
  // Mallory (carol) re-signs alice's envelope with her own key: the sender field still says alice.
  expectTyped(() => verifyEnvelope(resign(doc, carol), alice.identity), 'InvalidSignatureError')
})

test('every single-byte flip of an envelope fails open with a typed error', () => {
  for (let i = 0; i < sample.bytes.length; i++) {
    const bad = Uint8Array.from(sample.bytes)
    bad[i]! ^= 0x01
    expectTyped(() => openEnvelope(bad, alice.identity, bob.recipientKey))
    bad[i]! ^= 0x81
    expectTyped(() => openEnvelope(bad, alice.identity, bob.recipientKey))
  }
})

test('truncated, oversized, trailing bytes, unknown version', () => {
  for (let n = 0; n < sample.bytes.length; n += 3) expectTyped(() => decodeEnvelope(sample.bytes.subarray(0, n)), 'MalformedError')
  expectTyped(() => decodeEnvelope(new Uint8Array(MAX_ENVELOPE_BYTES + 1)), 'OversizedError')
  expectTyped(() => decodeEnvelope(Uint8Array.from([...sample.bytes, 0])), 'MalformedError')
  const doc = dagCbor.decode(sample.bytes) as Record<string, unknown>
  expectTyped(() => decodeEnvelope(resign({ ...doc, v: 2 }, alice)), 'UnsupportedVersionError')
  expectTyped(() => decodeEnvelope(resign({ ...doc, extra: 1 }, alice)), 'MalformedError')
})

test('duplicate recipients: refused at seal and at decode', () => {
  expectTyped(() => seal(alice.sender, [bob.identity, bob.identity], 'test/msg', body), 'DuplicateRecipientError')
  const two = seal(alice.sender, [bob.identity, carol.identity], 'test/msg', body)
  const doc = dagCbor.decode(two.bytes) as Record<string, unknown>
  const forged = resign({ ...doc, recipients: [bob.identity.cid, bob.identity.cid] }, alice)
  expectTyped(() => decodeEnvelope(forged), 'DuplicateRecipientError')
})

test('too many recipients, bad type, oversized body are refused at seal', async () => {
  const many = await Promise.all(Array.from({ length: MAX_RECIPIENTS + 1 }, (_, i) => testNode(`m${i}`)))
  assert.throws(() => seal(alice.sender, many.map((x) => x.identity), 'test/msg', body), RangeError)
  assert.throws(() => seal(alice.sender, [bob.identity], 'Bad Type', body), RangeError)
  assert.throws(() => seal(alice.sender, [bob.identity], 'test/msg', body, { clock: -1 }), RangeError)
  expectTyped(() => seal(alice.sender, [bob.identity], 'test/msg', new Uint8Array(800 * 1024)), 'OversizedError')
  const doc = dagCbor.decode(sample.bytes) as Record<string, unknown>
  const tooMany = resign({ ...doc, recipients: many.map((x) => x.identity.cid), keys: many.map(() => (doc.keys as Uint8Array[])[0]) }, alice)
  expectTyped(() => decodeEnvelope(tooMany), 'MalformedError')
})

test('key slots are bound to their recipient and header; bodies to their header', () => {
  const two = seal(alice.sender, [bob.identity, carol.identity], 'test/msg', body)
  const doc = dagCbor.decode(two.bytes) as Record<string, unknown>
  const keys = doc.keys as Uint8Array[]
  // Swap the slots (alice is honest about signing, but the slots no longer match their recipients).
  const swapped = resign({ ...doc, keys: [keys[1], keys[0]] }, alice)
  expectTyped(() => openEnvelope(swapped, alice.identity, bob.recipientKey), 'DecryptionError')
  // Move a body and its key slot under another header (different type): the AAD no longer matches.
  const moved = resign({ ...doc, type: 'test/other' }, alice)
  expectTyped(() => openEnvelope(moved, alice.identity, bob.recipientKey), 'DecryptionError')
})

test('a signature verified before is not taken for changed fields or another signature of the same bytes', () => {
  const e = decodeEnvelope(sample.bytes)
  verifyEnvelope(e, alice.identity)
  verifyEnvelope(e, alice.identity) // the kept verification
  // Same bytes and CID, but a field that differs from what was signed: verified on its own merits.
  expectTyped(() => verifyEnvelope({ ...e, header: { ...e.header, time: e.header.time + 1 } }, alice.identity), 'InvalidSignatureError')
  const sig = Uint8Array.from(e.sig)
  sig[5]! ^= 0x01
  expectTyped(() => verifyEnvelope({ ...e, sig }, alice.identity), 'InvalidSignatureError')
  expectTyped(() => verifyEnvelope({ ...e, sig }, alice.identity), 'InvalidSignatureError') // a failure is not kept either way
  expectTyped(() => verifyEnvelope(e, carol.identity), 'IdentityMismatchError')
})

test.run()
