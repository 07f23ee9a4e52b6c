// AEAD known answers, values typed from their sources:
// - AES-GCM: McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)" (revised 2005), the
//   test cases also used by NIST's GCM validation: test cases 13 and 14 (AES-256, zero key),
//   4 (AES-128) and 16 (AES-256), the latter two with 20-byte AAD and a 60-byte plaintext.
// - ChaCha20-Poly1305: RFC 8439 §2.8.2 (AEAD_CHACHA20_POLY1305 example).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { aeadOpen, aeadSeal, type AeadId } from '../../crypto/aead.ts'
import { hex, toHex } from '../vectors.ts'

const none = new Uint8Array(0)
const gcmPlaintext = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
  '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39'
const gcmAad = 'feedfacedeadbeeffeedfacedeadbeefabaddad2'

const kats: Array<{ name: string, id: AeadId, key: string, nonce: string, pt: string, aad: string, ct: string, tag: string }> = [
  {
    name: 'GCM test case 13 (AES-256, empty plaintext)',
    id: 'aes-256-gcm',
    key: '00'.repeat(32),
    nonce: '00'.repeat(12),
    pt: '',
    aad: '',
    ct: '',
    tag: '530f8afbc74536b9a963b4f1c4cb738b'
  },
  {
    name: 'GCM test case 14 (AES-256, one zero block)',
    id: 'aes-256-gcm',
    key: '00'.repeat(32),
    nonce: '00'.repeat(12),
    pt: '00'.repeat(16),
    aad: '',
    ct: 'cea7403d4d606b6e074ec5d3baf39d18',
    tag: 'd0d1c8a799996bf0265b98b5d48ab919'
  },
  {
    name: 'GCM test case 4 (AES-128, with AAD)',
    id: 'aes-128-gcm',
    key: 'feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    pt: gcmPlaintext,
    aad: gcmAad,
    ct: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e' +
      '21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091',
    tag: '5bc94fbc3221a5db94fae95ae7121a47'
  },
  {
    name: 'GCM test case 16 (AES-256, with AAD)',
    id: 'aes-256-gcm',
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    pt: gcmPlaintext,
    aad: gcmAad,
    ct: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
      '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    tag: '76fc6ece0f4e1768cddf8853bb2d551b'
  },
  {
    name: 'RFC 8439 §2.8.2 (ChaCha20-Poly1305)',
    id: 'chacha20-poly1305',
    key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f',
    nonce: '070000004041424344454647',
    pt: Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.").toString('hex'),
    aad: '50515253c0c1c2c3c4c5c6c7',
    ct: 'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6' +
      '3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36' +
      '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
      '3ff4def08e4b7a9de576d26586cec64b6116',
    tag: '1ae10b594f09e26a7e902ecbd0600691'
  }
]

for (const k of kats) {
  test(`${k.name}: seal gives ciphertext ‖ tag, open gives the plaintext`, () => {
    const sealed = aeadSeal(k.id, hex(k.key), hex(k.nonce), hex(k.pt), hex(k.aad))
    assert.is(toHex(sealed), k.ct + k.tag)
    assert.is(sealed.constructor, Uint8Array)
    const opened = aeadOpen(k.id, hex(k.key), hex(k.nonce), hex(k.ct + k.tag), hex(k.aad))
    assert.is(toHex(opened), k.pt)
  })
}

function throwsNamed (fn: () => unknown, name: string): void {
  try {
    fn()
  } catch (err) {
    assert.is((err as Error).name, name)
    return
  }
  assert.unreachable(`expected ${name}`)
}

const ids: AeadId[] = ['aes-128-gcm', 'aes-256-gcm', 'chacha20-poly1305']
const keyLength = (id: AeadId): number => id === 'aes-128-gcm' ? 16 : 32

test('any flipped bit in key, nonce, ciphertext, tag or aad → DecryptionError', () => {
  for (const id of ids) {
    const key = hex('42'.repeat(keyLength(id)))
    const nonce = hex('24'.repeat(12))
    const aad = hex('a0a1a2')
    const ct = aeadSeal(id, key, nonce, hex('00112233445566778899'), aad)
    const flip = (b: Uint8Array, i: number): Uint8Array => { const c = Uint8Array.from(b); c[i] = (c[i] as number) ^ 1; return c }
    throwsNamed(() => aeadOpen(id, flip(key, 0), nonce, ct, aad), 'DecryptionError')
    throwsNamed(() => aeadOpen(id, key, flip(nonce, 11), ct, aad), 'DecryptionError')
    for (let i = 0; i < ct.length; i++) throwsNamed(() => aeadOpen(id, key, nonce, flip(ct, i), aad), 'DecryptionError')
    throwsNamed(() => aeadOpen(id, key, nonce, ct, flip(aad, 2)), 'DecryptionError')
    throwsNamed(() => aeadOpen(id, key, nonce, ct, none), 'DecryptionError')
    throwsNamed(() => aeadOpen(id, key, nonce, ct.subarray(0, 15), aad), 'DecryptionError')
    throwsNamed(() => aeadOpen(id, key, nonce, ct.subarray(1), aad), 'DecryptionError')
  }
})

test('wrong key length → InvalidKeyError; wrong nonce length or unknown id → RangeError', () => {
  for (const id of ids) {
    const nonce = new Uint8Array(12)
    for (const n of [0, 15, 24, 33]) {
      if (n === keyLength(id)) continue
      throwsNamed(() => aeadSeal(id, new Uint8Array(n), nonce, none, none), 'InvalidKeyError')
      throwsNamed(() => aeadOpen(id, new Uint8Array(n), nonce, new Uint8Array(16), none), 'InvalidKeyError')
    }
    throwsNamed(() => aeadSeal(id, new Uint8Array(keyLength(id)), new Uint8Array(8), none, none), 'RangeError')
  }
  throwsNamed(() => aeadSeal('aes-192-gcm' as AeadId, new Uint8Array(24), new Uint8Array(12), none, none), 'RangeError')
  throwsNamed(() => aeadSeal('toString' as AeadId, new Uint8Array(24), new Uint8Array(12), none, none), 'RangeError')
})

test('property: open(seal(x)) = x for every AEAD, and the tag adds exactly 16 bytes', () => {
  fc.assert(fc.property(
    fc.constantFrom(...ids), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }),
    fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 64 }),
    (id, key32, nonce, pt, aad) => {
      const key = key32.subarray(0, keyLength(id))
      const ct = aeadSeal(id, key, nonce, pt, aad)
      assert.is(ct.length, pt.length + 16)
      assert.is(toHex(aeadOpen(id, key, nonce, ct, aad)), toHex(pt))
    }), { numRuns: 200 })
})

test.run()
