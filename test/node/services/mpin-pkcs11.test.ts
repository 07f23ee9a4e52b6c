// The M-Pin D-TA with every node's key store on a SoftHSM2 token (one token per node, configured in
// the home as `keystore.backend = pkcs11`): two D-TAs, a client and an authentication server, whole
// nodes over loopback TCP with real worker threads. On BLS12-381, then on BN254: each D-TA's
// master-secret share is generated into its token-sealed store; the client's secret and time permit
// and the server's secret are issued from both D-TAs, combined in the receivers' token-sealed stores,
// equal the sums of the shares computed from the masters, and authenticate (two-pass M-Pin through
// the authentication server's service; a wrong PIN is BadPinError). Between the curves a D-TA is
// restarted with a wrong PIN — a typed error, its home unchanged — then with its PIN, and its master
// share is the same. Last, every secret any key store was given (master shares, issued shares and
// sums, node keys) and the secrets the test computed are searched for in every file of every home
// and of the token directory, after a planted copy is found.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CID } from 'multiformats/cid'
import {
  clientSecretShare, extractPin, hashId, loadCurve, recombineG1, recombineG2, serverSecretShare, timePermitShare, type CurveName
} from '../../../crypto/index.ts'
import { dayOf } from '../../../protocol/mpin/entitlement.ts'
import { serverSecretOf } from '../../../protocol/mpin/queries.ts'
import type { MpinInit, MpinService } from '../../../node/services/mpin.ts'
import { exportKeyPair, openSecret } from '../../../node/services/mpin-export.ts'
import { masterScalar } from '../../../node/services/mpin-shares.ts'
import { createSoftHsm, type SoftHsm } from '../../fixtures/softhsm.ts'
import { issueForLogin, mpinLogin, TEST_POOL } from './mpin-harness.ts'
import {
  makePkcs11Homes, recordAlg, scanWithControl, secretsOf, snapshotTree, startPkcs11Network, startPkcs11Node,
  startWithWrongPin, stopAll, type Pkcs11Home, type Pkcs11Node, type Secret, skippedWithoutSoftHsm
} from './pkcs11-harness.ts'
import { introduceRetrying } from './safeguard-harness.ts'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const PIN = 4321
const MASTER_KIND = { 'BLS12-381': 'bls12-381-scalar', BN254: 'bn254-scalar' } as const

function mpinOf (n: Pkcs11Node): MpinService {
  const m = n.services.mpin
  if (m === undefined) throw new Error('the M-Pin service is not running')
  return m
}

/** A D-TA's master share on `curve`, in Milagro's encoding, unwrapped by its token (and its handle). */
async function masterOf (d: Pkcs11Node, curve: CurveName): Promise<{ handle: string, scalar: Uint8Array }> {
  const m = mpinOf(d).state.masters[curve]
  if (m === undefined || d.services.keystore === undefined) throw new Error('no master share')
  return { handle: m.handle, scalar: await d.services.keystore.use(m.handle, (s) => masterScalar(curve, s)) }
}

async function exported (n: Pkcs11Node, id: CID): Promise<Uint8Array> {
  const kp = exportKeyPair()
  return openSecret(kp.secretKey, id, await mpinOf(n).exportSecret(id, kp.publicKey))
}


