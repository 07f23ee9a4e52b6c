// The M-Pin D-TA service on whole nodes over TCP loopback, with real worker threads and the
// software key store: distributed issuance from two D-TAs to a client and to an authentication
// server, authentication with the sums, a principal asking for a client, every refusal typed with
// the state unchanged, a restart, one node playing every role, and a scan of every file for shares.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { once } from 'node:events'
import type { CID } from 'multiformats/cid'
import {
  client1, client2, clientSecretShare, extractPin, hashId, loadCurve, randomScalar, recombineG1, recombineG2, serverSecretShare, timePermitShare,
  type CurveName
} from '../../../crypto/index.ts'
import { dayOf } from '../../../protocol/mpin/entitlement.ts'
import { readFact } from '../../../protocol/mpin/facts.ts'
import { shareBody } from '../../../protocol/mpin/messages.ts'
import { serverSecretOf, servedOf, type IssuanceView } from '../../../protocol/mpin/queries.ts'
import type { IssuanceKind, MpinFact } from '../../../protocol/mpin/types.ts'
import { exportKeyPair, openSecret } from '../../../node/services/mpin-export.ts'
import { masterScalar } from '../../../node/services/mpin-shares.ts'
import { introduce, startCustodyNode, type CustodyNode } from './custody-harness.ts'
import { filesContaining, issue, issueForLogin, makeHomes, mpinLogin, settled, startMpinNetwork, startMpinNode, stopAll, TEST_POOL, type MpinNode } from './mpin-harness.ts'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const PIN = 1234

/** Facts of `kind` in a node's log, in order. */
async function facts (n: CustodyNode, kind: string): Promise<MpinFact[]> {
  const out: MpinFact[] = []
  const head = n.node.log.head
  for (let seq = 0; head !== undefined && seq <= head.seq; seq++) {
    const e = await n.node.log.get(seq)
    if (e.kind === kind) out.push(readFact(e) as MpinFact)
  }
  return out
}

/** Resolves once `pred` holds, re-checking after every append to the node's log. */
async function until (n: CustodyNode, pred: () => Promise<boolean> | boolean, signal: AbortSignal): Promise<void> {
  for (;;) {
    const stop = new AbortController()
    const next = once(n.node.log, 'log:append', { signal: AbortSignal.any([signal, stop.signal]) })
    next.catch(() => {})
    if (await pred()) { stop.abort(); return }
    await next
  }
}

async function rejectedNames (n: CustodyNode): Promise<string[]> {
  return (await facts(n, 'mpin.rejected')).map((f) => f.kind === 'mpin.rejected' ? f.error : '')
}

/** A D-TA's master share on `curve`, in Milagro's encoding (test access to its key store). */
async function masterOf (d: MpinNode, curve: CurveName): Promise<Uint8Array> {
  const m = d.mpin.state.masters[curve]
  if (m === undefined || d.services.keystore === undefined) throw new Error('no master share')
  return await d.services.keystore.use(m.handle, (s) => masterScalar(curve, s))
}

async function exported (n: MpinNode, id: CID): Promise<Uint8Array> {
  const kp = exportKeyPair()
  return openSecret(kp.secretKey, id, await n.mpin.exportSecret(id, kp.publicKey))
}


