// Differential test: protocol/envelope.ts (node:crypto) and simulations/peers/noble-envelope.ts
// (pure JS) implement the same format independently; each must open what the other seals.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { openEnvelope, seal } from '../../protocol/envelope.ts'
import { nobleOpen, nobleSeal, nobleVerifyIdentity } from '../../simulations/peers/noble-envelope.ts'
import { testNode } from '../fixtures/identities.ts'
import { createHash } from 'node:crypto'

const alice = await testNode('alice')
const bob = await testNode('bob')
const carol = await testNode('carol')
const aliceSeed = createHash('sha256').update('milagro test fixture/ed25519/alice').digest()
const body = { hello: 'world', n: 7, bytes: new Uint8Array([1, 2, 3]) }

test('ours seals, the pure-JS implementation opens', () => {
  const env = seal(alice.sender, [bob.identity, carol.identity], 'test/msg', body)
  assert.equal(nobleOpen(env.bytes, alice.identity.doc.signingKey, { cid: carol.identity.cid, encryptionSecretKey: carol.encryptionSecretKey }), body)
})

test('the pure-JS implementation seals, ours opens', () => {
  const bytes = nobleSeal({ cid: alice.identity.cid, signingSecretKey: new Uint8Array(aliceSeed) }, [bob.identity, carol.identity].map((i) => ({ cid: i.cid, encryptionKey: i.doc.encryptionKey })), 'test/msg', body, 1_700_000_000_000)
  assert.equal(openEnvelope(bytes, alice.identity, bob.recipientKey).body, body)
  const tampered = Uint8Array.from(bytes); tampered[tampered.length - 70]! ^= 1
  assert.throws(() => openEnvelope(tampered, alice.identity, bob.recipientKey))
})

test('both verify the same identity document to the same CID', () => {
  assert.ok(nobleVerifyIdentity(alice.identity.bytes).equals(alice.identity.cid))
})

test.run()
