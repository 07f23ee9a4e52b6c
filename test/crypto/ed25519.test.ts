// Ed25519 known answers: RFC 8032 §7.1 (TEST 1, 2, 3, 1024, SHA(abc)) and Wycheproof's
// ed25519_test.json (C2SP/wycheproof @ dac1dd47), both from ../shared/vectors (see its README),
// plus a differential check against @noble/curves' ed25519.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { ed25519 as nobleEd25519 } from '@noble/curves/ed25519.js'
import { generateSigningKeyPair, sign, signingKeyPairFromSeed, Signer, verify } from '../../crypto/ed25519.ts'
import { hex, readSharedJson, toHex } from '../vectors.ts'

interface Rfc8032 { name: string, secretKey: string, publicKey: string, message: string, signature: string }
const rfc = readSharedJson<{ vectors: Rfc8032[] }>('ed25519-rfc8032.json')

if (rfc === undefined) {
  test.skip('RFC 8032 §7.1 vectors (shared vectors absent)', () => {})
} else {
  test('RFC 8032 §7.1: public key and signature reproduce exactly, and verify', () => {
    assert.is(rfc.vectors.length, 5)
    for (const v of rfc.vectors) {
      const pair = signingKeyPairFromSeed(hex(v.secretKey))
      assert.is(toHex(pair.publicKey), v.publicKey, v.name)
      const sig = sign(hex(v.secretKey), hex(v.message))
      assert.is(toHex(sig), v.signature, v.name)
      assert.is(toHex(new Signer(hex(v.secretKey)).sign(hex(v.message))), v.signature)
      assert.ok(verify(hex(v.publicKey), hex(v.message), sig))
    }
  })
}

interface WycheTest { tcId: number, msg: string, sig: string, result: 'valid' | 'invalid' | 'acceptable', comment: string }
interface WycheGroup { publicKey: { pk: string }, tests: WycheTest[] }
const wyche = readSharedJson<{ testGroups: WycheGroup[] }>('ed25519-wycheproof.json')
if (wyche === undefined) {
  test.skip('Wycheproof Ed25519 verify (shared vectors absent)', () => {})
} else {
  test('Wycheproof ed25519_test.json: every verify result matches (the file has no acceptable cases)', () => {
    let n = 0
    for (const g of wyche.testGroups) {
      for (const t of g.tests) {
        assert.is.not(t.result, 'acceptable', `tcId ${t.tcId} is 'acceptable': decide its policy`)
        const ok = verify(hex(g.publicKey.pk), hex(t.msg), hex(t.sig))
        assert.is(ok, t.result === 'valid', `tcId ${t.tcId}: ${t.comment}`)
        n++
      }
    }
    assert.ok(n >= 150)
  })
}

test('differential with @noble/curves: same keys, same signatures, cross-verify', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (seed, msg) => {
    const pair = signingKeyPairFromSeed(seed)
    assert.is(toHex(pair.publicKey), toHex(nobleEd25519.getPublicKey(seed)))
    const sig = sign(seed, msg)
    assert.is(toHex(sig), toHex(nobleEd25519.sign(msg, seed)))
    assert.ok(nobleEd25519.verify(sig, msg, pair.publicKey))
  }), { numRuns: 100 })
})

test('a flipped bit in message, signature or key fails verification', () => {
  const pair = generateSigningKeyPair()
  const msg = new TextEncoder().encode('milagro')
  const sig = sign(pair.secretKey, msg)
  assert.ok(verify(pair.publicKey, msg, sig))
  for (let i = 0; i < sig.length * 8; i += 7) {
    const bad = Uint8Array.from(sig); bad[i >> 3]! ^= 1 << (i & 7)
    assert.not.ok(verify(pair.publicKey, msg, bad))
  }
  const badMsg = Uint8Array.from(msg); badMsg[0]! ^= 1
  assert.not.ok(verify(pair.publicKey, badMsg, sig))
  const badKey = Uint8Array.from(pair.publicKey); badKey[3]! ^= 4
  assert.not.ok(verify(badKey, msg, sig))
})

test('wrong lengths: verify says no, sign throws InvalidKeyError', () => {
  const pair = generateSigningKeyPair()
  const msg = new Uint8Array(3)
  const sig = sign(pair.secretKey, msg)
  assert.not.ok(verify(pair.publicKey.subarray(1), msg, sig))
  assert.not.ok(verify(pair.publicKey, msg, sig.subarray(1)))
  assert.throws(() => sign(new Uint8Array(31), msg), (e: Error) => e.name === 'InvalidKeyError')
})

test.run()
