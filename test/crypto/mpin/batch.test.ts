// crypto/mpin/batch.ts: batch verification decides every login exactly as serverVerify does —
// differential against serverVerify on batches with valid, wrong-PIN, wrong-identity, malformed
// and adversarially cancelling logins, on both curves. The small-exponent test is from Bellare,
// Garay and Rabin (EUROCRYPT 1998).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { loadCurve } from '../../../crypto/mpin/curves.ts'
import type { MpinCurve } from '../../../crypto/mpin/curves.ts'
import { serverVerifyBatch } from '../../../crypto/mpin/batch.ts'
import type { BatchVerifyInput } from '../../../crypto/mpin/batch.ts'
import { decodeG1, encodeG1 } from '../../../crypto/mpin/codec.ts'
import { hashId } from '../../../crypto/mpin/map.ts'
import {
  client1, client2, clientSecretShare, extractPin, prepareServerSecret, randomScalar, serverSecretShare, serverVerify,
  timePermitShare
} from '../../../crypto/mpin/mpin.ts'
import { curveNames } from '../../../crypto/mpin/params.ts'

const DATE = 20500

interface World { curve: MpinCurve, ss: Uint8Array, good: (user: number, date?: number) => BatchVerifyInput, bad: (user: number) => BatchVerifyInput }

async function world (name: typeof curveNames[number]): Promise<World> {
  const curve = await loadCurve(name)
  const s = randomScalar(curve)
  const users = Array.from({ length: 4 }, (_, u) => {
    const hid = hashId(curve, new TextEncoder().encode(`batch-user-${u}`))
    return { hid, token: extractPin(curve, clientSecretShare(curve, s, hid), hid, 100 + u), permit: timePermitShare(curve, s, DATE, hid) }
  })
  const login = (u: number, pin: number, date: number): BatchVerifyInput => {
    const user = users[u % users.length] as typeof users[number]
    const pass1 = client1(curve, { hashedId: user.hid, pin, token: user.token, date, permit: user.permit })
    const y = randomScalar(curve)
    return { hashedId: user.hid, date, U: pass1.U, ...(pass1.UT === undefined ? {} : { UT: pass1.UT }), y, V: client2(curve, pass1.x, y, pass1.sec) }
  }
  return {
    curve,
    ss: serverSecretShare(curve, s),
    good: (u, date = 0) => login(u, 100 + (u % users.length), date),
    bad: (u) => login(u, 101 + (u % users.length), 0)
  }
}

function individually (w: World, inputs: readonly BatchVerifyInput[]): string[] {
  return inputs.map((input) => {
    try {
      serverVerify(w.curve, { ...input, serverSecret: w.ss })
      return 'ok'
    } catch (err) {
      return (err as Error).name
    }
  })
}

const names = (results: ReadonlyArray<Error | null>): string[] => results.map((r) => r === null ? 'ok' : r.name)