test('two D-TAs over TCP: client secret and time permit to a client, server secret to an authentication server; the sums authenticate; issuance logged; no share in any file', async () => {
  let nodes: MpinNode[] = []
  try {
    const [d1, d2, c, s] = await makeHomes(['dta-1', 'dta-2', 'client', 'auth'])
    const dtaInit = { authServers: [s!.cid] }
    nodes = await startMpinNetwork([{ dir: d1!.dir, init: dtaInit }, { dir: d2!.dir, init: dtaInit }, { dir: c!.dir }, { dir: s!.dir }])
    const [D1, D2, C, S] = nodes as [MpinNode, MpinNode, MpinNode, MpinNode]
    const signal = AbortSignal.timeout(60_000)
    const name: CurveName = 'BLS12-381'
    const curve = await loadCurve(name)
    const dtas = [D1.node.identity.cid, D2.node.identity.cid]
    const today = dayOf(Date.now())
    const [cs, tp, ss] = await issueForLogin(C.mpin, S.mpin, name, dtas, signal)
    assert.equal([cs.status, tp.status, ss.status], ['complete', 'complete', 'complete'])
    const id = C.node.identity.cid.toString()
    assert.equal([cs.mpinId, tp.mpinId, tp.date, ss.mpinId], [id, id, today, null])
    assert.equal(cs.answered.map(String), dtas.map(String))

    // The sums are the D-TAs' shares added: s·A, s·AT, s·Q with s = s₁ + s₂.
    const [m1, m2] = [await masterOf(D1, name), await masterOf(D2, name)]
    const h = hashId(curve, utf8(id))
    const clientShares = [clientSecretShare(curve, m1, h), clientSecretShare(curve, m2, h)]
    const permitShares = [timePermitShare(curve, m1, today, h), timePermitShare(curve, m2, today, h)]
    const serverShares = [serverSecretShare(curve, m1), serverSecretShare(curve, m2)]
    const secret = await exported(C, cs.id)
    const permit = await exported(C, tp.id)
    assert.equal(secret, recombineG1(curve, clientShares))
    assert.equal(permit, recombineG1(curve, permitShares))
    const held = serverSecretOf(S.mpin.state, name)
    assert.ok(held !== undefined && S.services.keystore !== undefined)
    const serverSecret = await S.services.keystore.use(held.handle, (x) => Uint8Array.from(x))
    assert.equal(serverSecret, recombineG2(curve, serverShares))

    // Two-pass M-Pin with the sums, through the authentication server's service (pool).
    const token = extractPin(curve, secret, h, PIN)
    const seqBefore = S.node.log.head?.seq
    const login = async (pin: number, withPermit: boolean): Promise<string> => {
      const r = await mpinLogin(S.mpin, curve, name, { id, hashedId: h, token }, pin, withPermit ? { date: today, permit } : undefined)
      assert.is(r.date, withPermit ? today : null)
      return r.outcome
    }
    assert.is(await login(PIN, true), 'accepted')
    assert.is(await login(PIN, false), 'accepted')
    assert.is(await login(PIN + 1, true), 'BadPinError')
    assert.is(await login(PIN + 1, false), 'BadPinError')
    assert.is(S.node.log.head?.seq, seqBefore, 'authentication writes nothing to the log')

    // Each D-TA logged who asked for what, for which identity and date — and no share.
    for (const d of [D1, D2]) {
      const issued = (await facts(d, 'mpin.issued')).map((f) => f.kind === 'mpin.issued' ? [f.issuance, f.id, f.date, f.from.toString(), f.beneficiary.toString()] : [])
      assert.equal(issued.sort(), [
        ['client-secret', id, null, id, id],
        ['server-secret', null, null, S.node.identity.cid.toString(), S.node.identity.cid.toString()],
        ['time-permit', id, today, id, id]
      ])
      assert.is((await facts(d, 'mpin.master')).length, 1, 'one master share per curve')
    }

    // Stop the nodes so that every level write is flushed, then scan every file of every home.
    await stopAll(nodes, { remove: false })
    const secrets: Array<[string, Uint8Array]> = [
      ['master share 1', m1.subarray(16)], ['master share 2', m2.subarray(16)],
      ...clientShares.map((x, i): [string, Uint8Array] => [`client-secret share ${i + 1}`, x]), ['client secret', secret],
      ...permitShares.map((x, i): [string, Uint8Array] => [`time-permit share ${i + 1}`, x]), ['time permit', permit],
      ...serverShares.map((x, i): [string, Uint8Array] => [`server-secret share ${i + 1}`, x]), ['server secret', serverSecret]
    ]
    for (const n of nodes) {
      for (const [what, bytes] of secrets) assert.equal(await filesContaining(n.dir, bytes), [], `${n.node.home.config.name}: ${what}`)
    }
  } finally {
    await stopAll(nodes)
  }
})

