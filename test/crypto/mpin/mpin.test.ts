// crypto/mpin/mpin.ts on both curves: the full D-TA → client → server flow with shares summed
// from several D-TAs, with and without time permits; every failure mode yields its typed error.
// Known answers are in mpin.vectors.test.ts, Milagro interop in mpin.interop.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { loadCurve } from '../../../crypto/mpin/curves.ts'
import type { MpinCurve } from '../../../crypto/mpin/curves.ts'
import { hashId } from '../../../crypto/mpin/map.ts'
import {
  client1, client2, clientSecretShare, extractPin, getY, prepareServerSecret, randomScalar, recombineG1,
  recombineG2, serverSecretShare, serverVerify, timePermitShare
} from '../../../crypto/mpin/mpin.ts'
import type { ServerVerifyInput } from '../../../crypto/mpin/mpin.ts'
import { curveNames } from '../../../crypto/mpin/params.ts'

const enc = new TextEncoder()
const DATE = 20123

function outcome (curve: MpinCurve, input: ServerVerifyInput): string {
  try {
    serverVerify(curve, input)
    return 'ok'
  } catch (err) {
    return (err as Error).name
  }
}

interface Issued { hid: Uint8Array, cs: Uint8Array, ss: Uint8Array, permit: Uint8Array }

/** Three D-TAs each issue their share; the beneficiary sums them. */
function issue (curve: MpinCurve, id: string, date = DATE): Issued {
  const shares = [randomScalar(curve), randomScalar(curve), randomScalar(curve)]
  const hid = hashId(curve, enc.encode(id))
  return {
    hid,
    cs: recombineG1(curve, shares.map((s) => clientSecretShare(curve, s, hid))),
    ss: recombineG2(curve, shares.map((s) => serverSecretShare(curve, s))),
    permit: recombineG1(curve, shares.map((s) => timePermitShare(curve, s, date, hid)))
  }
}

function login (curve: MpinCurve, issued: Issued, token: Uint8Array, pin: number, date: number): ServerVerifyInput {
  const pass1 = client1(curve, { hashedId: issued.hid, pin, token, date, permit: issued.permit })
  const y = randomScalar(curve)
  const V = client2(curve, pass1.x, y, pass1.sec)
  return { serverSecret: issued.ss, hashedId: issued.hid, date, U: pass1.U, ...(pass1.UT === undefined ? {} : { UT: pass1.UT }), y, V }
}

