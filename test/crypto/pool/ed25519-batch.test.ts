// crypto/pool/ed25519-batch.ts: per-item Ed25519 verification on node:crypto. Known answers:
// RFC 8032 §7.1 (../shared/vectors/ed25519-rfc8032.json) and all 151 Wycheproof EdDSA verify
// tests (C2SP/wycheproof @ dac1dd47, testvectors_v1/ed25519_test.json).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hex, readSharedJson } from '../../vectors.ts'
import { verifyEd25519Batch } from '../../../crypto/pool/ed25519-batch.ts'
import type { Ed25519BatchItem } from '../../../crypto/pool/ed25519-batch.ts'
import { signedItems } from './helpers.ts'

interface Rfc8032 { vectors: Array<{ name: string, publicKey: string, message: string, signature: string }> }
interface Wycheproof { testGroups: Array<{ publicKey: { pk: string }, tests: Array<{ tcId: number, msg: string, sig: string, result: string }> }> }

const rfc = readSharedJson<Rfc8032>('ed25519-rfc8032.json')
const wycheproof = readSharedJson<Wycheproof>('ed25519-wycheproof.json')

if (rfc === undefined) {
  test.skip('RFC 8032 §7.1 vectors (absent)', () => {})
} else {
  test('RFC 8032 §7.1: all five verify; each with one flipped bit does not', () => {
    const items = rfc.vectors.map((v) => ({ publicKey: hex(v.publicKey), message: hex(v.message), signature: hex(v.signature) }))
    assert.equal(verifyEd25519Batch(items), [true, true, true, true, true])
    const tampered = items.map((it, i) => {
      const signature = it.signature.slice()
      signature[i * 7] = (signature[i * 7] as number) ^ 0x01
      return { ...it, signature }
    })
    assert.equal(verifyEd25519Batch(tampered), [false, false, false, false, false])
  })
}

if (wycheproof === undefined) {
  test.skip('Wycheproof Ed25519 (absent)', () => {})
} else {
  test('Wycheproof: all 151 tests give the expected result, in order', () => {
    const items: Ed25519BatchItem[] = []
    const expected: boolean[] = []
    for (const group of wycheproof.testGroups) {
      for (const t of group.tests) {
        items.push({ publicKey: hex(group.publicKey.pk), message: hex(t.msg), signature: hex(t.sig) })
        expected.push(t.result === 'valid')
      }
    }
    assert.is(items.length, 151)
    assert.equal(verifyEd25519Batch(items), expected)
  })
}

test('malformed keys and signatures are false, not errors', () => {
  const [good] = signedItems(1)
  if (good === undefined) throw new Error('no item')
  assert.equal(verifyEd25519Batch([
    good,
    { ...good, publicKey: good.publicKey.subarray(1) },
    { ...good, signature: good.signature.subarray(1) },
    { ...good, publicKey: new Uint8Array(32).fill(0xff) },
    { ...good, message: new Uint8Array(0) }
  ]), [true, false, false, false, false])
  assert.equal(verifyEd25519Batch([]), [])
})

test.run()
