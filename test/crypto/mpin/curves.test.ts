// crypto/mpin/curves.ts and mcl-instance.ts: both curves live side by side in one thread, each in
// its own mcl-wasm instance, with Milagro's generators, and the process-wide mcl-wasm singleton
// that other code may import is left alone.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createRequire } from 'node:module'
import { loadCurve } from '../../../crypto/mpin/curves.ts'
import { loadMclInstance } from '../../../crypto/mpin/mcl-instance.ts'
import type { Mcl } from '../../../crypto/mpin/mcl-instance.ts'

const require = createRequire(import.meta.url)

test('BN254 and BLS12-381 contexts coexist and compute on their own curve', async () => {
  const bn = await loadCurve('BN254')
  const bls = await loadCurve('BLS12-381')
  assert.is.not(bn.mcl, bls.mcl)
  assert.is(bn.mcl.curveType, bn.mcl.BN254)
  assert.is(bls.mcl.curveType, bls.mcl.BLS12_381)
  // Interleaved pairings on both curves: bilinearity holds on each.
  for (const curve of [bn, bls, bn, bls]) {
    const { mcl } = curve
    const a = new mcl.Fr()
    a.setByCSPRNG()
    const b = new mcl.Fr()
    b.setByCSPRNG()
    const lhs = mcl.pairing(mcl.mul(curve.g1, a), mcl.mul(curve.q, b))
    const rhs = mcl.pow(mcl.pairing(curve.g1, curve.q), mcl.mul(a, b))
    assert.ok(lhs.isEqual(rhs), curve.name)
    assert.not.ok(mcl.pairing(curve.g1, curve.q).isOne())
  }
  assert.is(bn.mcl.curveType, bn.mcl.BN254)
})

test('loadCurve is memoised per thread', async () => {
  assert.is(await loadCurve('BN254'), await loadCurve('BN254'))
})

test('Fp serialisation is little-endian canonical (map.ts reads the parity from byte 0)', async () => {
  for (const name of ['BN254', 'BLS12-381'] as const) {
    const { mcl } = await loadCurve(name)
    const x = new mcl.Fp()
    x.setInt(258)
    assert.is(x.serialize()[0], 2)
    assert.is(x.serialize()[1], 1)
  }
})

test('a private instance does not replace the mcl-wasm module other code imports', async () => {
  const shared = require('mcl-wasm') as Mcl
  await shared.init(shared.BN254)
  const mine = await loadMclInstance('BLS12_381')
  assert.is(require('mcl-wasm'), shared)
  assert.is.not(mine, shared)
  assert.is(shared.curveType, shared.BN254)
  assert.is(mine.curveType, mine.BLS12_381)
  const g = shared.hashAndMapToG1('still BN254')
  assert.ok(g.isValid())
})

test.run()
