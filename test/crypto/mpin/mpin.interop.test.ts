// Interoperability of crypto/mpin/mpin.ts with Apache Milagro's own JavaScript M-Pin
// (milagro-crypto-js 3.3, `new CTX('BN254')`, SHA-256) on BN254, the curve both share:
//   · every D-TA, client and server value is byte-identical to Milagro's for the same inputs;
//   · a client secret summed from two of our D-TA shares works in Milagro's client;
//   · Milagro's client authenticates against our serverVerify;
//   · our client authenticates against Milagro's SERVER_2;
// each with and without time permits, and the failures (wrong PIN / identity / date) are rejected
// by both sides. Protocol: M. Scott, "M-Pin: A Multi-Factor Zero Knowledge Authentication Protocol".
// Milagro's SERVER_2 takes ~90 ms, so a few representative iterations run here.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { randomBytes } from 'node:crypto'
import { loadCurve } from '../../../crypto/mpin/curves.ts'
import { hashId } from '../../../crypto/mpin/map.ts'
import {
  client1, client2, clientSecretShare, extractPin, getY, randomScalar, recombineG1, recombineG2,
  serverSecretShare, serverVerify, timePermitShare
} from '../../../crypto/mpin/mpin.ts'
import type { MpinCurve } from '../../../crypto/mpin/curves.ts'
import { fromArray, milagro, milagroRng, toArray } from './milagro.ts'
import type { MilagroCtx } from './milagro.ts'

const ctx: MilagroCtx = milagro('BN254')
const M = ctx.MPIN
const sha = M.HASH_TYPE
const rng = milagroRng(ctx)
const DATE = 20000

function newIdentity (): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ userID: `user-${randomBytes(6).toString('hex')}@example.org`, mobile: 1 }))
}

function verifyName (curve: MpinCurve, input: Parameters<typeof serverVerify>[1]): string {
  try {
    serverVerify(curve, input)
    return 'ok'
  } catch (err) {
    return (err as Error).name
  }
}

test('D-TA values are byte-identical: server/client secret shares, sums, time permits, token', async () => {
  const curve = await loadCurve('BN254')
  for (let i = 0; i < 3; i++) {
    const ms: number[] = []
    M.RANDOM_GENERATE(rng, ms)
    const id = newIdentity()
    const hid = hashId(curve, id)
    assert.equal(hid, fromArray(M.HASH_ID(sha, toArray(id))))
    const sst: number[] = []
    assert.is(M.GET_SERVER_SECRET(ms, sst), 0)
    assert.equal(serverSecretShare(curve, fromArray(ms)), fromArray(sst))
    const cst: number[] = []
    assert.is(M.GET_CLIENT_SECRET(ms, toArray(hid), cst), 0)
    assert.equal(clientSecretShare(curve, fromArray(ms), hid), fromArray(cst))
    const ctt: number[] = []
    assert.is(M.GET_CLIENT_PERMIT(sha, DATE + i, ms, toArray(hid), ctt), 0)
    assert.equal(timePermitShare(curve, fromArray(ms), DATE + i, hid), fromArray(ctt))
    const ms2 = randomScalar(curve)
    const cs2 = clientSecretShare(curve, ms2, hid)
    const sum: number[] = []
    assert.is(M.RECOMBINE_G1(cst, toArray(cs2), sum), 0)
    assert.equal(recombineG1(curve, [fromArray(cst), cs2]), fromArray(sum))
    const sum2: number[] = []
    assert.is(M.RECOMBINE_G2(sst, toArray(serverSecretShare(curve, ms2)), sum2), 0)
    assert.equal(recombineG2(curve, [fromArray(sst), serverSecretShare(curve, ms2)]), fromArray(sum2))
    const token = [...sum]
    assert.is(M.EXTRACT_PIN(sha, toArray(id), 1234 + i, token), 0)
    assert.equal(extractPin(curve, fromArray(sum), hid, 1234 + i), fromArray(token))
  }
})

test('client values are byte-identical for the same x and y: U, UT, SEC, V, one-pass y', async () => {
  const curve = await loadCurve('BN254')
  for (const date of [0, DATE]) {
    const id = newIdentity()
    const hid = hashId(curve, id)
    const ms = randomScalar(curve)
    const token = extractPin(curve, clientSecretShare(curve, ms, hid), hid, 4321)
    const permit = timePermitShare(curve, ms, DATE, hid)
    const X: number[] = []
    const SEC: number[] = []
    const xID: number[] = []
    const xCID: number[] = []
    assert.is(M.CLIENT_1(sha, date, toArray(id), rng, X, 4321, toArray(token), SEC, xID, xCID, toArray(permit)), 0)
    const ours = client1(curve, { hashedId: hid, pin: 4321, token, date, permit, x: fromArray(X) })
    assert.equal(ours.x, fromArray(X))
    assert.equal(ours.U, fromArray(xID))
    assert.equal(ours.sec, fromArray(SEC))
    if (date > 0) assert.equal(ours.UT, fromArray(xCID))
    else assert.is(ours.UT, undefined)
    const Y: number[] = []
    assert.is(M.GET_Y(sha, 1_700_000_000, date > 0 ? xCID : xID, Y), 0)
    assert.equal(getY(curve, 1_700_000_000, date > 0 ? fromArray(xCID) : fromArray(xID)), fromArray(Y))
    const V = [...SEC]
    assert.is(M.CLIENT_2(X, Y, V), 0)
    assert.equal(client2(curve, ours.x, fromArray(Y), ours.sec), fromArray(V))
  }
})

