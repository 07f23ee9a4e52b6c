// node/services/mpin-shares.ts on a real crypto pool: shares issued from a key-store scalar equal
// crypto/mpin's; a received share is accepted only as a point of the right group.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  BLS12_381_R, BN254_R, clientSecretShare, CryptoPool, curveParams, hashId, loadCurve, serverSecretShare, timePermitShare,
  type CurveName, type KeyStore
} from '../../../crypto/index.ts'
import { hashedIdOf, issueShare, masterScalar, validateShare } from '../../../node/services/mpin-shares.ts'

const pool = new CryptoPool({ size: 1 })
const ORDER: Record<CurveName, bigint> = { BN254: BN254_R, 'BLS12-381': BLS12_381_R }

/** A 32-byte key-store scalar (big-endian, < r). */
function scalar (curve: CurveName, n: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from((n % ORDER[curve]).toString(16).padStart(64, '0'), 'hex'))
}

/** Just enough of a key store: `use` hands out a copy of one stored secret and remembers the buffers. */
function fakeKeyStore (secret: Uint8Array): { keystore: KeyStore, handed: Uint8Array[] } {
  const handed: Uint8Array[] = []
  const keystore = {
    use: async <T>(_handle: string, fn: (s: Uint8Array) => T | Promise<T>): Promise<T> => {
      const copy = Uint8Array.from(secret)
      handed.push(copy)
      try { return await fn(copy) } finally { copy.fill(0) }
    }
  } as unknown as KeyStore
  return { keystore, handed }
}

test.before(async () => { await pool.start() })
test.after(async () => { await pool.stop() })

test('masterScalar pads a 32-byte scalar to Milagro\'s MODBYTES', () => {
  const s = scalar('BLS12-381', 12345n)
  const m = masterScalar('BLS12-381', s)
  assert.is(m.length, 48)
  assert.equal(m.subarray(0, 16), new Uint8Array(16))
  assert.equal(m.subarray(16), s)
  assert.equal(masterScalar('BN254', scalar('BN254', 7n)), scalar('BN254', 7n))
})

for (const name of ['BN254', 'BLS12-381'] as const) {
  test(`${name}: issued shares equal crypto/mpin's, and the padded copy is zeroed after the job`, async () => {
    const curve = await loadCurve(name)
    const s = scalar(name, 0x1234567890abcdefn * 987654321n)
    const ms = masterScalar(name, s)
    const { keystore, handed } = fakeKeyStore(s)
    const id = 'bafy-test/alice'
    const h = hashedIdOf(curve, id)
    assert.equal(h, hashId(curve, new TextEncoder().encode(id)))
    assert.equal(await issueShare({ keystore, pool }, 'h', { issuance: 'client-secret', curve: name, hashed: h, date: null }), clientSecretShare(curve, ms, h))
    assert.equal(await issueShare({ keystore, pool }, 'h', { issuance: 'time-permit', curve: name, hashed: h, date: 19_000 }), timePermitShare(curve, ms, 19_000, h))
    assert.equal(await issueShare({ keystore, pool }, 'h', { issuance: 'server-secret', curve: name, hashed: null, date: null }), serverSecretShare(curve, ms))
    assert.ok(handed.every((b) => b.every((x) => x === 0)))
  })

  test(`${name}: validateShare takes points of the share's group and refuses the rest, typed`, async () => {
    const curve = await loadCurve(name)
    const ms = masterScalar(name, scalar(name, 0xfeedn * 0xbeefn * 31337n))
    const h = hashedIdOf(curve, 'bafy-test/bob')
    const cs = clientSecretShare(curve, ms, h)
    const ss = serverSecretShare(curve, ms)
    const outcome = (issuance: 'client-secret' | 'server-secret', share: Uint8Array): string => {
      try {
        validateShare(curve, issuance, share)
        return 'ok'
      } catch (err) {
        return (err as Error).name
      }
    }
    assert.is(outcome('client-secret', cs), 'ok')
    assert.is(outcome('server-secret', ss), 'ok')
    const offCurve = Uint8Array.from(cs)
    offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] as number) ^ 1
    assert.is(outcome('client-secret', offCurve), 'InvalidPointError')
    const pfs = curveParams[name].pfs
    assert.is(outcome('client-secret', Uint8Array.of(0x04, ...new Uint8Array(2 * pfs).fill(0xff))), 'InvalidPointError', 'coordinates not reduced')
    assert.is(outcome('client-secret', ss), 'InvalidPointError', 'a G2 octet is no G1 share')
    const badG2 = Uint8Array.from(ss)
    badG2[5] = (badG2[5] as number) ^ 1
    assert.is(outcome('server-secret', badG2), 'InvalidPointError')
  })
}

test.run()
