// The envelope format implemented a second time on pure-JS primitives (@noble/curves Ed25519 and
// X25519, @noble/hashes HKDF, @noble/ciphers AES-GCM) — same bytes on the wire. It exists for two
// reasons: the benchmark's `peer` figures (what OpenSSL through node:crypto buys over pure JS), and
// a differential test (test/simulations/noble-envelope.test.ts) that the two implementations agree
// on every byte. Not used by the node.
import * as dagCbor from '@ipld/dag-cbor'
import { gcm } from '@noble/ciphers/aes.js'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { expand, extract } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'

const te = new TextEncoder()
const concat = (...p: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(p.reduce((n, x) => n + x.length, 0))
  let o = 0
  for (const x of p) { out.set(x, o); o += x.length }
  return out
}
const i2osp2 = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 0xff)
const HPKE_V1 = te.encode('HPKE-v1')
const KEM_SUITE = concat(te.encode('KEM'), i2osp2(0x20))
const HPKE_SUITE = concat(te.encode('HPKE'), i2osp2(0x20), i2osp2(0x01), i2osp2(0x02))
const EMPTY = new Uint8Array(0)
const INFO = te.encode('milagro/envelope/v1 content-key')
const ZERO_NONCE = new Uint8Array(12)

const labeledExtract = (suite: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array =>
  extract(sha256, concat(HPKE_V1, suite, te.encode(label), ikm), salt)
const labeledExpand = (suite: Uint8Array, prk: Uint8Array, label: string, info: Uint8Array, L: number): Uint8Array =>
  expand(sha256, prk, concat(i2osp2(L), HPKE_V1, suite, te.encode(label), info), L)

function keySchedule (dh: Uint8Array, enc: Uint8Array, pkR: Uint8Array): { key: Uint8Array, nonce: Uint8Array } {
  const eaePrk = labeledExtract(KEM_SUITE, EMPTY, 'eae_prk', dh)
  const shared = labeledExpand(KEM_SUITE, eaePrk, 'shared_secret', concat(enc, pkR), 32)
  const ctx = concat(Uint8Array.of(0), labeledExtract(HPKE_SUITE, EMPTY, 'psk_id_hash', EMPTY), labeledExtract(HPKE_SUITE, EMPTY, 'info_hash', INFO))
  const secret = labeledExtract(HPKE_SUITE, shared, 'secret', EMPTY)
  return { key: labeledExpand(HPKE_SUITE, secret, 'key', ctx, 32), nonce: labeledExpand(HPKE_SUITE, secret, 'base_nonce', ctx, 12) }
}

function signingMessage (context: string, value: unknown): Uint8Array {
  return concat(te.encode(context), new Uint8Array(1), dagCbor.encode(value))
}

export interface NobleRecipient { readonly cid: CID, readonly encryptionKey: Uint8Array }

/** Seals like protocol/envelope.ts `seal` (AES-256-GCM suite), returning the envelope bytes. */
export function nobleSeal (
  sender: { cid: CID, signingSecretKey: Uint8Array }, recipients: readonly NobleRecipient[], type: string, body: unknown, time: number
): Uint8Array {
  const header = { v: 1, sender: sender.cid, recipients: recipients.map((r) => r.cid), type, thread: null, prev: [], time, clock: 0, nonce: randomBytes(16), aead: 2 }
  const headerBytes = dagCbor.encode(header)
  const contentKey = randomBytes(32)
  const ct = gcm(contentKey, ZERO_NONCE, headerBytes).encrypt(dagCbor.encode(body))
  const headerHash = sha256(headerBytes)
  const keys = recipients.map((r) => {
    const skE = x25519.utils.randomSecretKey()
    const enc = x25519.getPublicKey(skE)
    const { key, nonce } = keySchedule(x25519.getSharedSecret(skE, r.encryptionKey), enc, r.encryptionKey)
    return concat(enc, gcm(key, nonce, concat(headerHash, r.cid.bytes)).encrypt(contentKey))
  })
  const unsigned = { ...header, keys, ct }
  const sig = ed25519.sign(signingMessage('milagro/envelope/v1', unsigned), sender.signingSecretKey)
  return dagCbor.encode({ ...unsigned, sig })
}

/** Verifies and opens like protocol/envelope.ts `openEnvelope`; throws on any failure. */
export function nobleOpen (bytes: Uint8Array, senderSigningKey: Uint8Array, me: { cid: CID, encryptionSecretKey: Uint8Array }): unknown {
  const e = dagCbor.decode(bytes) as Record<string, any>
  const { sig, keys, ct, ...header } = e
  if (!ed25519.verify(sig, signingMessage('milagro/envelope/v1', { ...header, keys, ct }), senderSigningKey)) throw new Error('bad signature')
  const index = (header.recipients as CID[]).findIndex((c) => c.equals(me.cid))
  if (index < 0) throw new Error('not a recipient')
  const headerBytes = dagCbor.encode(header)
  const slot = keys[index] as Uint8Array
  const enc = slot.subarray(0, 32)
  const pkR = x25519.getPublicKey(me.encryptionSecretKey)
  const { key, nonce } = keySchedule(x25519.getSharedSecret(me.encryptionSecretKey, enc), enc, pkR)
  const contentKey = gcm(key, nonce, concat(sha256(headerBytes), me.cid.bytes)).decrypt(slot.subarray(32))
  return dagCbor.decode(gcm(contentKey, ZERO_NONCE, headerBytes).decrypt(ct))
}

/** Verifies an identity document like protocol/identity.ts `decodeIdentity`, on pure-JS curves. */
export function nobleVerifyIdentity (bytes: Uint8Array): CID {
  const doc = dagCbor.decode(bytes) as Record<string, any>
  const re = dagCbor.encode(doc)
  if (re.length !== bytes.length || re.some((b, i) => b !== bytes[i])) throw new Error('not canonical')
  if (doc.v !== 1) throw new Error('version')
  peerIdFromString(doc.peerId)
  secp256k1.Point.fromBytes(doc.custodyKey).assertValidity()
  const { sig, endorsement: _e, ...unsigned } = doc
  if (!ed25519.verify(sig, signingMessage('milagro/identity/v1', unsigned), doc.signingKey)) throw new Error('bad signature')
  return CID.createV1(0x71, Digest.create(0x12, sha256(bytes)))
}
