// Interoperability of the M-Pin D-TA service with Apache Milagro's own M-Pin (milagro-crypto-js
// 3.3, `new CTX('BN254')`, SHA-256) on whole nodes: a client secret and time permit issued as the
// sums of the shares of our two D-TAs work in Milagro's client, which authenticates against our
// REST pass1 / pass2, with and without time permits; a wrong PIN, identity or date from Milagro's
// client is rejected; and our D-TAs' summed server secret verifies in Milagro's SERVER_2.
// Protocol: M. Scott, "M-Pin: A Multi-Factor Zero Knowledge Authentication Protocol".
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CID } from 'multiformats/cid'
import { fromHex, toHex } from '../../../crypto/index.ts'
import { dayOf } from '../../../protocol/mpin/entitlement.ts'
import { serverSecretOf } from '../../../protocol/mpin/queries.ts'
import { exportKeyPair, openSecret } from '../../../node/services/mpin-export.ts'
import { makeHomes, startMpinNetwork, stopAll, type MpinNode } from '../services/mpin-harness.ts'
import { fromArray, milagro, milagroRng, toArray } from '../../crypto/mpin/milagro.ts'
import { Api } from './mpin-api.ts'

const ctx = milagro('BN254')
const M = ctx.MPIN
const sha = M.HASH_TYPE
const rng = milagroRng(ctx)

test('Milagro\'s client, with a client secret and time permit from our two D-TAs, authenticates through our REST pass1 / pass2; wrong PIN, identity and date are rejected; Milagro\'s SERVER_2 accepts our server secret', async () => {
  let nodes: MpinNode[] = []
  try {
    const [d1, d2, c, s] = await makeHomes(['ix-dta-1', 'ix-dta-2', 'ix-client', 'ix-auth'])
    const dtaInit = { authServers: [s!.cid] }
    nodes = await startMpinNetwork([{ dir: d1!.dir, init: dtaInit }, { dir: d2!.dir, init: dtaInit }, { dir: c!.dir }, { dir: s!.dir }])
    const [D1, D2, C, S] = nodes as [MpinNode, MpinNode, MpinNode, MpinNode]
    const responses: string[] = []
    const capi = await Api.of(C, responses)
    const sapi = await Api.of(S, responses)
    const dtas = [D1, D2].map((d) => d.node.identity.cid.toString())
    const today = dayOf(Date.now())
    const issue = async (api: Api, issuance: string): Promise<string> => {
      const r = await api.call('POST', '/v1/mpin/issuance', { issuance, curve: 'BN254', dtas })
      const done = await api.call('GET', `/v1/mpin/issuance/${r.json.id as string}?wait=complete&timeoutMs=60000`)
      assert.is(done.json.status, 'complete')
      return done.json.id
    }
    const [csId, tpId, ssId] = await Promise.all([issue(capi, 'client-secret'), issue(capi, 'time-permit'), issue(sapi, 'server-secret')])
    const secretOf = async (id: string): Promise<number[]> => {
      const kp = exportKeyPair()
      const r = await capi.call('POST', `/v1/mpin/issuance/${id}/secret`, { recipientKey: toHex(kp.publicKey) })
      return toArray(openSecret(kp.secretKey, CID.parse(id), { enc: fromHex(r.json.enc), ciphertext: fromHex(r.json.ciphertext) }))
    }
    const idText = C.node.identity.cid.toString()
    const ID = toArray(new TextEncoder().encode(idText))
    const TOKEN = await secretOf(csId)
    const PERMIT = await secretOf(tpId)
    assert.is(M.EXTRACT_PIN(sha, ID, 2468, TOKEN), 0, 'Milagro extracts the PIN from our summed client secret')

    /** Milagro's CLIENT_1 / CLIENT_2 against our pass1 / pass2; returns accept or the error name. */
    const login = async (pin: number, withPermit: boolean, claim = idText, date = today): Promise<string> => {
      const X: number[] = []
      const SEC: number[] = []
      const xID: number[] = []
      const xCID: number[] = []
      assert.is(M.CLIENT_1(sha, withPermit ? date : 0, ID, rng, X, pin, TOKEN, SEC, xID, xCID, withPermit ? PERMIT : null), 0)
      const p1 = await sapi.call('POST', '/v1/mpin/pass1', { curve: 'BN254', id: claim, ...(withPermit ? { UT: toHex(fromArray(xCID)) } : { U: toHex(fromArray(xID)) }) })
      assert.is(p1.status, 200, JSON.stringify(p1.json))
      const V = [...SEC]
      assert.is(M.CLIENT_2(X, toArray(fromHex(p1.json.y)), V), 0)
      const p2 = await sapi.call('POST', '/v1/mpin/pass2', { challenge: p1.json.challenge, V: toHex(fromArray(V)) })
      assert.is(p2.status, 200, JSON.stringify(p2.json))
      return p2.json.accepted === true ? 'accepted' : p2.json.error.name
    }
    assert.is(await login(2468, false), 'accepted', 'without a time permit')
    assert.is(await login(2468, true), 'accepted', 'with a time permit')
    assert.is(await login(2467, false), 'BadPinError', 'wrong PIN')
    assert.is(await login(2467, true), 'BadPinError', 'wrong PIN with a permit')
    assert.is(await login(2468, false, `${idText}/mallory`), 'BadPinError', 'wrong identity')
    assert.is(await login(2468, true, idText, today + 1), 'BadPinError', 'a permit claimed for another day')

    // Our D-TAs' summed server secret in Milagro's SERVER_2, with Milagro's client.
    const held = serverSecretOf(S.mpin.state, 'BN254')
    assert.is(held?.request.toString(), ssId)
    const SST = toArray(await S.services.keystore!.use(held!.handle, (x) => Uint8Array.from(x)))
    for (const [pin, expected] of [[2468, 0], [1111, M.BAD_PIN]] as const) {
      const X: number[] = []
      const SEC: number[] = []
      const xID: number[] = []
      const xCID: number[] = []
      M.CLIENT_1(sha, today, ID, rng, X, pin, TOKEN, SEC, xID, xCID, PERMIT)
      const Y: number[] = []
      M.RANDOM_GENERATE(rng, Y)
      const V = [...SEC]
      M.CLIENT_2(X, Y, V)
      const HID: number[] = []
      const HTID: number[] = []
      M.SERVER_1(sha, today, ID, HID, HTID)
      assert.is(M.SERVER_2(today, HID, HTID, Y, SST, xID, xCID, V, null, null), expected, `SERVER_2, pin ${pin}`)
    }
  } finally {
    await stopAll(nodes)
  }
})

test.run()
