// crypto/mpin/params.ts: the constants equal Milagro's (../shared/vectors/milagro-curve-params.json,
// built from apache/incubator-milagro-crypto-c @ 4ede6268 rom files) and mcl's curves.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readSharedJson } from '../../vectors.ts'
import { curveParams, isCurveName, MAXPIN, PBLEN } from '../../../crypto/mpin/params.ts'
import { loadCurve } from '../../../crypto/mpin/curves.ts'

interface MilagroParams {
  curves: Record<string, {
    p: string, r: string, b: number, g1_cofactor: string, MODBYTES: number, u: string
    G1: { x: string, y: string }
    G2: { x_a: string, x_b: string, y_a: string, y_b: string }
  }>
}

const milagro = readSharedJson<MilagroParams>('milagro-curve-params.json')

if (milagro === undefined) {
  test.skip('constants against milagro-curve-params.json (absent)', () => {})
} else {
  for (const ours of Object.values(curveParams)) {
    test(`${ours.name} constants equal Milagro's ${ours.milagroName}`, () => {
      const theirs = milagro.curves[ours.milagroName]
      assert.ok(theirs !== undefined)
      assert.is(ours.p, BigInt(theirs.p))
      assert.is(ours.r, BigInt(theirs.r))
      assert.is(ours.b, theirs.b)
      assert.is(ours.g1Cofactor, BigInt(theirs.g1_cofactor))
      assert.is(ours.pfs, theirs.MODBYTES)
      assert.is(ours.g1.x, BigInt(theirs.G1.x))
      assert.is(ours.g1.y, BigInt(theirs.G1.y))
      assert.is(ours.g2.xa, BigInt(theirs.G2.x_a))
      assert.is(ours.g2.xb, BigInt(theirs.G2.x_b))
      assert.is(ours.g2.ya, BigInt(theirs.G2.y_a))
      assert.is(ours.g2.yb, BigInt(theirs.G2.y_b))
      if (ours.family === 'BLS12') {
        const u = theirs.u.startsWith('-') ? -BigInt(theirs.u.slice(1)) : BigInt(theirs.u)
        assert.is(ours.g1Cofactor, (u - 1n) ** 2n / 3n)
      }
    })
  }
}

for (const ours of Object.values(curveParams)) {
  test(`${ours.name}: mcl's field and group orders are p and r`, async () => {
    const { mcl } = await loadCurve(ours.name)
    const fp = new mcl.Fp()
    fp.setStr((ours.p - 1n).toString(16), 16)
    assert.throws(() => fp.setStr(ours.p.toString(16), 16))
    const fr = new mcl.Fr()
    fr.setStr((ours.r - 1n).toString(16), 16)
    assert.throws(() => fr.setStr(ours.r.toString(16), 16))
    // (r − 1)·G = −G on the generators: the group order is exactly r.
    const curve = await loadCurve(ours.name)
    fr.setStr((ours.r - 1n).toString(16), 16)
    assert.ok(mcl.mul(curve.g1, fr).isEqual(mcl.neg(curve.g1)))
    assert.ok(mcl.mul(curve.q, fr).isEqual(mcl.neg(curve.q)))
  })
}

test('PIN constants and curve names', () => {
  assert.is(MAXPIN, 10000)
  assert.is(PBLEN, 14)
  assert.ok(2 ** PBLEN >= MAXPIN)
  assert.ok(isCurveName('BN254'))
  assert.ok(isCurveName('BLS12-381'))
  assert.not.ok(isCurveName('BN254CX'))
})

test.run()
