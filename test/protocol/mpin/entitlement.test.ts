// protocol/mpin/entitlement.ts: who may ask a D-TA for what (the rule is documented in the file
// header and in docs/PROTOCOL.md, "M-Pin D-TA").
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkEntitlement, dayOf, ownsId, type EntitlementPolicy } from '../../../protocol/mpin/entitlement.ts'
import type { IssuanceRequest } from '../../../protocol/mpin/types.ts'
import { newCid } from './fixtures.ts'

const B = newCid()
const P = newCid()
const S = newCid()
const X = newCid()
const TODAY = 20_000
const policy: EntitlementPolicy = { principals: [P], authServers: [S], today: TODAY }

type Req = Pick<IssuanceRequest, 'from' | 'beneficiary' | 'issuance' | 'id' | 'date'>
const outcome = (r: Req, p = policy): string => {
  try {
    checkEntitlement(r, p)
    return 'ok'
  } catch (err) {
    return (err as Error).name
  }
}
const client = (over: Partial<Req> = {}): Req => ({ from: B, beneficiary: B, issuance: 'client-secret', id: B.toString(), date: null, ...over })

test('dayOf is Milagro\'s today(): whole UTC days since the epoch', () => {
  assert.is(dayOf(0), 0)
  assert.is(dayOf(86_400_000 - 1), 0)
  assert.is(dayOf(86_400_000), 1)
  assert.is(dayOf(Date.UTC(2024, 0, 1)), 19723)
})

test('namespace: an identity owns its CID and <CID>/<label>, nothing else', () => {
  assert.ok(ownsId(B, B.toString()))
  assert.ok(ownsId(B, `${B.toString()}/alice@example.org`))
  assert.not.ok(ownsId(B, `${B.toString()}/`))
  assert.not.ok(ownsId(B, `${B.toString()}x`))
  assert.not.ok(ownsId(B, X.toString()))
  assert.not.ok(ownsId(B, 'alice@example.org'))
})

test('rule 1: the beneficiary itself or a trusted principal may ask; anyone else is NotEntitledError', () => {
  assert.is(outcome(client()), 'ok')
  assert.is(outcome(client({ from: P })), 'ok')
  assert.is(outcome(client({ from: X })), 'NotEntitledError')
  assert.is(outcome(client({ from: S })), 'NotEntitledError', 'an authentication server is no principal')
})

test('rule 2: client secrets and permits only for ids in the beneficiary\'s namespace', () => {
  assert.is(outcome(client({ id: `${B.toString()}/bob` })), 'ok')
  assert.is(outcome(client({ id: X.toString() })), 'NotEntitledError')
  assert.is(outcome(client({ from: P, id: X.toString() })), 'NotEntitledError', 'not even through a principal')
  assert.is(outcome(client({ issuance: 'time-permit', id: 'alice', date: TODAY })), 'NotEntitledError')
})

test('rule 3: server secrets only to the D-TA\'s authentication servers', () => {
  assert.is(outcome({ from: S, beneficiary: S, issuance: 'server-secret', id: null, date: null }), 'ok')
  assert.is(outcome({ from: P, beneficiary: S, issuance: 'server-secret', id: null, date: null }), 'ok')
  assert.is(outcome({ from: B, beneficiary: B, issuance: 'server-secret', id: null, date: null }), 'NotEntitledError')
  assert.is(outcome({ from: S, beneficiary: S, issuance: 'server-secret', id: null, date: null }, { ...policy, authServers: [] }), 'NotEntitledError')
})

test('rule 4: time permits for today ± the window (default one day each way)', () => {
  const permit = (date: number, p = policy): string => outcome(client({ issuance: 'time-permit', date }), p)
  assert.equal([TODAY - 2, TODAY - 1, TODAY, TODAY + 1, TODAY + 2].map((d) => permit(d)), ['DateOutOfRangeError', 'ok', 'ok', 'ok', 'DateOutOfRangeError'])
  const strict = { ...policy, permitWindow: { before: 0, after: 0 } }
  assert.equal([TODAY - 1, TODAY, TODAY + 1].map((d) => permit(d, strict)), ['DateOutOfRangeError', 'ok', 'DateOutOfRangeError'])
})

test.run()