test('a client secret from two of our D-TAs works in Milagro\'s client, against our server and Milagro\'s', async () => {
  const curve = await loadCurve('BN254')
  for (const date of [0, DATE]) {
    const [s1, s2] = [randomScalar(curve), randomScalar(curve)]
    const id = newIdentity()
    const hid = hashId(curve, id)
    const cs = recombineG1(curve, [clientSecretShare(curve, s1, hid), clientSecretShare(curve, s2, hid)])
    const ss = recombineG2(curve, [serverSecretShare(curve, s1), serverSecretShare(curve, s2)])
    const permit = recombineG1(curve, [timePermitShare(curve, s1, DATE, hid), timePermitShare(curve, s2, DATE, hid)])
    const TOKEN = toArray(cs)
    assert.is(M.EXTRACT_PIN(sha, toArray(id), 2468, TOKEN), 0)
    for (const pin of [2468, 2467]) {
      const X: number[] = []
      const SEC: number[] = []
      const xID: number[] = []
      const xCID: number[] = []
      assert.is(M.CLIENT_1(sha, date, toArray(id), rng, X, pin, TOKEN, SEC, xID, xCID, toArray(permit)), 0)
      const y = randomScalar(curve)
      const V = [...SEC]
      assert.is(M.CLIENT_2(X, toArray(y), V), 0)
      const input = { serverSecret: ss, hashedId: hid, date, U: fromArray(xID), UT: fromArray(xCID), y, V: fromArray(V) }
      assert.is(verifyName(curve, input), pin === 2468 ? 'ok' : 'BadPinError', `ours, date=${date} pin=${pin}`)
      const HID: number[] = []
      const HTID: number[] = []
      M.SERVER_1(sha, date, toArray(id), HID, HTID)
      const rc = M.SERVER_2(date, HID, date > 0 ? HTID : null, toArray(y), toArray(ss), xID, date > 0 ? xCID : null, V, null, null)
      assert.is(rc, pin === 2468 ? 0 : M.BAD_PIN, `milagro, date=${date} pin=${pin}`)
    }
  }
})

test('Milagro\'s D-TA and client authenticate against our serverVerify; wrong PIN, identity and date fail', async () => {
  const curve = await loadCurve('BN254')
  for (const date of [0, DATE]) {
    const ms: number[] = []
    M.RANDOM_GENERATE(rng, ms)
    const id = newIdentity()
    const hcid = M.HASH_ID(sha, toArray(id))
    const sst: number[] = []
    M.GET_SERVER_SECRET(ms, sst)
    const cst: number[] = []
    M.GET_CLIENT_SECRET(ms, hcid, cst)
    const permit: number[] = []
    M.GET_CLIENT_PERMIT(sha, DATE, ms, hcid, permit)
    assert.is(M.EXTRACT_PIN(sha, toArray(id), 1357, cst), 0)
    const X: number[] = []
    const SEC: number[] = []
    const xID: number[] = []
    const xCID: number[] = []
    assert.is(M.CLIENT_1(sha, date, toArray(id), rng, X, 1357, cst, SEC, xID, xCID, permit), 0)
    const y = randomScalar(curve)
    const V = [...SEC]
    M.CLIENT_2(X, toArray(y), V)
    const base = { serverSecret: fromArray(sst), hashedId: hashId(curve, id), date, U: fromArray(xID), UT: fromArray(xCID), y, V: fromArray(V) }
    assert.is(verifyName(curve, base), 'ok', `date=${date}`)
    assert.is(verifyName(curve, { ...base, hashedId: hashId(curve, newIdentity()) }), 'BadPinError', 'wrong identity')
    assert.is(verifyName(curve, { ...base, y: randomScalar(curve) }), 'BadPinError', 'V for another challenge')
    if (date > 0) {
      assert.is(verifyName(curve, { ...base, date: DATE + 1 }), 'BadPinError', 'wrong date')
      assert.is(verifyName(curve, { ...base, date: 0 }), 'BadPinError', 'permit ignored')
    }
    // Wrong PIN on Milagro's side.
    const SEC2: number[] = []
    const X2: number[] = []
    const xID2: number[] = []
    const xCID2: number[] = []
    M.CLIENT_1(sha, date, toArray(id), rng, X2, 1358, cst, SEC2, xID2, xCID2, permit)
    const V2 = [...SEC2]
    M.CLIENT_2(X2, toArray(y), V2)
    assert.is(verifyName(curve, { ...base, U: fromArray(xID2), UT: fromArray(xCID2), V: fromArray(V2) }), 'BadPinError', 'wrong PIN')
  }
})

test('our client authenticates against Milagro\'s SERVER_2; wrong PIN and date are MPIN_BAD_PIN there', async () => {
  const curve = await loadCurve('BN254')
  for (const date of [0, DATE]) {
    const s = randomScalar(curve)
    const id = newIdentity()
    const hid = hashId(curve, id)
    const token = extractPin(curve, clientSecretShare(curve, s, hid), hid, 9999)
    const permit = timePermitShare(curve, s, DATE, hid)
    const sst = toArray(serverSecretShare(curve, s))
    const HID: number[] = []
    const HTID: number[] = []
    M.SERVER_1(sha, date, toArray(id), HID, HTID)
    const cases: Array<[number, number]> = date > 0 ? [[9999, 0], [9998, M.BAD_PIN]] : [[9999, 0], [19999, 0], [1, M.BAD_PIN]]
    for (const [pin, expected] of cases) {
      const pass1 = client1(curve, { hashedId: hid, pin, token, date, permit })
      const Y: number[] = []
      M.RANDOM_GENERATE(rng, Y)
      const V = client2(curve, pass1.x, fromArray(Y), pass1.sec)
      const rc = M.SERVER_2(date, HID, date > 0 ? HTID : null, Y, sst, toArray(pass1.U), pass1.UT === undefined ? null : toArray(pass1.UT), toArray(V), null, null)
      assert.is(rc, expected, `date=${date} pin=${pin}`)
    }
  }
})

test.run()