if (!skippedWithoutSoftHsm('M-Pin D-TA with every key store on a SoftHSM2 token', 'the M-Pin D-TA on PKCS#11 key stores is not tested')) {
  let hsm: SoftHsm
  let base: string
  let homes: Pkcs11Home[] = []
  let nodes: Pkcs11Node[] = []
  let D1: Pkcs11Node, D2: Pkcs11Node, C: Pkcs11Node, S: Pkcs11Node
  /** Secrets the test computed or exported, for the scan. */
  const computed: Secret[] = []
  const masters: Partial<Record<CurveName, string>> = {}
  let dtaInit: MpinInit
  const servicesOf = (h: Pkcs11Home) => ({ mpin: h.name.startsWith('dta') ? dtaInit : {}, safeguard: false as const, threshold: false as const })

  test.before(async () => {
    hsm = await createSoftHsm()
    base = await mkdtemp(join(tmpdir(), 'milagro-mpin-p11-'))
    homes = await makePkcs11Homes(hsm, base, ['dta-1', 'dta-2', 'client', 'auth'], ['custody', 'mpin'])
    dtaInit = { authServers: [(homes[3] as Pkcs11Home).cid] }
    nodes = await startPkcs11Network(homes, servicesOf, TEST_POOL)
    ;[D1, D2, C, S] = nodes as [Pkcs11Node, Pkcs11Node, Pkcs11Node, Pkcs11Node]
  })

  test.after(async () => {
    await stopAll(nodes, { remove: false })
    await rm(base, { recursive: true, force: true })
    await hsm?.remove()
  })

  /**
   * Client secret and time permit to the client, server secret to the authentication server, from
   * both D-TAs; the sums checked against the masters; two-pass M-Pin with them.
   */
  async function issueAndAuthenticate (name: CurveName): Promise<void> {
    const signal = AbortSignal.timeout(60_000)
    const curve = await loadCurve(name)
    const dtas = [D1.node.identity.cid, D2.node.identity.cid]
    const today = dayOf(Date.now())
    const [cs, tp, ss] = await issueForLogin(mpinOf(C), mpinOf(S), name, dtas, signal)
    assert.equal([cs.status, tp.status, ss.status], ['complete', 'complete', 'complete'])
    const id = C.node.identity.cid.toString()
    assert.equal([cs.mpinId, tp.mpinId, tp.date], [id, id, today])

    // The D-TAs' master shares live in their token-sealed stores.
    const [m1, m2] = [await masterOf(D1, name), await masterOf(D2, name)]
    masters[name] = m1.handle
    for (const [d, m] of [[D1, m1], [D2, m2]] as const) {
      assert.ok(m.handle.startsWith(`ks1:${MASTER_KIND[name]}:`))
      assert.is(await recordAlg(d, m.handle), 'pkcs11-aes-256-gcm', `${d.home.name}'s master share is sealed by its token`)
    }
    const h = hashId(curve, utf8(id))
    const clientShares = [clientSecretShare(curve, m1.scalar, h), clientSecretShare(curve, m2.scalar, h)]
    const permitShares = [timePermitShare(curve, m1.scalar, today, h), timePermitShare(curve, m2.scalar, today, h)]
    const serverShares = [serverSecretShare(curve, m1.scalar), serverSecretShare(curve, m2.scalar)]
    const secret = await exported(C, cs.id)
    const permit = await exported(C, tp.id)
    assert.equal(secret, recombineG1(curve, clientShares), 'the combined client secret is s₁·A + s₂·A')
    assert.equal(permit, recombineG1(curve, permitShares))
    const held = serverSecretOf(mpinOf(S).state, name)
    assert.ok(held !== undefined)
    assert.is(await recordAlg(S, held.handle), 'pkcs11-aes-256-gcm', 'the server secret is sealed by the server\'s token')
    const serverSecret = await S.services.keystore?.use(held.handle, (x) => Uint8Array.from(x)) as Uint8Array
    assert.equal(serverSecret, recombineG2(curve, serverShares))
    computed.push(
      { what: `${name} master share 1`, value: m1.scalar.subarray(m1.scalar.length - 32) }, { what: `${name} master share 2`, value: m2.scalar.subarray(m2.scalar.length - 32) },
      ...clientShares.map((value, k) => ({ what: `${name} client-secret share ${k + 1}`, value })), { what: `${name} client secret`, value: secret },
      ...permitShares.map((value, k) => ({ what: `${name} time-permit share ${k + 1}`, value })), { what: `${name} time permit`, value: permit },
      ...serverShares.map((value, k) => ({ what: `${name} server-secret share ${k + 1}`, value })), { what: `${name} server secret`, value: serverSecret }
    )

    // Two-pass M-Pin with the combined secrets, through the authentication server's service.
    const token = extractPin(curve, secret, h, PIN)
    const login = async (pin: number, withPermit: boolean): Promise<string> =>
      (await mpinLogin(mpinOf(S), curve, name, { id, hashedId: h, token }, pin, withPermit ? { date: today, permit } : undefined)).outcome
    assert.is(await login(PIN, true), 'accepted')
    assert.is(await login(PIN, false), 'accepted')
    assert.is(await login(PIN + 1, true), 'BadPinError')
    assert.is(await login(PIN + 1, false), 'BadPinError')
  }

  test('every node runs on its own token', async () => {
    for (const n of nodes) {
      assert.is(n.services.keystore?.backend, 'pkcs11', n.home.name)
      assert.is(n.node.home.config.keystore.backend, 'pkcs11')
    }
    assert.is(new Set(nodes.map((n) => n.home.token.label)).size, 4)
  })

  test('BLS12-381: shares issued by D-TAs on PKCS#11 combine into a client secret, time permit and server secret that authenticate', async () => {
    await issueAndAuthenticate('BLS12-381')
  })

  test('dta-1 restarted with a wrong PIN: NodeKeysLockedError caused by WrongPinError (WrongPinError from its key store), its home unchanged; with its PIN, the same master share', async () => {
    const before = await masterOf(D1, 'BLS12-381')
    await D1.node.stop()
    const snapshot = await snapshotTree(D1.home.dir)
    const failed = await startWithWrongPin(D1.home, servicesOf(D1.home), TEST_POOL)
    for (const err of [failed.harness, failed.start] as Error[]) {
      assert.is(err?.name, 'NodeKeysLockedError')
      assert.is((err.cause as Error | undefined)?.name, 'WrongPinError')
    }
    assert.is((failed.keystore as Error | undefined)?.name, 'WrongPinError')
    assert.equal(await snapshotTree(D1.home.dir), snapshot, 'nothing in the home changed')
    const back = await startPkcs11Node(D1.home, servicesOf(D1.home), TEST_POOL, D1.recorded)
    nodes[nodes.indexOf(D1)] = back
    D1 = back
    for (const n of [D2, C, S]) await introduceRetrying(back, n, AbortSignal.timeout(30_000))
    assert.equal(await masterOf(D1, 'BLS12-381'), before, 'the master share opens from the token after the restart')
  })

  test('BN254 (after the restart): issued shares combine into secrets that authenticate', async () => {
    await issueAndAuthenticate('BN254')
    assert.is.not(masters.BN254, masters['BLS12-381'])
  })

  test('no secret in clear in any file of any home or of the token directory (a planted copy is found)', async () => {
    await stopAll(nodes, { remove: false })
    for (const d of [D1, D2]) {
      assert.equal(d.recorded.filter((s) => s.kind !== undefined && s.kind !== 'generic').map((s) => s.kind).sort(), ['bls12-381-scalar', 'bn254-scalar'], `${d.home.name}: one master share per curve`)
    }
    // The client: per curve two client-secret shares, two time-permit shares and the two sums; the server: two shares and the sum per curve.
    assert.ok(C.recorded.filter((s) => s.kind === 'generic').length >= 12)
    assert.ok(S.recorded.filter((s) => s.kind === 'generic').length >= 6)
    const secrets = secretsOf(nodes, computed)
    const dirs = [...nodes.map((n) => n.home.dir), hsm.tokensDir]
    const probe = computed.find((s) => s.what === 'BN254 client secret') as Secret
    const scan = await scanWithControl(dirs, secrets, probe, { rawDir: C.node.home.paths.dataDir, hexDir: hsm.tokensDir })
    assert.ok(scan.files > 40, `${scan.files} files scanned`)
    assert.equal(scan.hits, [])
  })

  test.run()
}