test('entitlement over the network: a trusted principal gets a client its secret; a stranger, a foreign id, a server secret for a client, a permit out of the window are refused, typed, and nothing is issued', async () => {
  let nodes: MpinNode[] = []
  try {
    const [d1, d2, c, p, x] = await makeHomes(['dta-a', 'dta-b', 'client-b', 'principal', 'stranger'])
    const dtaInit = { principals: [p!.cid] }
    nodes = await startMpinNetwork([{ dir: d1!.dir, init: dtaInit }, { dir: d2!.dir, init: dtaInit }, { dir: c!.dir }, { dir: p!.dir }, { dir: x!.dir }])
    const [D1, D2, C, P, X] = nodes as [MpinNode, MpinNode, MpinNode, MpinNode, MpinNode]
    const signal = AbortSignal.timeout(60_000)
    const dtas = [D1.node.identity.cid, D2.node.identity.cid]
    const cid = C.node.identity.cid

    // The principal asks for the client: the shares reach the client alone.
    const keysAtP = (await P.services.keystore?.list())?.length
    const asked = await P.mpin.requestIssuance({ issuance: 'client-secret', curve: 'BN254', dtas, beneficiary: cid })
    const atC = await C.mpin.waitFor(asked.id, settled, { signal })
    assert.equal([atC.status, atC.role, atC.requester.toString()], ['complete', 'beneficiary', P.node.identity.cid.toString()])
    const atP = P.mpin.issuance(asked.id)
    assert.equal([atP?.role, atP?.status, atP?.answered], ['principal', 'pending', []])
    assert.is((await P.services.keystore?.list())?.length, keysAtP, 'the principal holds nothing new')
    const named = await issue(C.mpin, 'client-secret', 'BN254', dtas, signal, { id: `${cid.toString()}/alice@example.org` })
    assert.is(named.status, 'complete', 'a label in the client\'s namespace')

    const issuedBefore = [D1.mpin.state.counts.issued, D2.mpin.state.counts.issued]
    const keysAtC = (await C.services.keystore?.list())?.length
    const refusals = async (v: IssuanceView): Promise<string[]> => (await C.mpin.waitFor(v.id, (w) => w.refusals.length === 2, { signal })).refusals.map((r) => r.error)
    // A stranger asking for the client (not its principal): refused, told to both.
    const byX = await X.mpin.requestIssuance({ issuance: 'client-secret', curve: 'BN254', dtas, beneficiary: cid })
    assert.equal(await refusals(byX), ['NotEntitledError', 'NotEntitledError'])
    assert.is((await X.mpin.waitFor(byX.id, (w) => w.refusals.length === 2, { signal })).status, 'refused')
    // The client asking for another identity's id, for a server secret, for a permit out of the window.
    const today = dayOf(Date.now())
    const cases: Array<[IssuanceKind, { id?: string, date?: number }, string]> = [
      ['client-secret', { id: X.node.identity.cid.toString() }, 'NotEntitledError'],
      ['client-secret', { id: 'alice@example.org' }, 'NotEntitledError'],
      ['server-secret', {}, 'NotEntitledError'],
      ['time-permit', { date: today + 5 }, 'DateOutOfRangeError'],
      ['time-permit', { date: today - 2 }, 'DateOutOfRangeError']
    ]
    for (const [kind, extra, error] of cases) {
      const v = await C.mpin.requestIssuance({ issuance: kind, curve: 'BN254', dtas, ...extra })
      assert.equal(await refusals(v), [error, error], `${kind} ${JSON.stringify(extra)}`)
      const final = C.mpin.issuance(v.id)
      assert.equal([final?.status, final?.answered], ['refused', []])
      for (const d of [D1, D2]) assert.is(servedOf(d.mpin.state, v.id)?.outcome, 'refused')
    }
    assert.equal([D1.mpin.state.counts.issued, D2.mpin.state.counts.issued], issuedBefore, 'the D-TAs issued nothing')
    assert.is((await C.services.keystore?.list())?.length, keysAtC, 'the client received nothing')
    assert.is((await facts(D1, 'mpin.issued')).length, 2)
    assert.is((await facts(D1, 'mpin.refused')).length, 1 + cases.length)
  } finally {
    await stopAll(nodes)
  }
})

