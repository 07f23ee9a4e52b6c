// Figures for envelopes and identity documents: ours (node:crypto / OpenSSL) beside the same
// format done with pure-JS primitives (simulations/peers/noble-envelope.ts) as the peer.
import { createHash } from 'node:crypto'
import { openEnvelope, seal } from '../../protocol/envelope.ts'
import { decodeIdentity } from '../../protocol/identity.ts'
import { nobleOpen, nobleSeal, nobleVerifyIdentity } from '../peers/noble-envelope.ts'
import { testNode } from '../../test/fixtures/identities.ts'
import { opsPerSecond } from '../measure.ts'
import type { Report } from '../bench.ts'

export const figures = ['envelope.', 'identity.']

export async function bench (report: Report): Promise<void> {
  const alice = await testNode('alice')
  const recipients = await Promise.all(['r0', 'r1', 'r2', 'r3', 'r4'].map((n) => testNode(n)))
  const bob = recipients[0]!
  const aliceSeed = new Uint8Array(createHash('sha256').update('milagro test fixture/ed25519/alice').digest())
  const body = { order: 'bench', payload: new Uint8Array(200) }
  const nobleSender = { cid: alice.identity.cid, signingSecretKey: aliceSeed }
  const nobleRecipients = recipients.map((r) => ({ cid: r.identity.cid, encryptionKey: r.identity.doc.encryptionKey }))
  const t = 1_700_000_000_000

  const ours1 = opsPerSecond(() => seal(alice.sender, [bob.identity], 'bench/msg', body, { time: t }))
  const peer1 = opsPerSecond(() => nobleSeal(nobleSender, nobleRecipients.slice(0, 1), 'bench/msg', body, t))
  report({ name: 'envelope.seal', value: ours1, unit: 'ops/s', peer: '@noble pure-JS', peerValue: peer1 })

  const ours5 = opsPerSecond(() => seal(alice.sender, recipients.map((r) => r.identity), 'bench/msg', body, { time: t }))
  const peer5 = opsPerSecond(() => nobleSeal(nobleSender, nobleRecipients, 'bench/msg', body, t))
  report({ name: 'envelope.seal.5', value: ours5, unit: 'ops/s', peer: '@noble pure-JS', peerValue: peer5 })

  const env = seal(alice.sender, [bob.identity], 'bench/msg', body, { time: t }).bytes
  const oursOpen = opsPerSecond(() => openEnvelope(env, alice.identity, bob.recipientKey))
  const peerOpen = opsPerSecond(() => nobleOpen(env, alice.identity.doc.signingKey, { cid: bob.identity.cid, encryptionSecretKey: bob.encryptionSecretKey }))
  report({ name: 'envelope.open', value: oursOpen, unit: 'ops/s', peer: '@noble pure-JS', peerValue: peerOpen })

  const idBytes = alice.identity.bytes
  const oursId = opsPerSecond(() => decodeIdentity(idBytes))
  const peerId = opsPerSecond(() => nobleVerifyIdentity(idBytes))
  report({ name: 'identity.verify', value: oursId, unit: 'ops/s', peer: '@noble pure-JS', peerValue: peerId })
}
