// HPKE (RFC 9180) with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and the three AEADs.
// Known answers: the official RFC 9180 test vectors (cfrg/draft-irtf-cfrg-hpke `test-vectors.json`,
// blob 514dd8bb…), filtered to the 6 base/psk X25519 entries in ../shared/vectors — see the
// "hpke-rfc9180-x25519.json" row of that folder's README for provenance. Plus a differential
// check against @hpke/core (+ @hpke/chacha20poly1305), property tests and bad-input tests.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { Aes128Gcm, Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core'
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
import type { AeadId } from '../../crypto/aead.ts'
import {
  deriveKeyPair, importRecipientKey, open, seal, setupBaseR, setupBaseS, setupPSKR, setupPSKS, type HpkeSuite
} from '../../crypto/hpke.ts'
import { computeNonce, MAX_SEQUENCE_NUMBER, RecipientContext, SenderContext } from '../../crypto/hpke-context.ts'
import { encap } from '../../crypto/hpke-kem.ts'
import { keySchedule, suiteState } from '../../crypto/hpke-key-schedule.ts'
import { generateKeyAgreementKeyPair } from '../../crypto/x25519.ts'
import { hex, readSharedJson, toHex } from '../vectors.ts'

const AEADS: Record<number, AeadId> = { 1: 'aes-128-gcm', 2: 'aes-256-gcm', 3: 'chacha20-poly1305' }
const ALL: AeadId[] = ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305']
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

function errorOf (fn: () => unknown): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  assert.unreachable('expected an error')
  throw new Error('unreachable')
}

function throwsNamed (fn: () => unknown, name: string): Error {
  const err = errorOf(fn)
  assert.is(err.name, name, err.message)
  return err
}

function flip (b: Uint8Array, i: number): Uint8Array {
  const c = Uint8Array.from(b)
  c[i] = (c[i] as number) ^ 0x01
  return c
}

interface Vector {
  mode: 0 | 1, kem_id: number, kdf_id: number, aead_id: number
  info: string, ikmR: string, ikmE: string, skRm: string, skEm: string, pkRm: string, pkEm: string
  enc: string, shared_secret: string, key_schedule_context: string, secret: string, key: string
  base_nonce: string, exporter_secret: string, psk?: string, psk_id?: string
  encryptions: Array<{ aad: string, ct: string, nonce: string, pt: string }>
  exports: Array<{ exporter_context: string, L: number, exported_value: string }>
}
const vectors = readSharedJson<Vector[]>('hpke-rfc9180-x25519.json')

