// crypto/mpin/codec.ts: Milagro octet encodings round-trip, and every malformed, off-curve,
// out-of-subgroup, non-canonical or infinite input is rejected with a typed error.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadCurve } from '../../../crypto/mpin/curves.ts'
import type { MpinCurve } from '../../../crypto/mpin/curves.ts'
import {
  assertG1, assertG2, decodeG1, decodeG2, decodeScalar, encodeG1, encodeG2, encodeScalar, g1Length, g2Length
} from '../../../crypto/mpin/codec.ts'
import { curveNames } from '../../../crypto/mpin/params.ts'
import { bigToBytes } from '../../../crypto/mpin/curves.ts'
import type { G1, G2 } from 'mcl-wasm'

function throwsNamed (fn: () => unknown, name: string, match?: RegExp): void {
  try {
    fn()
  } catch (err) {
    assert.is((err as Error).name, name, (err as Error).message)
    if (match !== undefined) assert.match((err as Error).message, match)
    return
  }
  assert.unreachable(`expected ${name}`)
}

function randomG1 (curve: MpinCurve): G1 {
  const k = new curve.mcl.Fr()
  k.setByCSPRNG()
  return curve.mcl.mul(curve.g1, k)
}

function randomG2 (curve: MpinCurve): G2 {
  const k = new curve.mcl.Fr()
  k.setByCSPRNG()
  return curve.mcl.mul(curve.q, k)
}

/** A point of E(Fp) outside the order-r subgroup (only BLS12 has a G1 cofactor). */
function nonSubgroupG1 (curve: MpinCurve): Uint8Array {
  const { mcl } = curve
  const b = new mcl.Fp()
  b.setInt(curve.params.b)
  for (let x = 1; ; x++) {
    const fx = new mcl.Fp()
    fx.setInt(x)
    const [ok, y] = mcl.squareRoot(mcl.add(mcl.mul(mcl.sqr(fx), fx), b))
    if (!ok) continue
    const pfs = curve.params.pfs
    const out = new Uint8Array(2 * pfs + 1)
    out[0] = 4
    out.set(bigToBytes(BigInt(x), pfs), 1)
    out.set(bigToBytes(BigInt('0x' + y.getStr(16)), pfs), 1 + pfs)
    return out
  }
}

/** A point on the twist E'(Fp2) outside the order-r subgroup (the G2 cofactor is large on both curves). */
function nonSubgroupG2 (curve: MpinCurve): Uint8Array {
  const { mcl } = curve
  // b' = b/(1+i) for BN254's D-type twist, b·(1+i) for BLS12-381's M-type twist.
  const xi = new mcl.Fp2()
  xi.setInt(1, 1)
  const b = new mcl.Fp2()
  b.setInt(curve.params.b, 0)
  const bTwist = curve.params.family === 'BN' ? mcl.div(b, xi) : mcl.mul(b, xi)
  // The twist equation is right: Milagro's Q satisfies it, so the points below lie on the twist.
  const qx = mcl.normalize(curve.q).getX()
  const qy = mcl.normalize(curve.q).getY()
  assert.ok(mcl.sqr(qy).isEqual(mcl.add(mcl.mul(mcl.sqr(qx), qx), bTwist)))
  const pfs = curve.params.pfs
  for (let a = 1; ; a++) {
    const x = new mcl.Fp2()
    x.setInt(a, 1)
    const [ok, y] = mcl.squareRoot(mcl.add(mcl.mul(mcl.sqr(x), x), bTwist))
    if (!ok) continue
    const point = new mcl.G2()
    const one = new mcl.Fp2()
    one.setInt(1, 0)
    point.setX(x)
    point.setY(y)
    point.setZ(one)
    if (point.isValidOrder()) continue
    const out = new Uint8Array(4 * pfs)
    const coords = [x.get_a(), x.get_b(), y.get_a(), y.get_b()]
    coords.forEach((c, i) => out.set(bigToBytes(BigInt('0x' + c.getStr(16)), pfs), i * pfs))
    return out
  }
}

