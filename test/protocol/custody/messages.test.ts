import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import {
  combinePublicKeys, createProofOfPossession, hpkeOpen, hpkeSeal, keyAgreementKeyPairFromSecret, secp256k1PublicKey, sha256, toHex, walletAddresses
} from '../../../crypto/index.ts'
import {
  addressBody, CUSTODY_MESSAGES, decodeMessage, keyBody, messageMeta, orderBody, redeemedBody, releaseAad, releaseBody, releasedBody,
  releaseRequestBody, RELEASE_INFO, shareContext, type CustodyMessageType, type MessageEnvelope
} from '../../../protocol/custody/index.ts'
import { golden } from '../../golden.ts'
import { cidOf, ids } from '../state/facts.ts'

const enc = new TextEncoder()
const scalar = (label: string): Uint8Array => sha256(enc.encode(`milagro test custody/${label}`))
const order = cidOf({ order: 'messages' })
const b = scalar('b')
const f = scalar('f')
const B = secp256k1PublicKey(b)
const F = secp256k1PublicKey(f)
const W = combinePublicKeys(B, F)
const bPop = createProofOfPossession(b, shareContext(order, 'beneficiary', ids.beneficiary))
const fPop = createProofOfPossession(f, shareContext(order, 'fiduciary', ids.fiduciary))

function envelope (type: CustodyMessageType, from: CID, recipients: readonly CID[], thread: CID | null = order): MessageEnvelope {
  return { cid: type === CUSTODY_MESSAGES.order && thread === null ? order : cidOf({ type, n: Math.random() }), header: { type, sender: from, recipients, thread, time: 1_700_000_000_000 } }
}

function expectError (fn: () => unknown, name: string): void {
  try {
    fn()
  } catch (err) {
    assert.is((err as Error).name, name, (err as Error).message)
    return
  }
  assert.unreachable(`accepted; expected ${name}`)
}

const address = addressBody({
  network: 'mainnet', beneficiary: ids.beneficiary, beneficiaryKey: B, beneficiaryPop: bPop, fiduciary: ids.fiduciary, fiduciaryKey: F, fiduciaryPop: fPop, walletKey: W, ...walletAddresses(W, 'mainnet')
}) as Record<string, unknown>

test('golden vectors: the canonical bytes of each message body (deterministic values in, exact bytes out)', () => {
  const bodies = {
    order: orderBody({ beneficiary: ids.beneficiary, fiduciary: ids.fiduciary, network: 'testnet' }),
    key: keyBody({ publicKey: B, pop: new Uint8Array(64).fill(1) }),
    releaseRequest: releaseRequestBody({ beneficiary: ids.beneficiary, walletKey: W }),
    release: releaseBody({ publicKey: F, enc: new Uint8Array(32).fill(2), ct: new Uint8Array(48).fill(3) }),
    address: addressBody({
      network: 'mainnet', beneficiary: ids.beneficiary, beneficiaryKey: B, beneficiaryPop: new Uint8Array(64).fill(4), fiduciary: ids.fiduciary, fiduciaryKey: F, fiduciaryPop: new Uint8Array(64).fill(5), walletKey: W, ...walletAddresses(W, 'mainnet')
    }),
    released: releasedBody({ beneficiary: ids.beneficiary, release: order }),
    redeemed: redeemedBody({ walletKey: W })
  }
  const actual = Object.fromEntries(Object.entries(bodies).map(([k, v]) => [k, toHex(dagCbor.encode(v))]))
  assert.equal(actual, golden('custody-v1.json', actual))
})

test('each message decodes into its fact; the order envelope is the order id, every other message names it as thread', () => {
  const o = decodeMessage(envelope(CUSTODY_MESSAGES.order, ids.principal, [ids.beneficiary, ids.fiduciary], null), orderBody({ beneficiary: ids.beneficiary, fiduciary: ids.fiduciary, network: 'signet' }))
  assert.is(o.fact.kind, 'custody.order')
  assert.ok(o.fact.order.equals(order) && o.fact.envelope.equals(order) && o.fact.from.equals(ids.principal))
  const k = decodeMessage(envelope(CUSTODY_MESSAGES.fiduciaryKey, ids.fiduciary, [ids.principal]), keyBody({ publicKey: F, pop: fPop }))
  assert.equal(k.fact, { ...k.fact, kind: 'custody.fiduciary-key', publicKey: F, pop: fPop })
  assert.ok(k.fact.order.equals(order))
  const a = decodeMessage(envelope(CUSTODY_MESSAGES.address, ids.principal, [ids.beneficiary, ids.fiduciary]), address)
  assert.is(a.fact.kind, 'custody.address')
  assert.equal((a.fact as { walletKey: Uint8Array }).walletKey, W)
  const r = decodeMessage(envelope(CUSTODY_MESSAGES.release, ids.fiduciary, [ids.beneficiary]), releaseBody({ publicKey: F, enc: new Uint8Array(32), ct: new Uint8Array(48) }))
  assert.is(r.fact.kind, 'custody.release')
  assert.equal(r.sealed, { enc: new Uint8Array(32), ct: new Uint8Array(48) })
  assert.equal((r.fact as { imported: unknown }).imported, null, 'the sealed share never enters the fact')
  assert.ok((r.fact as { beneficiary: CID }).beneficiary.equals(ids.beneficiary))
  assert.ok(messageMeta(envelope(CUSTODY_MESSAGES.redeemed, ids.beneficiary, [ids.principal])).order.equals(order))
})