if (vectors === undefined) {
  test.skip('RFC 9180 test vectors (shared vectors absent)', () => {})
} else {
  test('RFC 9180 vectors: the file holds the 6 expected suites', () => {
    assert.equal(vectors.map((v) => `${v.mode}/${v.kem_id}/${v.kdf_id}/${v.aead_id}`).sort(),
      ['0/32/1/1', '0/32/1/2', '0/32/1/3', '1/32/1/1', '1/32/1/2', '1/32/1/3'])
  })

  for (const v of vectors) {
    const aead = AEADS[v.aead_id] as AeadId
    const suite: HpkeSuite = { aead }
    const name = `RFC 9180 ${v.mode === 0 ? 'base' : 'psk'} mode, ${aead}`
    const psk = hex(v.psk ?? '')
    const pskId = hex(v.psk_id ?? '')
    const info = hex(v.info)

    test(`${name}: DeriveKeyPair, Encap, KeySchedule intermediate values`, () => {
      const e = deriveKeyPair(hex(v.ikmE))
      const r = deriveKeyPair(hex(v.ikmR))
      assert.is(toHex(e.secretKey), v.skEm)
      assert.is(toHex(e.publicKey), v.pkEm)
      assert.is(toHex(r.secretKey), v.skRm)
      assert.is(toHex(r.publicKey), v.pkRm)
      const { sharedSecret, enc } = encap(r.publicKey, hex(v.ikmE))
      assert.is(toHex(enc), v.enc)
      assert.is(toHex(sharedSecret), v.shared_secret)
      const ks = keySchedule(suiteState(aead), v.mode, sharedSecret, info, psk, pskId, true)
      assert.is(toHex(ks.keyScheduleContext), v.key_schedule_context)
      assert.is(toHex(ks.secret), v.secret)
      assert.is(toHex(ks.key), v.key)
      assert.is(toHex(ks.baseNonce), v.base_nonce)
      assert.is(toHex(ks.exporterSecret as Uint8Array), v.exporter_secret)
    })

    test(`${name}: all ${v.encryptions.length} encryptions (seal exact, open back, nonces) and ${v.exports.length} exports`, () => {
      const r = deriveKeyPair(hex(v.ikmR))
      const sender = v.mode === 0
        ? setupBaseS(suite, r.publicKey, info, { ikmE: hex(v.ikmE) })
        : setupPSKS(suite, r.publicKey, info, psk, pskId, { ikmE: hex(v.ikmE) })
      assert.is(toHex(sender.enc), v.enc)
      const recipient = v.mode === 0
        ? setupBaseR(suite, sender.enc, hex(v.skRm), info)
        : setupPSKR(suite, sender.enc, hex(v.skRm), info, psk, pskId)
      assert.is(v.encryptions.length, 257)
      const nonce = new Uint8Array(12)
      v.encryptions.forEach((x, seq) => {
        assert.is(toHex(computeNonce(hex(v.base_nonce), seq, nonce)), x.nonce, `nonce ${seq}`)
        assert.is(sender.context.sequenceNumber, seq)
        assert.is(toHex(sender.context.seal(hex(x.aad), hex(x.pt))), x.ct, `ct ${seq}`)
        assert.is(toHex(recipient.open(hex(x.aad), hex(x.ct))), x.pt, `pt ${seq}`)
      })
      assert.is(recipient.sequenceNumber, 257)
      assert.is(v.exports.length, 3)
      for (const x of v.exports) {
        assert.is(toHex(sender.context.export(hex(x.exporter_context), x.L)), x.exported_value)
        assert.is(toHex(recipient.export(hex(x.exporter_context), x.L)), x.exported_value)
      }
    })

    if (v.mode === 0) {
      test(`${name}: single-shot seal/open reproduce encryption 0`, () => {
        const x = v.encryptions[0] as Vector['encryptions'][number]
        const sealed = seal(suite, hex(v.pkRm), info, hex(x.aad), hex(x.pt), { ikmE: hex(v.ikmE) })
        assert.is(toHex(sealed.enc), v.enc)
        assert.is(toHex(sealed.ciphertext), x.ct)
        assert.is(toHex(open(suite, hex(v.skRm), hex(v.enc), info, hex(x.aad), hex(x.ct))), x.pt)
        assert.is(toHex(open(suite, importRecipientKey(hex(v.skRm)), hex(v.enc), info, hex(x.aad), hex(x.ct))), x.pt)
      })
    }
  }
}

// ---- differential against @hpke/core -------------------------------------------------------

function theirSuite (aead: AeadId): CipherSuite {
  const aeads = { 'aes-128-gcm': Aes128Gcm, 'aes-256-gcm': Aes256Gcm, 'chacha20-poly1305': Chacha20Poly1305 }
  return new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new aeads[aead]() })
}

test('differential with @hpke/core: ours seals → theirs opens, theirs seals → ours opens, exports agree', async () => {
  const theirs = Object.fromEntries(ALL.map((a) => [a, theirSuite(a)])) as Record<AeadId, CipherSuite>
  const bytes = (max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max })
  await fc.assert(fc.asyncProperty(
    fc.constantFrom(...ALL), fc.uint8Array({ minLength: 32, maxLength: 32 }), bytes(64), bytes(64), bytes(300),
    async (aead, skSeed, info, aad, pt) => {
      const suite = { aead }
      const them = theirs[aead]
      const r = deriveKeyPair(skSeed)
      const sk = await them.kem.deserializePrivateKey(r.secretKey)
      const pk = await them.kem.deserializePublicKey(r.publicKey)

      const ours = seal(suite, r.publicKey, info, aad, pt)
      const opened = new Uint8Array(await them.open({ recipientKey: sk, enc: ours.enc, info }, ours.ciphertext, aad))
      assert.is(toHex(opened), toHex(pt))

      const their = await them.seal({ recipientPublicKey: pk, info }, pt, aad)
      assert.is(toHex(open(suite, r.secretKey, new Uint8Array(their.enc), info, aad, new Uint8Array(their.ct))), toHex(pt))

      // Multi-message context and exporter, both directions.
      const ctx = setupBaseS(suite, r.publicKey, info)
      const theirR = await them.createRecipientContext({ recipientKey: sk, enc: ctx.enc, info })
      for (let i = 0; i < 3; i++) {
        const ct = ctx.context.seal(aad, pt)
        assert.is(toHex(new Uint8Array(await theirR.open(ct, aad))), toHex(pt))
      }
      assert.is(toHex(ctx.context.export(aad, 48)), toHex(new Uint8Array(await theirR.export(aad, 48))))
      const theirS = await them.createSenderContext({ recipientPublicKey: pk, info })
      const oursR = setupBaseR(suite, new Uint8Array(theirS.enc), r.secretKey, info)
      for (let i = 0; i < 3; i++) {
        const ct = new Uint8Array(await theirS.seal(pt, aad))
        assert.is(toHex(oursR.open(aad, ct)), toHex(pt))
      }
    }), { numRuns: 30 })
})