for (const name of curveNames) {
  test(`${name}: G1 and G2 round-trip with Milagro's lengths`, async () => {
    const curve = await loadCurve(name)
    const pfs = curve.params.pfs
    for (let i = 0; i < 5; i++) {
      const P = randomG1(curve)
      const bytes = encodeG1(curve, P)
      assert.is(bytes.length, 2 * pfs + 1)
      assert.is(g1Length(curve), 2 * pfs + 1)
      assert.is(bytes[0], 4)
      assert.ok(decodeG1(curve, bytes).isEqual(P))
      const Q = randomG2(curve)
      const bytes2 = encodeG2(curve, Q)
      assert.is(bytes2.length, 4 * pfs)
      assert.is(g2Length(curve), 4 * pfs)
      assert.ok(decodeG2(curve, bytes2).isEqual(Q))
    }
    // The generators encode as Milagro's constants, real part of Fp2 first.
    const g1 = encodeG1(curve, curve.g1)
    assert.equal(g1.subarray(1, 1 + pfs), bigToBytes(curve.params.g1.x, pfs))
    const q = encodeG2(curve, curve.q)
    assert.equal(q.subarray(0, pfs), bigToBytes(curve.params.g2.xa, pfs))
    assert.equal(q.subarray(pfs, 2 * pfs), bigToBytes(curve.params.g2.xb, pfs))
    assert.equal(q.subarray(3 * pfs), bigToBytes(curve.params.g2.yb, pfs))
  })

  test(`${name}: malformed G1 octets are InvalidPointError`, async () => {
    const curve = await loadCurve(name)
    const pfs = curve.params.pfs
    const good = encodeG1(curve, randomG1(curve))
    throwsNamed(() => decodeG1(curve, good.subarray(1)), 'InvalidPointError', /expected \d+ bytes/)
    throwsNamed(() => decodeG1(curve, new Uint8Array(0)), 'InvalidPointError')
    throwsNamed(() => decodeG1(curve, Uint8Array.from([...good, 0])), 'InvalidPointError')
    for (const prefix of [0, 2, 3, 5]) {
      const bad = good.slice()
      bad[0] = prefix
      throwsNamed(() => decodeG1(curve, bad), 'InvalidPointError', /prefix/)
    }
    const offCurve = good.slice()
    offCurve[2 * pfs] = (offCurve[2 * pfs] as number) ^ 1
    throwsNamed(() => decodeG1(curve, offCurve, 'V'), 'InvalidPointError', /^V: not on the curve/)
    const xTooBig = good.slice()
    xTooBig.set(bigToBytes(curve.params.p, pfs), 1)
    throwsNamed(() => decodeG1(curve, xTooBig), 'InvalidPointError', /not reduced/)
    // x + p encodes the same field element: non-canonical, so rejected even when it would fit.
    const x = BigInt('0x' + Buffer.from(good.subarray(1, 1 + pfs)).toString('hex'))
    if (x + curve.params.p < 256n ** BigInt(pfs)) {
      const alias = good.slice()
      alias.set(bigToBytes(x + curve.params.p, pfs), 1)
      throwsNamed(() => decodeG1(curve, alias), 'InvalidPointError', /not reduced/)
    }
    const zero = new Uint8Array(2 * pfs + 1)
    zero[0] = 4
    throwsNamed(() => decodeG1(curve, zero), 'InvalidPointError')
    throwsNamed(() => assertG1(curve, offCurve), 'InvalidPointError')
    assertG1(curve, good)
    throwsNamed(() => encodeG1(curve, new curve.mcl.G1()), 'InvalidPointError', /infinity/)
    assert.throws(() => decodeG1(curve, [...good] as unknown as Uint8Array), (e: Error) => e.name === 'TypeError')
  })

  test(`${name}: malformed G2 octets are InvalidPointError`, async () => {
    const curve = await loadCurve(name)
    const pfs = curve.params.pfs
    const good = encodeG2(curve, randomG2(curve))
    throwsNamed(() => decodeG2(curve, good.subarray(1)), 'InvalidPointError', /expected \d+ bytes/)
    const offTwist = good.slice()
    offTwist[4 * pfs - 1] = (offTwist[4 * pfs - 1] as number) ^ 1
    throwsNamed(() => decodeG2(curve, offTwist), 'InvalidPointError', /not on the twist/)
    for (let i = 0; i < 4; i++) {
      const bad = good.slice()
      bad.set(bigToBytes(curve.params.p, pfs), i * pfs)
      throwsNamed(() => decodeG2(curve, bad), 'InvalidPointError', /not reduced/)
    }
    // Swapping real and imaginary parts (the ZCash order) does not give the same point.
    const swapped = new Uint8Array(4 * pfs)
    swapped.set(good.subarray(pfs, 2 * pfs), 0)
    swapped.set(good.subarray(0, pfs), pfs)
    swapped.set(good.subarray(3 * pfs), 2 * pfs)
    swapped.set(good.subarray(2 * pfs, 3 * pfs), 3 * pfs)
    throwsNamed(() => decodeG2(curve, swapped), 'InvalidPointError')
    throwsNamed(() => decodeG2(curve, new Uint8Array(4 * pfs)), 'InvalidPointError')
    throwsNamed(() => assertG2(curve, offTwist), 'InvalidPointError')
    assertG2(curve, good)
    throwsNamed(() => encodeG2(curve, new curve.mcl.G2()), 'InvalidPointError', /infinity/)
  })

  test(`${name}: points on the curve but outside the prime-order subgroup are rejected`, async () => {
    const curve = await loadCurve(name)
    throwsNamed(() => decodeG2(curve, nonSubgroupG2(curve)), 'InvalidPointError', /subgroup/)
    if (curve.params.g1Cofactor !== 1n) {
      throwsNamed(() => decodeG1(curve, nonSubgroupG1(curve)), 'InvalidPointError', /subgroup/)
    } else {
      // On BN curves every point of E(Fp) has order r: the same construction is accepted.
      assert.is(decodeG1(curve, nonSubgroupG1(curve)).isValidOrder(), true)
    }
  })

  test(`${name}: scalars are pfs bytes in [1, r−1]`, async () => {
    const curve = await loadCurve(name)
    const pfs = curve.params.pfs
    const fr = new curve.mcl.Fr()
    fr.setByCSPRNG()
    const bytes = encodeScalar(curve, fr)
    assert.is(bytes.length, pfs)
    assert.ok(decodeScalar(curve, bytes).isEqual(fr))
    const one = new Uint8Array(pfs)
    one[pfs - 1] = 1
    assert.ok(decodeScalar(curve, one).isOne())
    assert.equal(decodeScalar(curve, bigToBytes(curve.params.r - 1n, pfs)).getStr(16), (curve.params.r - 1n).toString(16))
    throwsNamed(() => decodeScalar(curve, new Uint8Array(pfs), 'MS1'), 'InvalidKeyError', /^MS1: zero/)
    throwsNamed(() => decodeScalar(curve, bigToBytes(curve.params.r, pfs)), 'InvalidKeyError', /not reduced/)
    throwsNamed(() => decodeScalar(curve, new Uint8Array(pfs).fill(0xff)), 'InvalidKeyError', /not reduced/)
    throwsNamed(() => decodeScalar(curve, new Uint8Array(pfs - 1).fill(1)), 'InvalidKeyError', /expected/)
  })
}

test.run()