test('the released share round-trips through HPKE bound to order, beneficiary and key (and nothing else opens it)', () => {
  const x = keyAgreementKeyPairFromSecret(scalar('x25519'))
  const sealed = hpkeSeal({ aead: 'aes-256-gcm' }, x.publicKey, RELEASE_INFO, releaseAad(order, ids.beneficiary, F), f)
  assert.is(sealed.enc.length, 32)
  assert.is(sealed.ciphertext.length, 48)
  assert.equal(hpkeOpen({ aead: 'aes-256-gcm' }, scalar('x25519'), sealed.enc, RELEASE_INFO, releaseAad(order, ids.beneficiary, F), sealed.ciphertext), f)
  assert.throws(() => hpkeOpen({ aead: 'aes-256-gcm' }, scalar('x25519'), sealed.enc, RELEASE_INFO, releaseAad(order, ids.mallory, F), sealed.ciphertext), (e: Error) => e.name === 'DecryptionError')
})

test('rogue key: B′ = T − F with a proof for T, a proof from another order or another party, or garbage — InvalidProofError', async () => {
  const { secp256k1 } = await import('@noble/curves/secp256k1.js')
  const t = scalar('t')
  const rogue = secp256k1.Point.fromBytes(secp256k1PublicKey(t)).subtract(secp256k1.Point.fromBytes(F)).toBytes(true)
  const e = envelope(CUSTODY_MESSAGES.beneficiaryKey, ids.beneficiary, [ids.principal])
  for (const pop of [
    createProofOfPossession(t, shareContext(order, 'beneficiary', ids.beneficiary)),
    new Uint8Array(64)
  ]) expectError(() => decodeMessage(e, keyBody({ publicKey: rogue, pop })), 'InvalidProofError')
  expectError(() => decodeMessage(e, keyBody({ publicKey: B, pop: createProofOfPossession(b, shareContext(cidOf({ order: 'other' }), 'beneficiary', ids.beneficiary)) })), 'InvalidProofError')
  expectError(() => decodeMessage(e, keyBody({ publicKey: B, pop: createProofOfPossession(b, shareContext(order, 'beneficiary', ids.mallory)) })), 'InvalidProofError')
  expectError(() => decodeMessage(e, keyBody({ publicKey: B, pop: createProofOfPossession(b, shareContext(order, 'fiduciary', ids.beneficiary)) })), 'InvalidProofError')
  // The honest key passes, and a proof is checked against the envelope's sender, not a claimed party.
  decodeMessage(e, keyBody({ publicKey: B, pop: bPop }))
  expectError(() => decodeMessage(envelope(CUSTODY_MESSAGES.beneficiaryKey, ids.mallory, [ids.principal]), keyBody({ publicKey: B, pop: bPop })), 'InvalidProofError')
  // In an address, each party's proof is checked too.
  expectError(() => decodeMessage(envelope(CUSTODY_MESSAGES.address, ids.principal, [ids.beneficiary]), { ...address, fiduciaryPop: bPop }), 'InvalidProofError')
  // Unless the caller records its own message, built from state it already validated.
  decodeMessage(e, keyBody({ publicKey: B, pop: new Uint8Array(64) }), { verify: false })
})

test('a party\'s own key in its own slot of an address needs no proof; any other slot or key still does', () => {
  const e = envelope(CUSTODY_MESSAGES.address, ids.principal, [ids.beneficiary, ids.fiduciary])
  const noBPop = { ...address, beneficiaryPop: new Uint8Array(64) }
  decodeMessage(e, noBPop, { own: { role: 'beneficiary', publicKey: B } })
  expectError(() => decodeMessage(e, noBPop), 'InvalidProofError')
  expectError(() => decodeMessage(e, noBPop, { own: { role: 'fiduciary', publicKey: B } }), 'InvalidProofError')
  expectError(() => decodeMessage(e, noBPop, { own: { role: 'beneficiary', publicKey: F } }), 'InvalidProofError')
  expectError(() => decodeMessage(e, { ...address, fiduciaryPop: new Uint8Array(64) }, { own: { role: 'beneficiary', publicKey: B } }), 'InvalidProofError')
})

