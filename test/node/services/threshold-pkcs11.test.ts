// Threshold custody with every node's key store on a SoftHSM2 token (one token per node, configured
// in the home as `keystore.backend = pkcs11`): five whole nodes over loopback TCP (principal,
// beneficiary, three fiduciaries). A 2-of-3 DKG publishes the address; the fiduciaries' shares —
// records sealed by their tokens — interpolate to the group key; a refresh keeps the address, gives
// new shares and destroys the old ones (their handles fail with UnknownHandleError); a fiduciary
// restarted with a wrong PIN fails with a typed error and leaves its home as it was, then restarts
// with its PIN and releases; the beneficiary's exported key derives every published address. Last,
// every secret any key store was given (DKG and refreshed shares, transfer keys, released shares,
// the wallet key, node keys) is searched for in every file of every home and of the token
// directory, after a planted copy is found.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { p2pkh, p2wpkh, WIF } from '@scure/btc-signer'
import type { CID } from 'multiformats/cid'
import { toHex, fromHex } from '../../../crypto/index.ts'
import { interpolate } from '../../../crypto/threshold/index.ts'
import { orderOf } from '../../../protocol/threshold/reduce.ts'
import type { ThresholdOrderView } from '../../../protocol/threshold/queries.ts'
import { createSoftHsm, type SoftHsm } from '../../fixtures/softhsm.ts'
import {
  identityWithRightPin, makePkcs11Homes, recordAlg, scanWithControl, secretsOf, snapshotTree, startPkcs11Network, startPkcs11Node,
  startWithWrongPin, stopAll, type Pkcs11Home, type Pkcs11Node, skippedWithoutSoftHsm
} from './pkcs11-harness.ts'
import { exportedKey, introduceRetrying, published, redeemed, roundEnded, thresholdOf } from './threshold-harness.ts'

const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef }
const within = (): AbortSignal => AbortSignal.timeout(30_000)
const id = (n: Pkcs11Node): CID => n.node.identity.cid

interface Held { readonly index: number, readonly handle: string, readonly share: Uint8Array }

async function heldShare (f: Pkcs11Node, order: CID): Promise<Held> {
  const s = orderOf(thresholdOf(f).state, order)?.share
  if (s == null) throw new Error(`${f.home.name} holds no share`)
  return { index: s.index, handle: s.handle, share: await f.services.keystore?.use(s.handle, (x) => Uint8Array.from(x)) as Uint8Array }
}

const keyOf = (shares: readonly Held[]): string => toHex(secp256k1.getPublicKey(interpolate(shares.map((s) => ({ index: s.index, share: s.share }))), true))

function eip55 (uncompressed: Uint8Array): string {
  const hex = toHex(keccak_256(uncompressed.subarray(1)).subarray(12))
  const hash = toHex(keccak_256(new TextEncoder().encode(hex)))
  return '0x' + [...hex].map((c, i) => Number.parseInt(hash[i] as string, 16) >= 8 ? c.toUpperCase() : c).join('')
}