test('bad answers at the beneficiary (not a D-TA of the request, an off-curve share, another master share) and a malformed request are refused, typed, the request unchanged', async () => {
  let nodes: MpinNode[] = []
  let manual: CustodyNode | undefined
  try {
    const [d1, d2, c, m] = await makeHomes(['dta-x', 'dta-y', 'client-x', 'manual'])
    nodes = await startMpinNetwork([{ dir: d1!.dir }, { dir: d2!.dir }, { dir: c!.dir }])
    const [D1, D2, C] = nodes as [MpinNode, MpinNode, MpinNode]
    manual = await startCustodyNode(m!.dir, { mpin: false }, TEST_POOL) // a "D-TA" that answers by hand
    const M = manual
    const signal = AbortSignal.timeout(60_000)
    for (const n of nodes) await introduce(M.node, n.node, signal)
    const curve = await loadCurve('BN254')
    const cid = C.node.identity.cid
    const h = hashId(curve, utf8(cid.toString()))
    const sM = randomScalar(curve)
    const fingerprint = new Uint8Array(32).fill(7)
    const dtas = [D1.node.identity.cid, M.node.identity.cid]
    const req = await C.mpin.requestIssuance({ issuance: 'client-secret', curve: 'BN254', dtas })
    const partial = await C.mpin.waitFor(req.id, (v) => v.answered.length === 1, { signal })
    const share = (from: CustodyNode, bytes: Uint8Array, master = fingerprint, thread = req.id) =>
      from.node.send([cid], 'mpin/share', shareBody({ issuance: 'client-secret', curve: 'BN254', share: bytes, master }), { thread, prev: [thread] })
    const refusedCount = async (n: number): Promise<void> => { await until(C, async () => (await rejectedNames(C)).length >= n, signal) }

    await share(D2, clientSecretShare(curve, sM, h)) // D2 is not a D-TA of this request
    await refusedCount(1)
    const offCurve = clientSecretShare(curve, sM, h)
    offCurve[64] = (offCurve[64] as number) ^ 1
    await share(M, offCurve)
    await refusedCount(2)
    assert.equal(await rejectedNames(C), ['UnexpectedAnswerError', 'InvalidPointError'])
    assert.equal(C.mpin.issuance(req.id), partial, 'the request is as it was')

    // M's real share completes the request: the sum is s₁·A + s_M·A.
    await share(M, clientSecretShare(curve, sM, h))
    await C.mpin.waitFor(req.id, (v) => v.status === 'complete', { signal })
    assert.equal(await exported(C, req.id), recombineG1(curve, [clientSecretShare(curve, await masterOf(D1, 'BN254'), h), clientSecretShare(curve, sM, h)]))

    // Next time M answers with another master share: refused.
    const again = await C.mpin.requestIssuance({ issuance: 'client-secret', curve: 'BN254', dtas })
    const waiting = await C.mpin.waitFor(again.id, (v) => v.answered.length === 1, { signal })
    await share(M, clientSecretShare(curve, randomScalar(curve), h), new Uint8Array(32).fill(8), again.id)
    await refusedCount(3)
    assert.is((await rejectedNames(C))[2], 'CommitmentChangedError')
    assert.equal(C.mpin.issuance(again.id), waiting)

    // A malformed request to a D-TA: rejected, nothing served.
    const served = D1.mpin.state.served
    await M.node.send([D1.node.identity.cid, cid], 'mpin/request', { v: 1, issuance: 'client-secret', curve: 'BN254', beneficiary: cid, id: null, date: null, dtas: [D1.node.identity.cid] })
    await until(D1, async () => (await rejectedNames(D1)).length === 1, signal)
    assert.equal(await rejectedNames(D1), ['MalformedError'])
    assert.is(D1.mpin.state.served, served)
  } finally {
    await stopAll([...nodes, manual])
  }
})

test('a D-TA down when the request is sent answers once it is back; one node as D-TA, client and authentication server completes everything alone', async () => {
  let nodes: Array<MpinNode | undefined> = []
  try {
    const [d1, d2, c] = await makeHomes(['dta-r1', 'dta-r2', 'client-r'])
    const started = await startMpinNetwork([{ dir: d1!.dir }, { dir: d2!.dir }, { dir: c!.dir }])
    nodes = started
    const [D1, D2, C] = started as [MpinNode, MpinNode, MpinNode]
    const signal = AbortSignal.timeout(60_000)
    await D2.node.stop()
    const v = await C.mpin.requestIssuance({ issuance: 'client-secret', curve: 'BN254', dtas: [D1.node.identity.cid, D2.node.identity.cid] })
    await C.mpin.waitFor(v.id, (x) => x.answered.length === 1, { signal })
    const D2b = await startMpinNode(d2!.dir)
    nodes[1] = D2b
    await introduce(C.node, D2b.node, signal)
    assert.is((await C.mpin.waitFor(v.id, settled, { signal })).status, 'complete')

    // One node: its own D-TA, client and authentication server (effects mpin.serve, mpin.open-own).
    const [solo] = await makeHomes(['solo'])
    const self = (await import('../../../node/home.ts').then(async (m) => await m.loadHome(solo!.dir))).keys.identity.cid
    const A = await startMpinNode(solo!.dir, { authServers: [self] })
    nodes.push(A)
    const curve = await loadCurve('BN254')
    const [cs, ss] = await Promise.all([issue(A.mpin, 'client-secret', 'BN254', [self], signal), issue(A.mpin, 'server-secret', 'BN254', [self], signal)])
    assert.equal([cs.status, ss.status], ['complete', 'complete'])
    const h = hashId(curve, utf8(self.toString()))
    const c1 = client1(curve, { hashedId: h, pin: PIN, token: extractPin(curve, await exported(A, cs.id), h, PIN) })
    const p1 = await A.mpin.pass1({ curve: 'BN254', id: self.toString(), U: c1.U })
    assert.is((await A.mpin.pass2(p1.challenge, client2(curve, c1.x, p1.y, c1.sec))).accepted, true)
    assert.is(A.node.parts.inbound.stats().received, 0, 'nothing crossed the network')
  } finally {
    await stopAll(nodes)
  }
})

test.run()