test('differential with @hpke/core: psk mode both ways', async () => {
  for (const aead of ALL) {
    const them = theirSuite(aead)
    const r = generateKeyAgreementKeyPair()
    const sk = await them.kem.deserializePrivateKey(r.secretKey)
    const pk = await them.kem.deserializePublicKey(r.publicKey)
    const psk = { id: text('psk id').buffer, key: hex('5a'.repeat(32)).buffer }
    const ours = setupPSKS({ aead }, r.publicKey, text('info'), new Uint8Array(psk.key), new Uint8Array(psk.id))
    const theirR = await them.createRecipientContext({ recipientKey: sk, enc: ours.enc, info: text('info'), psk })
    assert.is(toHex(new Uint8Array(await theirR.open(ours.context.seal(text('aad'), text('pt')), text('aad')))), toHex(text('pt')))
    const theirS = await them.createSenderContext({ recipientPublicKey: pk, info: text('info'), psk })
    const oursR = setupPSKR({ aead }, new Uint8Array(theirS.enc), r.secretKey, text('info'), new Uint8Array(psk.key), new Uint8Array(psk.id))
    assert.is(toHex(oursR.open(text('aad'), new Uint8Array(await theirS.seal(text('pt'), text('aad'))))), toHex(text('pt')))
  }
})

// ---- properties ------------------------------------------------------------------------------

test('property: open(seal(x)) = x (single-shot, random suite, key, info, aad, plaintext)', () => {
  fc.assert(fc.property(
    fc.constantFrom(...ALL), fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 1000 }),
    (aead, ikm, info, aad, pt) => {
      const r = deriveKeyPair(ikm)
      const { enc, ciphertext } = seal({ aead }, r.publicKey, info, aad, pt)
      assert.is(enc.length, 32)
      assert.is(ciphertext.length, pt.length + 16)
      assert.is(toHex(open({ aead }, r.secretKey, enc, info, aad, ciphertext)), toHex(pt))
    }), { numRuns: 200 })
})

test('property: ComputeNonce equals base_nonce XOR I2OSP(seq, 12) computed with BigInt', () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.oneof(fc.nat(), fc.maxSafeNat(), fc.constant(MAX_SEQUENCE_NUMBER)),
    (base, seq) => {
      const want = (BigInt('0x' + toHex(base)) ^ BigInt(seq)).toString(16).padStart(24, '0')
      assert.is(toHex(computeNonce(base, seq, new Uint8Array(12))), want)
    }), { numRuns: 200 })
})

// ---- bad input -------------------------------------------------------------------------------

const suite: HpkeSuite = { aead: 'aes-256-gcm' }
const recipient = generateKeyAgreementKeyPair()
const info = text('milagro test info')
const aad = text('header bytes')
const pt = text('content key 32 bytes long......!')

test('wrong recipient key, flipped byte in enc / ciphertext / aad / info → DecryptionError', () => {
  const { enc, ciphertext } = seal(suite, recipient.publicKey, info, aad, pt)
  assert.is(toHex(open(suite, recipient.secretKey, enc, info, aad, ciphertext)), toHex(pt))
  throwsNamed(() => open(suite, generateKeyAgreementKeyPair().secretKey, enc, info, aad, ciphertext), 'DecryptionError')
  for (let i = 0; i < enc.length; i++) throwsNamed(() => open(suite, recipient.secretKey, flip(enc, i), info, aad, ciphertext), 'DecryptionError')
  for (let i = 0; i < ciphertext.length; i++) throwsNamed(() => open(suite, recipient.secretKey, enc, info, aad, flip(ciphertext, i)), 'DecryptionError')
  throwsNamed(() => open(suite, recipient.secretKey, enc, info, flip(aad, 0), ciphertext), 'DecryptionError')
  throwsNamed(() => open(suite, recipient.secretKey, enc, flip(info, 3), aad, ciphertext), 'DecryptionError')
  throwsNamed(() => open(suite, recipient.secretKey, enc, info, aad, ciphertext.subarray(0, 10)), 'DecryptionError')
  throwsNamed(() => open({ aead: 'chacha20-poly1305' }, recipient.secretKey, enc, info, aad, ciphertext), 'DecryptionError')
})

