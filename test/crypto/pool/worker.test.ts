// crypto/pool/worker.ts, called in-process: handlers return outcomes (never throw for a job's
// failure), and the server-secret cache gives the same answers as uncached verification.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ed25519Verify, mpinIssue, mpinVerify, ready } from '../../../crypto/pool/worker.ts'
import { logins, signedItems } from './helpers.ts'

test('ready() reports the curves loaded', async () => {
  assert.equal(await ready(), ['BN254', 'BLS12-381'])
})

test('mpinVerify returns one outcome per job, in order, with error names', async () => {
  const jobs = [...await logins('BN254', 4), ...await logins('BLS12-381', 2, 20000)]
  const V = jobs[0]?.V.slice() as Uint8Array
  V[3] = (V[3] as number) ^ 0x40
  const out = await mpinVerify([...jobs, { ...jobs[0]!, V }, { ...jobs[0]!, curve: 'nope' as 'BN254' }])
  assert.equal(out.map((o) => o.ok ? 'ok' : o.name), ['ok', 'BadPinError', 'ok', 'BadPinError', 'ok', 'BadPinError', 'InvalidPointError', 'TypeError'])
  // Many server secrets (more than the cache holds) still verify correctly.
  const many = await Promise.all(Array.from({ length: 20 }, async () => (await logins('BN254', 1))[0]!))
  assert.ok((await mpinVerify(many)).every((o) => o.ok))
  assert.ok((await mpinVerify(many.slice(0, 3))).every((o) => o.ok))
})

test('mpinIssue and ed25519Verify report per-item results', async () => {
  const out = await mpinIssue([
    { kind: 'server-secret', curve: 'BN254', share: new Uint8Array(32).fill(1) },
    { kind: 'server-secret', curve: 'BN254', share: new Uint8Array(31) },
    { kind: 'bogus', curve: 'BN254', share: new Uint8Array(32) } as never
  ])
  assert.is(out[0]?.ok, true)
  assert.is(out[0]?.ok === true ? out[0].value.length : 0, 128)
  assert.equal(out.slice(1).map((o) => o.ok ? 'ok' : o.name), ['InvalidKeyError', 'TypeError'])
  const items = signedItems(3)
  assert.equal(ed25519Verify([...items, { ...items[0]!, message: new Uint8Array(1) }]), [true, true, true, false])
})

test.run()
