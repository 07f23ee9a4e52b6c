// HKDF-SHA256: RFC 5869 Appendix A, test cases 1–3 (the SHA-256 ones), values typed from the RFC;
// plus a differential check against node:crypto's own hkdfSync.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { hkdfSync } from 'node:crypto'
import { hkdfExpand, hkdfExpandParts, hkdfExtract, hkdfExtractParts } from '../../crypto/hkdf.ts'
import { hex, toHex } from '../vectors.ts'

function range (from: number, to: number): Uint8Array {
  return Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

const cases = [
  {
    name: 'RFC 5869 A.1 (test case 1: basic)',
    ikm: hex('0b'.repeat(22)),
    salt: range(0x00, 0x0c),
    info: range(0xf0, 0xf9),
    length: 42,
    prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
    okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865'
  },
  {
    name: 'RFC 5869 A.2 (test case 2: longer inputs and outputs)',
    ikm: range(0x00, 0x4f),
    salt: range(0x60, 0xaf),
    info: range(0xb0, 0xff),
    length: 82,
    prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
    okm: 'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c' +
      '59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71' +
      'cc30c58179ec3e87c14c01d5c1f3434f1d87'
  },
  {
    name: 'RFC 5869 A.3 (test case 3: zero-length salt and info)',
    ikm: hex('0b'.repeat(22)),
    salt: new Uint8Array(0),
    info: new Uint8Array(0),
    length: 42,
    prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
    okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8'
  }
]

for (const c of cases) {
  test(c.name, () => {
    const prk = hkdfExtract(c.salt, c.ikm)
    assert.is(toHex(prk), c.prk)
    assert.is(toHex(hkdfExpand(prk, c.info, c.length)), c.okm)
    assert.is(prk.constructor, Uint8Array)
  })
}

test('the …Parts forms equal the concatenated input', () => {
  const c = cases[1] as typeof cases[number]
  assert.is(toHex(hkdfExtractParts(c.salt, [c.ikm.subarray(0, 7), c.ikm.subarray(7)])), c.prk)
  assert.is(toHex(hkdfExpandParts(hex(c.prk), [c.info.subarray(0, 50), new Uint8Array(0), c.info.subarray(50)], c.length)), c.okm)
})

test('differential with node:crypto hkdfSync over random inputs and lengths', () => {
  fc.assert(fc.property(
    fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), fc.integer({ min: 1, max: 255 * 32 }),
    (salt, ikm, info, length) => {
      const ours = hkdfExpand(hkdfExtract(salt, ikm), info, length)
      assert.is(ours.length, length)
      assert.is(toHex(ours), Buffer.from(hkdfSync('sha256', ikm, salt, info, length)).toString('hex'))
    }), { numRuns: 200 })
})

test('hkdfExpand: every output length 0..97 is a prefix of the longest', () => {
  const prk = hkdfExtract(new Uint8Array(0), hex('0b'.repeat(22)))
  const longest = toHex(hkdfExpand(prk, new Uint8Array(0), 97))
  for (let n = 0; n <= 97; n++) assert.is(toHex(hkdfExpand(prk, new Uint8Array(0), n)), longest.slice(0, 2 * n))
})

test('hkdfExpand rejects lengths outside 0..8160 and a PRK shorter than 32 bytes', () => {
  const prk = new Uint8Array(32)
  assert.throws(() => hkdfExpand(prk, new Uint8Array(0), 255 * 32 + 1), (e: Error) => e.name === 'RangeError')
  assert.throws(() => hkdfExpand(prk, new Uint8Array(0), -1), (e: Error) => e.name === 'RangeError')
  assert.throws(() => hkdfExpand(prk, new Uint8Array(0), 1.5), (e: Error) => e.name === 'RangeError')
  assert.throws(() => hkdfExpand(new Uint8Array(31), new Uint8Array(0), 32), (e: Error) => e.name === 'RangeError')
  assert.is(hkdfExpand(prk, new Uint8Array(0), 255 * 32).length, 8160)
})

test.run()