for (const name of curveNames) {
  test(`${name}: valid batches pass; each invalid login is found, wherever it is`, async () => {
    const w = await world(name)
    const n = name === 'BN254' ? 24 : 12
    const valid = Array.from({ length: n }, (_, i) => w.good(i, i % 3 === 0 ? DATE : 0))
    assert.equal(names(serverVerifyBatch(w.curve, w.ss, valid)), new Array(n).fill('ok'))
    for (const position of [0, Math.floor(n / 2), n - 1]) {
      const batch = valid.slice()
      batch[position] = w.bad(position)
      const expected = new Array(n).fill('ok')
      expected[position] = 'BadPinError'
      assert.equal(names(serverVerifyBatch(w.curve, w.ss, batch)), expected, `bad at ${position}`)
    }
    const allBad = Array.from({ length: 5 }, (_, i) => w.bad(i))
    assert.equal(names(serverVerifyBatch(w.curve, w.ss, allBad)), new Array(5).fill('BadPinError'))
    assert.equal(serverVerifyBatch(w.curve, w.ss, []), [])
    assert.equal(names(serverVerifyBatch(w.curve, w.ss, [valid[0] as BatchVerifyInput])), ['ok'])
  })

  test(`${name}: two invalid logins whose errors cancel with equal weights are both rejected`, async () => {
    const w = await world(name)
    const { mcl } = w.curve
    // 16 logins: more than batch.ts checks one by one, so the weighted batch equation decides first.
    const batch = Array.from({ length: 16 }, (_, i) => w.good(i))
    // Shift V₂ by +X and V₅ by −X: Σ Vᵢ is unchanged, so an unweighted batch equation would hold.
    const k = new mcl.Fr()
    k.setByCSPRNG()
    const X = mcl.mul(w.curve.g1, k)
    const a = batch[2] as BatchVerifyInput
    const b = batch[5] as BatchVerifyInput
    batch[2] = { ...a, V: encodeG1(w.curve, mcl.add(decodeG1(w.curve, a.V), X)) }
    batch[5] = { ...b, V: encodeG1(w.curve, mcl.sub(decodeG1(w.curve, b.V), X)) }
    const expected = batch.map((_, i) => i === 2 || i === 5 ? 'BadPinError' : 'ok')
    assert.equal(individually(w, batch), expected)
    for (let round = 0; round < 3; round++) assert.equal(names(serverVerifyBatch(w.curve, w.ss, batch)), expected)
  })

  test(`${name}: malformed logins get their own typed error and do not affect the others`, async () => {
    const w = await world(name)
    const batch = Array.from({ length: 6 }, (_, i) => w.good(i))
    const V = (batch[1] as BatchVerifyInput).V.slice()
    V[V.length - 1] = (V[V.length - 1] as number) ^ 1
    batch[1] = { ...(batch[1] as BatchVerifyInput), V }
    batch[3] = { ...(batch[3] as BatchVerifyInput), y: new Uint8Array(w.curve.params.pfs) }
    const { U: _u, ...noU } = batch[4] as BatchVerifyInput
    batch[4] = noU
    const expected = ['ok', 'InvalidPointError', 'ok', 'InvalidKeyError', 'TypeError', 'ok']
    assert.equal(names(serverVerifyBatch(w.curve, w.ss, batch)), expected)
    assert.equal(individually(w, batch), expected)
    // Nothing left to pair once every login is malformed.
    assert.equal(names(serverVerifyBatch(w.curve, w.ss, [batch[1], batch[3]] as BatchVerifyInput[])), ['InvalidPointError', 'InvalidKeyError'])
    assert.equal(names(serverVerifyBatch(w.curve, w.ss, [batch[4] as BatchVerifyInput])), ['TypeError'])
  })

  test(`${name}: prepared server secrets; a wrong one rejects everything, a foreign one is a TypeError`, async () => {
    const w = await world(name)
    const batch = Array.from({ length: 4 }, (_, i) => w.good(i))
    const secret = prepareServerSecret(w.curve, w.ss)
    assert.equal(names(serverVerifyBatch(w.curve, secret, batch)), ['ok', 'ok', 'ok', 'ok'])
    const other = serverSecretShare(w.curve, randomScalar(w.curve))
    assert.equal(names(serverVerifyBatch(w.curve, other, batch)), new Array(4).fill('BadPinError'))
    const foreign = await loadCurve(name === 'BN254' ? 'BLS12-381' : 'BN254')
    assert.throws(() => serverVerifyBatch(foreign, secret, batch), TypeError)
    secret.destroy()
  })
}

test('BN254: batch results equal serverVerify for random mixes (property)', async () => {
  const w = await world('BN254')
  fc.assert(fc.property(fc.array(fc.constantFrom('good', 'bad', 'good-dated'), { minLength: 1, maxLength: 12 }), (kinds) => {
    const batch = kinds.map((k, i) => k === 'bad' ? w.bad(i) : w.good(i, k === 'good-dated' ? DATE : 0))
    assert.equal(names(serverVerifyBatch(w.curve, w.ss, batch)), individually(w, batch))
    return true
  }), { numRuns: 8 })
})

test.run()