for (const name of curveNames) {
  test(`${name}: shares of a sum are the sum of shares`, async () => {
    const curve = await loadCurve(name)
    const { mcl } = curve
    const a = randomScalar(curve)
    const b = randomScalar(curve)
    const fa = new mcl.Fr()
    fa.setStr(Buffer.from(a).toString('hex').replace(/^0+/, ''), 16)
    const fb = new mcl.Fr()
    fb.setStr(Buffer.from(b).toString('hex').replace(/^0+/, ''), 16)
    const sum = Uint8Array.from(Buffer.from(mcl.add(fa, fb).getStr(16).padStart(curve.params.pfs * 2, '0'), 'hex'))
    const hid = hashId(curve, enc.encode('carol'))
    assert.equal(recombineG1(curve, [clientSecretShare(curve, a, hid), clientSecretShare(curve, b, hid)]), clientSecretShare(curve, sum, hid))
    assert.equal(recombineG2(curve, [serverSecretShare(curve, a), serverSecretShare(curve, b)]), serverSecretShare(curve, sum))
    assert.equal(recombineG1(curve, [timePermitShare(curve, a, 7, hid), timePermitShare(curve, b, 7, hid)]), timePermitShare(curve, sum, 7, hid))
    assert.is(randomScalar(curve).length, curve.params.pfs)
    assert.not.equal(randomScalar(curve), randomScalar(curve))
  })

  test(`${name}: authentication with and without time permits; wrong PIN, identity, date and challenge fail`, async () => {
    const curve = await loadCurve(name)
    const issued = issue(curve, 'dave@example.org')
    const token = extractPin(curve, issued.cs, issued.hid, 1111)
    for (const date of [0, DATE]) {
      const good = login(curve, issued, token, 1111, date)
      assert.is(outcome(curve, good), 'ok', `date=${date}`)
      assert.is(outcome(curve, login(curve, issued, token, 1112, date)), 'BadPinError', `wrong PIN, date=${date}`)
      assert.is(outcome(curve, { ...good, hashedId: hashId(curve, enc.encode('eve@example.org')) }), 'BadPinError', 'wrong identity')
      assert.is(outcome(curve, { ...good, y: randomScalar(curve) }), 'BadPinError', 'V answers another challenge')
      assert.is(outcome(curve, { ...good, serverSecret: issue(curve, 'x').ss }), 'BadPinError', 'another master secret')
      if (date > 0) {
        assert.is(outcome(curve, { ...good, date: DATE + 1 }), 'BadPinError', 'wrong date')
        assert.is(outcome(curve, { ...good, UT: good.U as Uint8Array }), 'BadPinError', 'U instead of UT')
      }
    }
    // A permit for another date does not help the client either.
    const stale = issue(curve, 'frank@example.org', DATE - 1)
    const staleToken = extractPin(curve, stale.cs, stale.hid, 5)
    assert.is(outcome(curve, login(curve, stale, staleToken, 5, DATE)), 'BadPinError', 'permit for another date')
  })

  test(`${name}: malformed protocol input is rejected with typed errors before any pairing`, async () => {
    const curve = await loadCurve(name)
    const issued = issue(curve, 'grace@example.org')
    const token = extractPin(curve, issued.cs, issued.hid, 42)
    const good = login(curve, issued, token, 42, 0)
    const flip = (b: Uint8Array, i: number): Uint8Array => { const c = b.slice(); c[i] = (c[i] as number) ^ 1; return c }
    const V = good.V
    assert.is(outcome(curve, { ...good, V: flip(V, V.length - 1) }), 'InvalidPointError', 'V off the curve')
    assert.is(outcome(curve, { ...good, V: V.subarray(0, V.length - 1) }), 'InvalidPointError', 'V truncated')
    assert.is(outcome(curve, { ...good, U: flip(good.U as Uint8Array, 5) }), 'InvalidPointError', 'U off the curve')
    assert.is(outcome(curve, { ...good, serverSecret: flip(issued.ss, 3) }), 'InvalidPointError', 'server secret off the twist')
    assert.is(outcome(curve, { ...good, y: new Uint8Array(curve.params.pfs) }), 'InvalidKeyError', 'y zero')
    assert.is(outcome(curve, { ...good, y: new Uint8Array(curve.params.pfs).fill(0xff) }), 'InvalidKeyError', 'y ≥ r')
    const noU: ServerVerifyInput = { serverSecret: good.serverSecret, hashedId: good.hashedId, y: good.y, V: good.V }
    assert.is(outcome(curve, noU), 'TypeError', 'U missing')
    assert.is(outcome(curve, { ...noU, date: DATE }), 'TypeError', 'UT missing')
    assert.is(outcome(curve, { ...good, date: -1 }), 'RangeError')
    assert.throws(() => client1(curve, { hashedId: issued.hid, pin: 42, token, date: DATE }), TypeError)
    assert.throws(() => client1(curve, { hashedId: issued.hid, pin: -1, token }), RangeError)
    assert.throws(() => client1(curve, { hashedId: issued.hid, pin: 1.5, token }), RangeError)
    assert.throws(() => extractPin(curve, flip(issued.cs, 9), issued.hid, 1), (e: Error) => e.name === 'InvalidPointError')
    assert.throws(() => clientSecretShare(curve, new Uint8Array(curve.params.pfs), issued.hid), (e: Error) => e.name === 'InvalidKeyError')
    assert.throws(() => serverSecretShare(curve, new Uint8Array(3)), (e: Error) => e.name === 'InvalidKeyError')
    assert.throws(() => timePermitShare(curve, randomScalar(curve), 0, issued.hid), RangeError)
    assert.throws(() => recombineG1(curve, []), RangeError)
    assert.throws(() => recombineG2(curve, [issued.ss, flip(issued.ss, 0)]), (e: Error) => e.name === 'InvalidPointError')
    // Shares that cancel sum to infinity, which Milagro cannot encode.
    const s = randomScalar(curve)
    const P = clientSecretShare(curve, s, issued.hid)
    const negP = P.slice()
    const pfs = curve.params.pfs
    const y = BigInt('0x' + Buffer.from(P.subarray(1 + pfs)).toString('hex'))
    negP.set(Buffer.from((curve.params.p - y).toString(16).padStart(pfs * 2, '0'), 'hex'), 1 + pfs)
    assert.throws(() => recombineG1(curve, [P, negP]), (e: Error) => e.name === 'InvalidPointError' && /infinity/.test(e.message))
  })

  test(`${name}: a prepared server secret verifies repeatedly and is released by destroy()`, async () => {
    const curve = await loadCurve(name)
    const issued = issue(curve, 'heidi@example.org')
    const token = extractPin(curve, issued.cs, issued.hid, 777)
    const prepared = prepareServerSecret(curve, issued.ss)
    for (let i = 0; i < 3; i++) {
      assert.is(outcome(curve, { ...login(curve, issued, token, 777, DATE), serverSecret: prepared }), 'ok')
      assert.is(outcome(curve, { ...login(curve, issued, token, 778, DATE), serverSecret: prepared }), 'BadPinError')
    }
    const other = await loadCurve(name === 'BN254' ? 'BLS12-381' : 'BN254')
    assert.is(outcome(other, { ...login(curve, issued, token, 777, 0), serverSecret: prepared }), 'TypeError')
    prepared.destroy()
    prepared.destroy()
    assert.is(outcome(curve, { ...login(curve, issued, token, 777, 0), serverSecret: prepared }), 'TypeError')
  })

  test(`${name}: one-pass y is H(time ‖ U') mod r and verifies`, async () => {
    const curve = await loadCurve(name)
    const issued = issue(curve, 'ivan@example.org')
    const token = extractPin(curve, issued.cs, issued.hid, 31)
    const pass1 = client1(curve, { hashedId: issued.hid, pin: 31, token, date: DATE, permit: issued.permit })
    const y = getY(curve, 1_700_000_000, pass1.UT as Uint8Array)
    assert.equal(y, getY(curve, 1_700_000_000, pass1.UT as Uint8Array))
    assert.not.equal(y, getY(curve, 1_700_000_001, pass1.UT as Uint8Array))
    const V = client2(curve, pass1.x, y, pass1.sec)
    assert.is(outcome(curve, { serverSecret: issued.ss, hashedId: issued.hid, date: DATE, UT: pass1.UT as Uint8Array, y, V }), 'ok')
    assert.throws(() => getY(curve, 0, pass1.U), RangeError)
  })
}

test('BN254: any PIN is accepted exactly when it matches mod 10000 (property)', async () => {
  const curve = await loadCurve('BN254')
  const issued = issue(curve, 'judy@example.org')
  fc.assert(fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 29999 }), (pin, entered) => {
    const token = extractPin(curve, issued.cs, issued.hid, pin)
    const expected = entered % 10000 === pin ? 'ok' : 'BadPinError'
    return outcome(curve, login(curve, issued, token, entered, 0)) === expected
  }), { numRuns: 12, examples: [[1234, 11234], [0, 10000], [9999, 9999], [5, 6]] })
})

test.run()
