// Safeguarded secrets and node backups with every node's key store on a SoftHSM2 token (one token per
// node, configured in the home as `keystore.backend = pkcs11`): five whole nodes over loopback TCP
// (principal, beneficiary, three fiduciaries). A deposit to one fiduciary through the REST API and a
// 2-of-3 deposit of the largest secret (48 KiB) are released to the named beneficiary, who exports
// exactly the bytes deposited; the principal's dealt copies and the fiduciaries' transfer keys are
// destroyed (UnknownHandleError); a fiduciary restarted with a wrong PIN fails with a typed error,
// its home unchanged, and then releases with its PIN; a revocation destroys every share. A fiduciary
// backs itself up 2-of-3 for the beneficiary, is lost, and is restored from the backup onto a fresh
// home on its token: same identity, same key-store handles, its share opens to the same bytes; on
// another token the restore refuses (KekNotFoundError). Last, every secret any key store was given,
// the deposited secrets and the lost node's keys are searched for in every file of every home and of
// the token directory, after a planted copy is found.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { CID } from 'multiformats/cid'
import { fromHex, randomBytes, toHex } from '../../../crypto/index.ts'
import { ApiClient } from '../../../node/api/client.ts'
import { readApiToken } from '../../../node/api/token.ts'
import { openHome } from '../../../node/home.ts'
import { silentLogger } from '../../../node/logger.ts'
import { fetchBackup, restoreHome } from '../../../node/services/backup-restore.ts'
import type { BackupBundle } from '../../../node/services/backup-bundle.ts'
import { keyStoreFor } from '../../../node/services/keystore.ts'
import { exportKeyPair, openSecret } from '../../../node/services/safeguard-export.ts'
import { deposit as recordOf } from '../../../protocol/safeguard/queries.ts'
import { createSoftHsm, type SoftHsm, type SoftHsmToken } from '../../fixtures/softhsm.ts'
import {
  makePkcs11Homes, recordAlg, scanWithControl, secretsOf, snapshotTree, startPkcs11Network, startPkcs11Node,
  startWithWrongPin, stopAll, type Pkcs11Home, type Pkcs11Node, type Secret, skippedWithoutSoftHsm
} from './pkcs11-harness.ts'
import { exportedSecret, held, introduceRetrying, recovered, safeguardOf } from './safeguard-harness.ts'

const within = (): AbortSignal => AbortSignal.timeout(30_000)
const id = (n: Pkcs11Node): CID => n.node.identity.cid
const SPARE_PIN_ENV = 'MILAGRO_TEST_PIN_SPARE'

async function client (n: Pkcs11Node): Promise<ApiClient> {
  const api = n.services.api
  if (api === undefined) throw new Error('no API')
  return new ApiClient({ url: api.url, token: await readApiToken(n.node.home.paths.apiTokenPath) })
}

async function gone (n: Pkcs11Node, handle: string): Promise<void> {
  await rejects(n.services.keystore?.use(handle, () => 0) as Promise<number>, { name: 'UnknownHandleError' })
}