test('an address that is not B + F, or not W\'s addresses on the order\'s network, is refused', () => {
  const e = envelope(CUSTODY_MESSAGES.address, ids.principal, [ids.beneficiary, ids.fiduciary])
  expectError(() => decodeMessage(e, { ...address, walletKey: B }), 'KeyMismatchError')
  // A wallet key that is no point at all is InvalidKeyError, not a mismatch (it is decompressed only when it differs from B + F).
  expectError(() => decodeMessage(e, { ...address, walletKey: Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)) }), 'InvalidKeyError')
  expectError(() => decodeMessage(e, { ...address, walletKey: W.subarray(1) }), 'MalformedError')
  const testnet = walletAddresses(W, 'testnet')
  expectError(() => decodeMessage(e, { ...address, p2wpkh: testnet.p2wpkh }), 'AddressMismatchError')
  expectError(() => decodeMessage(e, { ...address, network: 'testnet' }), 'AddressMismatchError')
  expectError(() => decodeMessage(e, { ...address, ethereum: (address.ethereum as string).toLowerCase() }), 'AddressMismatchError')
})

test('malformed bodies and headers: MalformedError, UnsupportedVersionError, InvalidKeyError', () => {
  const k = envelope(CUSTODY_MESSAGES.fiduciaryKey, ids.fiduciary, [ids.principal])
  const good = keyBody({ publicKey: F, pop: fPop }) as Record<string, unknown>
  expectError(() => decodeMessage(k, { ...good, v: 2 }), 'UnsupportedVersionError')
  expectError(() => decodeMessage(k, { ...good, extra: 1 }), 'MalformedError')
  expectError(() => decodeMessage(k, { v: 1, publicKey: F }), 'MalformedError')
  expectError(() => decodeMessage(k, { ...good, publicKey: F.subarray(1) }), 'MalformedError')
  expectError(() => decodeMessage(k, { ...good, publicKey: Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)) }), 'InvalidKeyError')
  // Our own messages ({ verify: false }, built from validated state): the length is still checked, the curve is not.
  expectError(() => decodeMessage(k, { ...good, publicKey: F.subarray(1) }, { verify: false }), 'MalformedError')
  assert.is(decodeMessage(k, { ...good, publicKey: Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)) }, { verify: false }).fact.kind, 'custody.fiduciary-key')
  expectError(() => decodeMessage(k, { ...good, pop: fPop.subarray(1) }), 'MalformedError')
  expectError(() => decodeMessage(k, [good]), 'MalformedError')
  expectError(() => decodeMessage(envelope(CUSTODY_MESSAGES.order, ids.principal, [ids.beneficiary], null), { v: 1, beneficiary: ids.beneficiary, fiduciary: ids.fiduciary, network: 'litecoin' }), 'MalformedError')
  expectError(() => decodeMessage(envelope(CUSTODY_MESSAGES.order, ids.principal, [ids.beneficiary], null), { v: 1, beneficiary: 'x', fiduciary: ids.fiduciary, network: 'mainnet' }), 'MalformedError')
  // Thread shape: an order starts a thread; every other message belongs to one.
  expectError(() => decodeMessage(envelope(CUSTODY_MESSAGES.order, ids.principal, [ids.beneficiary], order), orderBody({ beneficiary: ids.beneficiary, fiduciary: ids.fiduciary, network: 'mainnet' })), 'MalformedError')
  expectError(() => decodeMessage(envelope(CUSTODY_MESSAGES.fiduciaryKey, ids.fiduciary, [ids.principal], null), good), 'MalformedError')
  // A release goes to the beneficiary alone.
  expectError(() => decodeMessage(envelope(CUSTODY_MESSAGES.release, ids.fiduciary, [ids.beneficiary, ids.principal]), releaseBody({ publicKey: F, enc: new Uint8Array(32), ct: new Uint8Array(48) })), 'MalformedError')
  expectError(() => decodeMessage(envelope(CUSTODY_MESSAGES.release, ids.fiduciary, [ids.beneficiary]), releaseBody({ publicKey: F, enc: new Uint8Array(32), ct: new Uint8Array(47) })), 'MalformedError')
  // Not a custody type at all.
  expectError(() => decodeMessage({ ...k, header: { ...k.header, type: 'custody/unknown' } }, good), 'MalformedError')
})

test.run()
