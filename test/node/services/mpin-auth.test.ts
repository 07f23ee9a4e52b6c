// node/services/mpin-auth.ts on a real pool with a stand-in key store: pass 1 / pass 2, the date
// taken from the server's clock, a server that requires time permits, and a server without a
// secret for the curve.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import {
  client1, client2, clientSecretShare, CryptoPool, extractPin, hashId, loadCurve, randomScalar, serverSecretShare, timePermitShare, type KeyStore
} from '../../../crypto/index.ts'
import { mpinInitial, type MpinState } from '../../../protocol/mpin/state.ts'
import { dayOf } from '../../../protocol/mpin/entitlement.ts'
import { silentLogger } from '../../../node/logger.ts'
import { AuthServer } from '../../../node/services/mpin-auth.ts'
import { newCid } from '../../protocol/mpin/fixtures.ts'

const pool = new CryptoPool({ size: 1 })
test.before(async () => { await pool.start() })
test.after(async () => { await pool.stop() })
const named = (name: string) => (err: Error): boolean => err.name === name

async function setup (timePermits: 'optional' | 'required', now: () => number) {
  const curve = await loadCurve('BN254')
  const s = randomScalar(curve)
  const serverSecret = serverSecretShare(curve, s)
  const handle = 'ks1:generic:AAAAAAAAAAAAAAAAAAAAAA'
  const state: MpinState = { ...mpinInitial, servers: { BN254: { request: newCid(), handle } } }
  let reads = 0
  const keystore = { use: async <T>(h: string, fn: (x: Uint8Array) => T): Promise<T> => { assert.is(h, handle); reads++; return fn(Uint8Array.from(serverSecret)) } } as unknown as KeyStore
  const auth = new AuthServer({ pool, keystore, state: () => state, curve: async () => curve, logger: silentLogger() }, { timePermits, now })
  const id = 'bafy-client'
  const h = hashId(curve, new TextEncoder().encode(id))
  const token = extractPin(curve, clientSecretShare(curve, s, h), h, 1111)
  return { curve, s, auth, id, h, token, reads: () => reads }
}

test('pass 1 / pass 2 with a permit for the server\'s today; a permit for the client\'s chosen day fails; the server secret is read once', async () => {
  const now = Date.UTC(2025, 0, 15, 12)
  const today = dayOf(now)
  const { curve, s, auth, id, h, token, reads } = await setup('optional', () => now)
  const login = async (date: number): Promise<boolean> => {
    const c1 = client1(curve, { hashedId: h, pin: 1111, token, date, permit: timePermitShare(curve, s, date, h) })
    const p1 = await auth.pass1({ curve: 'BN254', id, UT: c1.UT as Uint8Array })
    assert.is(p1.date, today)
    return (await auth.pass2(p1.challenge, client2(curve, c1.x, p1.y, c1.sec))).accepted
  }
  assert.is(await login(today), true)
  assert.is(await login(today - 1), false)
  assert.is(reads(), 1)
  assert.is(auth.challenges, 2)
  await auth.stop()
  assert.is(auth.challenges, 0)
})

test('a server that requires time permits refuses a pass 1 without one; no server secret on a curve is NoServerSecretError', async () => {
  const { curve, auth, id, h, token } = await setup('required', Date.now)
  const c1 = client1(curve, { hashedId: h, pin: 1111, token })
  await rejects(auth.pass1({ curve: 'BN254', id, U: c1.U }), named('TimePermitRequiredError'))
  await rejects(auth.pass1({ curve: 'BLS12-381', id, U: c1.U }), named('NoServerSecretError'))
  assert.is(auth.challenges, 0, 'nothing pending')
})

test.run()