test('the same with contexts: a failed open leaves the sequence number, so the next message still opens', () => {
  const s = setupBaseS(suite, recipient.publicKey, info)
  const r = setupBaseR(suite, s.enc, recipient.secretKey, info)
  const c0 = s.context.seal(aad, pt)
  const c1 = s.context.seal(aad, pt)
  throwsNamed(() => r.open(aad, c1), 'DecryptionError') // out of order
  throwsNamed(() => r.open(flip(aad, 1), c0), 'DecryptionError')
  assert.is(r.sequenceNumber, 0)
  assert.is(toHex(r.open(aad, c0)), toHex(pt))
  assert.is(toHex(r.open(aad, c1)), toHex(pt))
  throwsNamed(() => setupBaseR(suite, s.enc, recipient.secretKey, flip(info, 0)).open(aad, c0), 'DecryptionError')
  throwsNamed(() => setupBaseR(suite, flip(s.enc, 5), recipient.secretKey, info).open(aad, c0), 'DecryptionError')
})

test('wrong lengths → InvalidKeyError (open keeps a bad enc as the cause of DecryptionError)', () => {
  for (const n of [0, 31, 33]) {
    throwsNamed(() => seal(suite, new Uint8Array(n), info, aad, pt), 'InvalidKeyError')
    throwsNamed(() => setupBaseS(suite, new Uint8Array(n), info), 'InvalidKeyError')
    throwsNamed(() => setupBaseR(suite, new Uint8Array(n), recipient.secretKey, info), 'InvalidKeyError')
    throwsNamed(() => setupBaseR(suite, recipient.publicKey, new Uint8Array(n), info), 'InvalidKeyError')
    throwsNamed(() => importRecipientKey(new Uint8Array(n)), 'InvalidKeyError')
    throwsNamed(() => open(suite, new Uint8Array(n), recipient.publicKey, info, aad, new Uint8Array(48)), 'InvalidKeyError')
    const err = throwsNamed(() => open(suite, recipient.secretKey, new Uint8Array(n), info, aad, new Uint8Array(48)), 'DecryptionError')
    assert.is((err.cause as Error).name, 'InvalidKeyError')
  }
})

