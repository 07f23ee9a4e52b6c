import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { createIdentity, decodeIdentity, MAX_IDENTITY_BYTES, verifyRotation } from '../../protocol/identity.ts'
import { cidOf, encode } from '../../protocol/codec.ts'
import { Signer } from '../../crypto/index.ts'
import { testNode } from '../fixtures/identities.ts'
import { golden } from '../golden.ts'
import { hex, toHex } from '../vectors.ts'

const TYPED = new Set(['MalformedError', 'InvalidSignatureError', 'UnsupportedVersionError', 'OversizedError', 'IdentityMismatchError'])

const alice = await testNode('alice')
const sample = alice.identity

function mutate (change: (doc: Record<string, unknown>) => void): Uint8Array {
  const doc = dagCbor.decode(sample.bytes) as Record<string, unknown>
  change(doc)
  return encode(doc)
}

function rejects (bytes: Uint8Array, name: string, expected?: CID): void {
  assert.throws(() => decodeIdentity(bytes, expected), (e: Error) => e.name === name, `expected ${name}`)
}

test('golden vector: fixed keys give exactly these bytes and this CID', () => {
  const actual = { name: 'alice', created: 1_700_000_000_000, bytes: toHex(sample.bytes), cid: sample.cid.toString() }
  const expected = golden('identity-v1.json', actual)
  assert.equal(actual, expected)
  const decoded = decodeIdentity(hex(expected.bytes), CID.parse(expected.cid))
  assert.is(decoded.doc.name, 'alice')
})

test('decode(create(x)) round-trips, CID is CIDv1 dag-cbor sha2-256 of the bytes', () => {
  const d = decodeIdentity(sample.bytes)
  assert.ok(d.cid.equals(sample.cid))
  assert.ok(d.cid.equals(cidOf(sample.bytes)))
  assert.is(d.cid.version, 1)
  assert.is(d.cid.code, 0x71)
  assert.is(d.doc.supersedes, null)
  assert.is(toHex(d.doc.signingKey), toHex(alice.signer.publicKey))
})

test('every single-byte flip is rejected with a typed error', () => {
  for (let i = 0; i < sample.bytes.length; i++) {
    for (const mask of [0x01, 0x80]) {
      const bad = Uint8Array.from(sample.bytes)
      bad[i]! ^= mask
      try {
        decodeIdentity(bad)
        assert.unreachable(`flip of byte ${i} was accepted`)
      } catch (e) {
        assert.ok(TYPED.has((e as Error).name), `byte ${i}: untyped ${(e as Error).name}: ${(e as Error).message}`)
      }
    }
  }
})

test('truncation at every length is rejected', () => {
  for (let n = 0; n < sample.bytes.length; n++) {
    assert.throws(() => decodeIdentity(sample.bytes.subarray(0, n)), (e: Error) => e.name === 'MalformedError')
  }
})

test('wrong version, unknown or missing field, wrong key lengths, bad keys', () => {
  rejects(mutate((d) => { d.v = 2 }), 'UnsupportedVersionError')
  rejects(mutate((d) => { d.extra = 1 }), 'MalformedError')
  rejects(mutate((d) => { delete d.peerId }), 'MalformedError')
  rejects(mutate((d) => { d.signingKey = (d.signingKey as Uint8Array).subarray(1) }), 'MalformedError')
  rejects(mutate((d) => { d.encryptionKey = new Uint8Array(33) }), 'MalformedError')
  rejects(mutate((d) => { d.custodyKey = Uint8Array.from([2, ...new Uint8Array(32).fill(3)]) }), 'MalformedError') // x = 0x0303.. is not on the curve
  rejects(mutate((d) => { d.peerId = '12D3KooWnotapeerid' }), 'MalformedError')
  rejects(mutate((d) => { d.name = 'bad\u0000name' }), 'MalformedError')
  rejects(mutate((d) => { d.created = -1 }), 'MalformedError')
  rejects(mutate((d) => { d.supersedes = sample.cid }), 'MalformedError') // supersedes without endorsement
  rejects(mutate((d) => { d.name = 'mallory' }), 'InvalidSignatureError')
})

test('oversized input is rejected before parsing; non-canonical encodings are rejected', () => {
  rejects(new Uint8Array(MAX_IDENTITY_BYTES + 1), 'OversizedError')
  // `v: 1` re-encoded with a non-minimal integer (0x18 0x01 instead of 0x01)
  const at = Buffer.from(sample.bytes).indexOf(Buffer.from('617601', 'hex'))
  assert.ok(at >= 0, 'sample encodes v: 1 minimally')
  const nonMinimal = Uint8Array.from([...sample.bytes.subarray(0, at + 2), 0x18, 0x01, ...sample.bytes.subarray(at + 3)])
  rejects(nonMinimal, 'MalformedError')
  // a map with trailing garbage
  rejects(Uint8Array.from([...sample.bytes, 0]), 'MalformedError')
})

test('expected CID mismatch is IdentityMismatchError', async () => {
  const bob = await testNode('bob')
  rejects(sample.bytes, 'IdentityMismatchError', bob.identity.cid)
})

test('createIdentity refuses a signer that does not hold the signing key', async () => {
  const bob = await testNode('bob')
  assert.throws(() => createIdentity({ ...alice.identity.doc }, bob.signer), (e: Error) => e.name === 'InvalidKeyError')
})

test('rotation: endorsed by the old key verifies; a forged endorsement does not', async () => {
  const next = await testNode('alice', 1_700_000_100_000, alice, 1)
  assert.ok(next.identity.doc.supersedes?.equals(alice.identity.cid))
  verifyRotation(next.identity, alice.identity)
  // Mallory makes a document claiming to supersede alice, endorsed by her own key.
  const mallory = await testNode('mallory')
  const forged = createIdentity({ ...next.identity.doc }, next.signer, { previous: { identity: { ...alice.identity, doc: { ...alice.identity.doc, signingKey: mallory.signer.publicKey } }, signer: mallory.signer } })
  assert.throws(() => verifyRotation(forged, alice.identity), (e: Error) => e.name === 'InvalidSignatureError')
  // A document that supersedes something else is not a rotation of alice.
  const bob = await testNode('bob')
  assert.throws(() => verifyRotation(next.identity, bob.identity), (e: Error) => e.name === 'IdentityMismatchError')
  // Self-signed documents still need their own key: a random signer cannot mint alice's next identity.
  assert.throws(() => createIdentity({ ...next.identity.doc }, new Signer(new Uint8Array(32).fill(9))), (e: Error) => e.name === 'InvalidKeyError')
})

test.run()