if (!skippedWithoutSoftHsm('threshold custody with every key store on a SoftHSM2 token', 'threshold custody on PKCS#11 key stores is not tested')) {
  let hsm: SoftHsm
  let base: string
  let homes: Pkcs11Home[] = []
  let nodes: Pkcs11Node[] = []
  let P: Pkcs11Node, B: Pkcs11Node, F: Pkcs11Node[]
  let order: CID
  let wallet: NonNullable<ThresholdOrderView['wallet']>
  const shares: Held[] = []
  /** Keys the beneficiary exported, for the scan. */
  const exported: Uint8Array[] = []

  test.before(async () => {
    hsm = await createSoftHsm()
    base = await mkdtemp(join(tmpdir(), 'milagro-threshold-p11-'))
    homes = await makePkcs11Homes(hsm, base, ['principal', 'beneficiary', 'f1', 'f2', 'f3'], ['custody', 'threshold'])
    nodes = await startPkcs11Network(homes, { mpin: false, safeguard: false })
    ;[P, B] = nodes as [Pkcs11Node, Pkcs11Node]
    F = nodes.slice(2)
  })

  test.after(async () => {
    await stopAll(nodes, { remove: false })
    await rm(base, { recursive: true, force: true })
    await hsm?.remove()
  })

  test('every node runs on its own token: the services\' key store is PKCS#11 and its records are sealed by the token', async () => {
    for (const n of nodes) {
      assert.is(n.services.keystore?.backend, 'pkcs11', n.home.name)
      assert.equal(n.node.home.config.keystore, { backend: 'pkcs11', module: hsm.module, tokenLabel: n.home.token.label, pinEnv: n.home.pinEnv })
      assert.ok((await readFile(n.node.home.paths.keysPath)).includes('pkcs11-aes-256-gcm'), `${n.home.name}: node keys sealed by the token`)
    }
    assert.is(new Set(nodes.map((n) => n.home.token.label)).size, 5)
  })

  test('2-of-3 DKG → address: every party sees the same wallet; the shares, unwrapped by the tokens, interpolate to the group key', async () => {
    const o = await thresholdOf(P).create({ beneficiary: id(B), fiduciaries: F.map(id), threshold: 2, network: 'regtest' })
    order = o.id
    const v = await thresholdOf(P).waitFor(order, published, { signal: within() })
    assert.ok(v.wallet !== null)
    wallet = v.wallet
    assert.equal(v.epoch?.holders, [1, 2, 3])
    assert.equal((await thresholdOf(B).waitFor(order, published, { signal: within() })).wallet, wallet)
    for (const f of F) assert.equal((await thresholdOf(f).waitFor(order, (x) => x.wallet !== null && x.statuses.fiduciary === 'holding', { signal: within() })).wallet, wallet)
    for (const f of F) shares.push(await heldShare(f, order))
    assert.equal(shares.map((s) => s.index), [1, 2, 3])
    const y = toHex(wallet.groupKey)
    assert.is(keyOf([shares[0], shares[1]] as Held[]), y)
    assert.is(keyOf([shares[1], shares[2]] as Held[]), y)
    assert.is.not(toHex(secp256k1.getPublicKey((shares[0] as Held).share, true)), y, 'one share alone is not the key')
    for (const [k, f] of F.entries()) assert.is(await recordAlg(f, (shares[k] as Held).handle), 'pkcs11-aes-256-gcm', `${f.home.name}'s share record is sealed by its token`)
  })

  test('refresh: same group key, wallet and address; new shares; the old ones destroyed (UnknownHandleError) and useless with the new', async () => {
    await thresholdOf(P).refresh(order)
    const after = await thresholdOf(P).waitFor(order, roundEnded(1), { signal: within() })
    assert.equal(after.history.map((h) => [h.round, h.kind, h.qualified]), [[0, 'dkg', true], [1, 'refresh', true]])
    assert.equal(after.wallet, wallet, 'the address is unchanged')
    assert.is(toHex(after.epoch?.commitments[0] as Uint8Array), toHex(wallet.groupKey), 'the group key is unchanged')
    for (const f of F) {
      await thresholdOf(f).waitFor(order, (x) => x.epoch?.round === 1 && x.statuses.fiduciary === 'holding', { signal: within() })
      await thresholdOf(f).settled(order)
    }
    const fresh = await Promise.all(F.map(async (f) => await heldShare(f, order)))
    for (const [k, f] of F.entries()) {
      const old = shares[k] as Held
      assert.is.not(toHex((fresh[k] as Held).share), toHex(old.share), `${f.home.name}'s share changed`)
      assert.is.not((fresh[k] as Held).handle, old.handle)
      await rejects(f.services.keystore?.use(old.handle, () => 0) as Promise<number>, { name: 'UnknownHandleError' })
      assert.not.ok((await f.services.keystore?.list())?.includes(old.handle), `${f.home.name} no longer lists the old share`)
    }
    // Each fiduciary made a transfer key for the DKG and one for the refresh: both destroyed once their round ended.
    for (const f of F) {
      const transferKeys = f.recorded.filter((s) => s.kind === 'generic')
      assert.is(transferKeys.length, 2, f.home.name)
      for (const t of transferKeys) await rejects(f.services.keystore?.use(t.handle as string, () => 0) as Promise<number>, { name: 'UnknownHandleError' })
    }
    assert.is(keyOf([fresh[0], fresh[2]] as Held[]), toHex(wallet.groupKey), 'new shares interpolate to the group key')
    assert.is.not(keyOf([shares[0], fresh[1]] as Held[]), toHex(wallet.groupKey), 'an old share with a new one does not')
    shares.push(...fresh)
  })

  test('f1 restarted with a wrong PIN: NodeKeysLockedError caused by WrongPinError (WrongPinError from its key store), its home unchanged; with its PIN it starts as the same node', async () => {
    const f1 = F[0] as Pkcs11Node
    await f1.node.stop()
    const before = await snapshotTree(f1.home.dir)
    const failed = await startWithWrongPin(f1.home, { mpin: false, safeguard: false })
    for (const err of [failed.harness, failed.start] as Error[]) {
      assert.is(err?.name, 'NodeKeysLockedError')
      assert.is((err.cause as Error | undefined)?.name, 'WrongPinError')
    }
    assert.is((failed.keystore as Error | undefined)?.name, 'WrongPinError')
    assert.equal(await snapshotTree(f1.home.dir), before, 'nothing in the home changed')
    assert.ok((await identityWithRightPin(f1.home)).equals(id(f1)))
    const back = await startPkcs11Node(f1.home, { mpin: false, safeguard: false }, {}, f1.recorded)
    nodes[nodes.indexOf(f1)] = back
    F[0] = back
    for (const n of [P, B]) await introduceRetrying(back, n, within())
    assert.is(thresholdOf(back).view(order)?.statuses.fiduciary, 'holding')
    assert.is(toHex((await heldShare(back, order)).share), toHex((shares[3] as Held).share), 'its refreshed share opens from its token after the restart')
  })

  test('release to the beneficiary (the restarted f1 among the releasers): the exported key, in @scure/btc-signer and noble, derives every published address', async () => {
    await thresholdOf(P).requestRelease(order)
    const done = await thresholdOf(B).waitFor(order, redeemed, { signal: within() })
    assert.ok(done.redeemed)
    assert.is((await thresholdOf(F[0] as Pkcs11Node).waitFor(order, (x) => x.released, { signal: within() })).released, true, 'f1 released from its token')
    for (const format of ['wif', 'hex'] as const) {
      const text = await exportedKey(B, order, format)
      const secret = format === 'wif' ? WIF(REGTEST).decode(text) : fromHex(text)
      exported.push(secret)
      const pub = secp256k1.getPublicKey(secret, true)
      assert.is(toHex(pub), toHex(wallet.walletKey))
      assert.is(p2wpkh(pub, REGTEST).address, wallet.p2wpkh)
      assert.is(p2pkh(pub, REGTEST).address, wallet.p2pkh)
      assert.is(eip55(secp256k1.getPublicKey(secret, false)), wallet.ethereum)
    }
    assert.equal(exported[0], exported[1])
  })

  test('no secret in clear in any file of any home or of the token directory (a planted copy is found)', async () => {
    await stopAll(nodes, { remove: false })
    const group = interpolate([shares[0], shares[1]] as Held[])
    const secrets = secretsOf(nodes, [
      ...shares.map((s, k) => ({ what: `${k < 3 ? 'DKG' : 'refreshed'} share ${s.index}`, value: s.share })),
      { what: 'group secret', value: group },
      { what: 'exported wallet key', value: exported[0] as Uint8Array }
    ])
    // Per fiduciary: its DKG and refreshed shares and two transfer keys; the beneficiary: its own key, the released shares, the wallet key.
    for (const f of F) assert.equal(f.recorded.filter((s) => s.kind !== undefined).map((s) => s.kind).sort(), ['generic', 'generic', 'secp256k1', 'secp256k1'], f.home.name)
    assert.ok(B.recorded.filter((s) => s.kind === 'secp256k1').length >= 4, 'beneficiary: own key, released shares, wallet key')
    assert.ok(B.recorded.some((s) => toHex(s.value) === toHex(exported[0] as Uint8Array)), 'the wallet key went into the beneficiary\'s token-sealed store')
    const dirs = [...nodes.map((n) => n.home.dir), hsm.tokensDir]
    assert.ok((await readdir(hsm.tokensDir)).length >= 5, 'the token directory holds the tokens')

    const scan = await scanWithControl(dirs, secrets, { what: 'control', value: exported[0] as Uint8Array }, { rawDir: B.node.home.paths.keystoreDir, hexDir: hsm.tokensDir })
    assert.ok(scan.files > 50, `${scan.files} files scanned`)
    assert.equal(scan.hits, [])
  })

  test.run()
}