if (!skippedWithoutSoftHsm('safeguarded secrets and backups with every key store on a SoftHSM2 token', 'safeguarded secrets and backups on PKCS#11 key stores are not tested')) {
  let hsm: SoftHsm
  let spare: SoftHsmToken
  let base: string
  let homes: Pkcs11Home[] = []
  let nodes: Pkcs11Node[] = []
  let P: Pkcs11Node, B: Pkcs11Node, F1: Pkcs11Node, F2: Pkcs11Node, F3: Pkcs11Node
  const fids = (): CID[] => [F1, F2, F3].map(id)
  /** Deposited secrets, for the scan. */
  const deposited: Secret[] = []
  /** F3's share of the 2-of-3 deposit, as read before F3 is lost. */
  let f3Share: { handle: string, bytes: Uint8Array } | undefined
  /** Homes of nodes that are gone from `nodes` (F3 after its loss) and the restored one, for the scan. */
  const extraDirs: string[] = []
  /** The beneficiary's handles of the recovered backup parts (see the scan). */
  const backupParts: string[] = []

  test.before(async () => {
    hsm = await createSoftHsm()
    spare = await hsm.initToken({ label: 'milagro-spare' }) // before any store starts (see pkcs11-harness.ts)
    process.env[SPARE_PIN_ENV] = spare.pin
    base = await mkdtemp(join(tmpdir(), 'milagro-safeguard-p11-'))
    homes = await makePkcs11Homes(hsm, base, ['principal', 'beneficiary', 'f1', 'f2', 'f3'], ['custody', 'safeguard'])
    nodes = await startPkcs11Network(homes, { safeguard: { parkTtlMs: 1_000 }, mpin: false, threshold: false })
    ;[P, B, F1, F2, F3] = nodes as [Pkcs11Node, Pkcs11Node, Pkcs11Node, Pkcs11Node, Pkcs11Node]
  })

  test.after(async () => {
    await stopAll(nodes, { remove: false })
    delete process.env[SPARE_PIN_ENV]
    await rm(base, { recursive: true, force: true })
    await hsm?.remove()
  })

  test('every node runs on its own token', async () => {
    for (const n of nodes) {
      assert.is(n.services.keystore?.backend, 'pkcs11', n.home.name)
      assert.is(n.node.home.config.keystore.backend, 'pkcs11')
    }
    assert.is(new Set(nodes.map((n) => n.home.token.label)).size, 5)
  })

  test('one fiduciary, through the REST API: deposit → held → release → the beneficiary exports exactly the bytes deposited', async () => {
    const secret = randomBytes(4096)
    deposited.push({ what: 'REST deposit', value: secret })
    const [p, b] = [await client(P), await client(B)]
    const d = await p.request<{ id: string }>('POST', '/v1/safeguards', { secret: Buffer.from(secret).toString('base64'), beneficiary: id(B).toString(), fiduciaries: [id(F1).toString()], label: 'pkcs11' })
    const h = await p.request<{ status: { principal: string }, progress: Array<{ held: boolean }> }>('GET', `/v1/safeguards/${d.id}?wait=held&timeoutMs=20000`)
    assert.equal({ status: h.status.principal, held: h.progress.map((x) => x.held) }, { status: 'held', held: [true] })
    const share = recordOf(safeguardOf(F1).state, CID.parse(d.id))?.asFiduciary?.share
    assert.ok(share != null)
    assert.is(await recordAlg(F1, share), 'pkcs11-aes-256-gcm', 'the fiduciary\'s share is sealed by its token')
    await p.request('POST', `/v1/safeguards/${d.id}/release`, {})
    const r = await b.request<{ recovered: boolean, status: { beneficiary: string } }>('GET', `/v1/safeguards/${d.id}?wait=recovered&timeoutMs=20000`)
    assert.equal({ recovered: r.recovered, status: r.status.beneficiary }, { recovered: true, status: 'recovered' })
    const kp = exportKeyPair()
    const e = await b.request<{ size: number, enc: string, ciphertext: string }>('POST', `/v1/safeguards/${d.id}/secret`, { recipientKey: toHex(kp.publicKey) })
    assert.is(e.size, secret.length)
    assert.equal(openSecret(kp.secretKey, CID.parse(d.id), { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) }), secret)
    await rejects(p.request('POST', `/v1/safeguards/${d.id}/secret`, { recipientKey: toHex(kp.publicKey) }), { remoteName: 'RoleError', status: 403 })
  })

  test('2-of-3, the largest secret (48 KiB); f2 restarted with a wrong PIN (NodeKeysLockedError / WrongPinError, home unchanged) then with its PIN; release → exactly the bytes; dealt copies and transfer keys destroyed', async () => {
    const secret = randomBytes(48 * 1024)
    deposited.push({ what: '48 KiB deposit', value: secret })
    const d = (await safeguardOf(P).deposit({ secret, beneficiary: id(B), fiduciaries: fids(), threshold: 2 })).id
    await safeguardOf(P).waitFor(d, held, { signal: within() })
    for (const f of [F1, F2, F3]) await safeguardOf(f).waitFor(d, (v) => v.statuses.fiduciary === 'holding', { signal: within() })
    const share3 = recordOf(safeguardOf(F3).state, d)?.asFiduciary?.share
    assert.ok(share3 != null)
    f3Share = { handle: share3, bytes: await F3.services.keystore?.use(share3, (s) => Uint8Array.from(s)) as Uint8Array }
    assert.ok(f3Share.bytes.length > secret.length / 2, 'a share of a 48 KiB secret went through the token')

    await F2.node.stop()
    const before = await snapshotTree(F2.home.dir)
    const failed = await startWithWrongPin(F2.home, { safeguard: { parkTtlMs: 1_000 }, mpin: false, threshold: false })
    for (const err of [failed.harness, failed.start] as Error[]) {
      assert.is(err?.name, 'NodeKeysLockedError')
      assert.is((err.cause as Error | undefined)?.name, 'WrongPinError')
    }
    assert.is((failed.keystore as Error | undefined)?.name, 'WrongPinError')
    assert.equal(await snapshotTree(F2.home.dir), before, 'nothing in the home changed')
    const back = await startPkcs11Node(F2.home, { safeguard: { parkTtlMs: 1_000 }, mpin: false, threshold: false }, {}, F2.recorded)
    nodes[nodes.indexOf(F2)] = back
    F2 = back
    for (const n of [P, B]) await introduceRetrying(back, n, within())

    await safeguardOf(P).requestRelease(d)
    await safeguardOf(B).waitFor(d, recovered, { signal: within() })
    assert.equal(await exportedSecret(B, d), secret)
    await safeguardOf(F2).waitFor(d, (v) => v.statuses.fiduciary === 'released', { signal: within() })
    await safeguardOf(P).waitFor(d, (v) => v.statuses.principal === 'released', { signal: within() })
    // Key-store hygiene on the tokens: the principal's dealt copies and every fiduciary's transfer key are gone, the shares held.
    const dealt = recordOf(safeguardOf(P).state, d)?.asPrincipal?.handles ?? []
    assert.is(dealt.length, 3)
    for (const h of dealt) await gone(P, h)
    for (const f of [F1, F2, F3]) {
      const part = recordOf(safeguardOf(f).state, d)?.asFiduciary
      assert.ok(part?.share != null && part.transferKey != null)
      assert.ok((await f.services.keystore?.list())?.includes(part.share), `${f.home.name} holds its share`)
      await gone(f, part.transferKey)
    }
  })

  test('revocation before release: every fiduciary destroys its share (UnknownHandleError on its token)', async () => {
    const secret = randomBytes(1000)
    deposited.push({ what: 'revoked deposit', value: secret })
    const d = (await safeguardOf(P).deposit({ secret, beneficiary: id(B), fiduciaries: fids(), threshold: 2 })).id
    await safeguardOf(P).waitFor(d, held, { signal: within() })
    const shares = [F1, F2, F3].map((f) => recordOf(safeguardOf(f).state, d)?.asFiduciary?.share)
    await safeguardOf(P).revoke(d)
    const atP = await safeguardOf(P).waitFor(d, (v) => v.progress.every((x) => x.destroyed), { signal: within() })
    assert.is(atP.statuses.principal, 'revoked')
    for (const [k, f] of [F1, F2, F3].entries()) {
      assert.is(safeguardOf(f).view(d)?.statuses.fiduciary, 'revoked')
      await gone(f, shares[k] as string)
    }
    await rejects(safeguardOf(P).requestRelease(d), { name: 'DepositRevokedError' })
  })

  test('backup of f3 (2-of-3 with p, f1, f2 for the beneficiary), f3 lost, restored onto a fresh home on its token: same identity and handles, its share opens to the same bytes; on another token the restore refuses', async () => {
    // What the bundle takes: the records at the time of the backup (the parts' dealt copies come after).
    const handles = await F3.services.keystore?.list() as string[]
    assert.ok(f3Share !== undefined && handles.includes(f3Share.handle))
    const b = await (F3.services.backups as NonNullable<typeof F3.services.backups>).create({ fiduciaries: [P, F1, F2].map(id), threshold: 2, beneficiary: id(B) })
    for (const d of b.deposits) {
      await safeguardOf(F3).waitFor(d.id, held, { signal: within() })
      await safeguardOf(B).waitFor(d.id, () => true, { signal: within() })
    }
    const identity = id(F3)
    const lost = F3.home.dir
    await F3.node.stop()
    nodes = nodes.filter((n) => n !== F3)
    await rm(dirname(lost), { recursive: true, force: true })

    const fetched = await fetchBackup(await client(B), { identity: identity.toString(), timeoutMs: 30_000 })
    for (const d of b.deposits) backupParts.push(recordOf(safeguardOf(B).state, d.id)?.asBeneficiary?.recovered as string)
    assert.is(backupParts.filter((h) => typeof h === 'string').length, b.deposits.length, 'every part recovered into the beneficiary\'s store')
    assert.is(fetched.bundle.keystore, 'pkcs11')
    assert.equal(Object.keys(fetched.bundle.files).filter((f) => f.startsWith('keystore/')).length, handles.length, 'the records, and no KEK: it never left the token')

    // On another token (the spare: no KEK there), the records cannot be opened: refused, typed.
    const config = JSON.parse(new TextDecoder().decode(fetched.bundle.files['config.json'])) as Record<string, unknown>
    const other: BackupBundle = { ...fetched.bundle, files: { ...fetched.bundle.files, 'config.json': new TextEncoder().encode(JSON.stringify({ ...config, keystore: { backend: 'pkcs11', module: hsm.module, tokenLabel: spare.label, pinEnv: SPARE_PIN_ENV } })) } }
    const elsewhere = join(base, 'f3-elsewhere', 'home')
    extraDirs.push(elsewhere)
    await rejects(restoreHome(other, elsewhere, { listen: ['/ip4/127.0.0.1/tcp/0'], apiPort: 0 }), (err: Error) => err.name === 'NodeKeysLockedError' && (err.cause as Error | undefined)?.name === 'KekNotFoundError')

    // On its own token: the same node, the same records.
    const restoredDir = join(base, 'f3-restored', 'home')
    extraDirs.push(restoredDir)
    const home = await restoreHome(fetched.bundle, restoredDir, { listen: ['/ip4/127.0.0.1/tcp/0'], apiPort: 0 })
    assert.ok(home.keys.identity.cid.equals(identity), 'same identity')
    assert.equal(home.config.keystore, F3.node.home.config.keystore, 'on f3\'s token')
    const ks = keyStoreFor(await openHome(restoredDir), silentLogger())
    await ks.start()
    try {
      assert.equal(await ks.list(), handles)
      assert.equal(await ks.use(f3Share.handle, (s) => Uint8Array.from(s)), f3Share.bytes)
    } finally {
      await ks.stop()
    }
    const restored = await startPkcs11Node({ ...F3.home, dir: restoredDir }, { safeguard: { parkTtlMs: 1_000 }, mpin: false, threshold: false }, {}, F3.recorded)
    assert.ok(restored.node.identity.cid.equals(identity))
    assert.is(restored.services.keystore?.backend, 'pkcs11')
    await restored.node.stop()
  })

  test('no secret in clear in any file of any home or of the token directory (a planted copy is found)', async () => {
    await stopAll(nodes, { remove: false })
    // A recovered backup part is r ‖ bundle: the bundle holds f3's node keys in clear — scanned for as
    // f3's recorded node keys — and f3's key-store records, ciphertext the restore writes back byte
    // for byte (the part's last bytes are a record's): the parts themselves are left out.
    assert.ok(backupParts.length >= 1)
    const secrets = secretsOf([...nodes, F3], deposited).filter((s) => s.handle === undefined || !backupParts.includes(s.handle))
    assert.ok(secrets.some((s) => s.what === 'f3 Ed25519 seed') && secrets.some((s) => s.what === 'f3 X25519 secret'))
    const dirs = [...nodes.map((n) => n.home.dir), ...extraDirs, hsm.tokensDir]
    const probe = deposited[1] as Secret
    for (const n of [P, F1, F2, F3]) assert.ok(n.recorded.some((s) => s.kind === 'generic'), `${n.home.name} recorded shares or transfer keys`)
    const scan = await scanWithControl(dirs, secrets, probe, { rawDir: B.node.home.paths.keystoreDir, hexDir: hsm.tokensDir })
    assert.ok(scan.files > 50, `${scan.files} files scanned`)
    assert.equal(scan.hits, [])
  })

  test.run()
}