test('low-order pkR → LowOrderPointError; low-order enc → LowOrderPointError on setup, DecryptionError on open', () => {
  const lowOrder = [hex('00'.repeat(32)), hex('01' + '00'.repeat(31)), hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800')]
  for (const pk of lowOrder) {
    throwsNamed(() => seal(suite, pk, info, aad, pt), 'LowOrderPointError')
    throwsNamed(() => setupBaseS(suite, pk, info), 'LowOrderPointError')
    throwsNamed(() => setupBaseR(suite, pk, recipient.secretKey, info), 'LowOrderPointError')
    const err = throwsNamed(() => open(suite, recipient.secretKey, pk, info, aad, new Uint8Array(48)), 'DecryptionError')
    assert.is((err.cause as Error).name, 'LowOrderPointError')
  }
})

test('sequence number overflow → MessageLimitReachedError on both sides', () => {
  const params = { aead: 'aes-256-gcm' as const, suiteId: new Uint8Array(10), key: new Uint8Array(32), baseNonce: new Uint8Array(12), exporterSecret: new Uint8Array(32) }
  const s = new SenderContext({ ...params, seq: MAX_SEQUENCE_NUMBER - 1 })
  const r = new RecipientContext({ ...params, seq: MAX_SEQUENCE_NUMBER - 1 })
  const last = s.seal(aad, pt)
  assert.is(toHex(r.open(aad, last)), toHex(pt))
  throwsNamed(() => s.seal(aad, pt), 'MessageLimitReachedError')
  throwsNamed(() => r.open(aad, last), 'MessageLimitReachedError')
  assert.is(s.sequenceNumber, MAX_SEQUENCE_NUMBER)
})

test('PSK inputs: both or neither, per mode → RangeError', () => {
  throwsNamed(() => setupPSKS(suite, recipient.publicKey, info, new Uint8Array(0), new Uint8Array(0)), 'RangeError')
  throwsNamed(() => setupPSKS(suite, recipient.publicKey, info, new Uint8Array(32), new Uint8Array(0)), 'RangeError')
  throwsNamed(() => setupPSKR(suite, recipient.publicKey, recipient.secretKey, info, new Uint8Array(0), text('id')), 'RangeError')
})

test('export: length bounds, and different contexts give different secrets', () => {
  const s = setupBaseS(suite, recipient.publicKey, info)
  throwsNamed(() => s.context.export(text('x'), 255 * 32 + 1), 'RangeError')
  assert.is(s.context.export(text('x'), 255 * 32).length, 8160)
  assert.is.not(toHex(s.context.export(text('a'), 32)), toHex(s.context.export(text('b'), 32)))
})

test('unknown suite → RangeError', () => {
  throwsNamed(() => seal({ aead: 'aes-192-gcm' as AeadId }, recipient.publicKey, info, aad, pt), 'RangeError')
})

test('info and psk_id are bound: each opens only with its own value, also when values alternate', () => {
  const infos = [text('a'), text('b'), text(''), text('a')]
  const sealed = infos.map((i) => ({ i, ...seal(suite, recipient.publicKey, i, aad, pt) }))
  for (const x of sealed) {
    for (const other of infos) {
      const same = toHex(other) === toHex(x.i)
      const run = (): Uint8Array => open(suite, recipient.secretKey, x.enc, other, aad, x.ciphertext)
      if (same) assert.is(toHex(run()), toHex(pt))
      else throwsNamed(run, 'DecryptionError')
    }
  }
  const psk = hex('77'.repeat(32))
  const a = setupPSKS(suite, recipient.publicKey, info, psk, text('id-a'))
  const ct = a.context.seal(aad, pt)
  throwsNamed(() => setupPSKR(suite, a.enc, recipient.secretKey, info, psk, text('id-b')).open(aad, ct), 'DecryptionError')
  assert.is(toHex(setupPSKR(suite, a.enc, recipient.secretKey, info, psk, text('id-a')).open(aad, ct)), toHex(pt))
  // nothing keeps a reference to the caller's info: mutating it afterwards changes the binding
  const mutable = text('mutable info')
  const m = seal(suite, recipient.publicKey, mutable, aad, pt)
  mutable[0] = 0x4d
  throwsNamed(() => open(suite, recipient.secretKey, m.enc, mutable, aad, m.ciphertext), 'DecryptionError')
})

test('importRecipientKey: exposes the public key and opens like the raw secret', () => {
  const key = importRecipientKey(recipient.secretKey)
  assert.is(toHex(key.publicKey), toHex(recipient.publicKey))
  const { enc, ciphertext } = seal(suite, recipient.publicKey, info, aad, pt)
  assert.is(toHex(open(suite, key, enc, info, aad, ciphertext)), toHex(pt))
  assert.is(toHex(setupBaseR(suite, enc, key, info).open(aad, ciphertext)), toHex(pt))
  assert.is(Object.keys(key).join(), 'publicKey') // the KeyObject is not reachable
})

test('fresh ephemeral per seal: same inputs give different enc and ciphertext', () => {
  const a = seal(suite, recipient.publicKey, info, aad, pt)
  const b = seal(suite, recipient.publicKey, info, aad, pt)
  assert.is.not(toHex(a.enc), toHex(b.enc))
  assert.is.not(toHex(a.ciphertext), toHex(b.ciphertext))
})

test('a raw secret buffer whose bytes change is imported again: it opens for its new key only', () => {
  const a = generateKeyAgreementKeyPair()
  const b = generateKeyAgreementKeyPair()
  const toA = seal(suite, a.publicKey, info, aad, pt)
  const toB = seal(suite, b.publicKey, info, aad, pt)
  const buffer = Uint8Array.from(a.secretKey)
  assert.is(toHex(open(suite, buffer, toA.enc, info, aad, toA.ciphertext)), toHex(pt))
  assert.is(toHex(open(suite, buffer, toA.enc, info, aad, toA.ciphertext)), toHex(pt)) // the kept import
  buffer.set(b.secretKey)
  throwsNamed(() => open(suite, buffer, toA.enc, info, aad, toA.ciphertext), 'DecryptionError')
  assert.is(toHex(open(suite, buffer, toB.enc, info, aad, toB.ciphertext)), toHex(pt))
  buffer.fill(0) // a wiped buffer is not a usable key any more
  throwsNamed(() => open(suite, buffer, toB.enc, info, aad, toB.ciphertext), 'DecryptionError')
})

test.run()
