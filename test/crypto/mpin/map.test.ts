// crypto/mpin/map.ts: Milagro's mhashit framing and try-and-increment mapit. BN254 is checked
// point for point against milagro-crypto-js's own hashit / ECP.mapit; BLS12-381 (cofactor
// clearing included) is pinned by the 150 published vectors in mpin.vectors.test.ts and below.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash, randomBytes } from 'node:crypto'
import { hex, readSharedJson, toHex } from '../../vectors.ts'
import { loadCurve } from '../../../crypto/mpin/curves.ts'
import { datePoint, hashId, identityPoint, mapit, mhashit } from '../../../crypto/mpin/map.ts'
import { encodeG1 } from '../../../crypto/mpin/codec.ts'
import { fromArray, milagro, toArray } from './milagro.ts'

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

test('mhashit: SHA-256 of [n as 4 bytes big-endian if n > 0] ‖ data, fitted to MODBYTES', async () => {
  const bn = await loadCurve('BN254')
  const bls = await loadCurve('BLS12-381')
  const id = new TextEncoder().encode('alice@example.org')
  assert.equal(hashId(bn, id), sha256(id))
  assert.equal(mhashit(bn, 0, id), sha256(id))
  assert.equal(mhashit(bn, 16574, id), sha256(Uint8Array.of(0, 0, 0x40, 0xbe), id))
  assert.equal(mhashit(bn, 0xffffffff, id), sha256(Uint8Array.of(255, 255, 255, 255), id))
  const padded = hashId(bls, id)
  assert.is(padded.length, 48)
  assert.equal(padded.subarray(0, 16), new Uint8Array(16))
  assert.equal(padded.subarray(16), sha256(id))
  assert.throws(() => mhashit(bn, -1, id), RangeError)
  assert.throws(() => mhashit(bn, 1.5, id), RangeError)
  assert.throws(() => mhashit(bn, 2 ** 32, id), RangeError)
})

test('BN254: hashit equals milagro-crypto-js for several counters', async () => {
  const curve = await loadCurve('BN254')
  const ctx = milagro('BN254')
  for (const n of [0, 1, 16574, 20000, 0x7fffffff]) {
    const data = randomBytes(1 + n % 90)
    assert.equal(mhashit(curve, n, data), fromArray(ctx.MPIN.hashit(ctx.MPIN.HASH_TYPE, n, toArray(data))), `n=${n}`)
  }
})

test('BN254: mapit equals milagro-crypto-js ECP.mapit, including hashes above p', async () => {
  const curve = await loadCurve('BN254')
  const ctx = milagro('BN254')
  for (let i = 0; i < 40; i++) {
    const h = new Uint8Array(randomBytes(32))
    const theirs: number[] = []
    ctx.ECP.mapit(toArray(h)).toBytes(theirs)
    const ours = encodeG1(curve, mapit(curve, h))
    assert.equal(ours, fromArray(theirs), `h=${toHex(h)}`)
    assert.is((ours[64] as number) & 1, 0, 'y is even')
  }
  // All-ones is above p (p < 2^254), so the reduction mod p is exercised at least once.
  const high = new Uint8Array(32).fill(0xff)
  assert.ok(BigInt('0x' + toHex(high)) >= curve.params.p)
  const theirs: number[] = []
  ctx.ECP.mapit(toArray(high)).toBytes(theirs)
  assert.equal(encodeG1(curve, mapit(curve, high)), fromArray(theirs))
})

test('BN254: identity and date points equal milagro-crypto-js (A and AT)', async () => {
  const curve = await loadCurve('BN254')
  const ctx = milagro('BN254')
  const id = new TextEncoder().encode('{"userID":"bob@example.org"}')
  const hid = hashId(curve, id)
  assert.equal(hid, fromArray(ctx.MPIN.HASH_ID(ctx.MPIN.HASH_TYPE, toArray(id))))
  const A: number[] = []
  ctx.ECP.mapit(toArray(hid)).toBytes(A)
  assert.equal(encodeG1(curve, identityPoint(curve, hid)), fromArray(A))
  const AT: number[] = []
  ctx.ECP.mapit(ctx.MPIN.hashit(ctx.MPIN.HASH_TYPE, 16574, toArray(hid))).toBytes(AT)
  assert.equal(encodeG1(curve, datePoint(curve, 16574, hid)), fromArray(AT))
})

test('BLS12-381: mapit(H(ID)) lands in G1 and is Milagro\'s A (U = X·A in the vectors)', async () => {
  const curve = await loadCurve('BLS12-381')
  const A = mapit(curve, hashId(curve, new TextEncoder().encode('x')))
  assert.ok(A.isValidOrder())
  const vectors = readSharedJson<Array<{ MPINId: string, X: string, U: string }>>('mpin-BLS381.json')
  if (vectors === undefined) return
  for (const v of vectors.slice(0, 10)) {
    const x = new curve.mcl.Fr()
    x.setStr(v.X.replace(/^0+/, ''), 16)
    const U = curve.mcl.mul(mapit(curve, hashId(curve, hex(v.MPINId))), x)
    assert.is(toHex(encodeG1(curve, U)), v.U)
  }
})

test('mapit rejects hashes of the wrong length', async () => {
  const curve = await loadCurve('BLS12-381')
  assert.throws(() => mapit(curve, new Uint8Array(32)), RangeError)
})

test.run()
