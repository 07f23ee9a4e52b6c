// Secrets never in logs, at any level, nor in error messages: three nodes (principal, beneficiary,
// fiduciary) log at `trace` to files through the production logger (node/logger.ts), run the
// custody flow through the REST API — create, publish, release, redeem, export — plus requests
// that fail (wrong token, unknown order, bad export key, unknown identity). Then every secret the
// test created or the nodes generated is searched for, in every encoding, in every log line and
// every HTTP response: node keys (Ed25519 seed, X25519, secp256k1, libp2p key), API tokens, the
// key stores' passphrase (and the PKCS#11 PIN when SoftHSM2 is installed), the custody shares, the
// released share, the combined wallet key and its exported text. A positive control (a secret
// logged on purpose) proves the scan finds what it looks for.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { CID } from 'multiformats/cid'
import { pino } from 'pino'
import { fromHex, toHex } from '../../crypto/index.ts'
import { ApiClient } from '../../node/api/client.ts'
import { readApiToken } from '../../node/api/token.ts'
import { initHome, loadHome } from '../../node/home.ts'
import { createLogger, type Logger } from '../../node/logger.ts'
import { createNode, type MilagroNode } from '../../node/node.ts'
import { exportKeyPair, openExport } from '../../node/services/custody-export.ts'
import { nodeServices, type Services } from '../../node/services/compose.ts'
import { roleOrder } from '../../protocol/custody/index.ts'
import { createSoftHsm, hasSoftHsm, type SoftHsm } from '../fixtures/softhsm.ts'
import { FAST, introduce } from '../node/node-harness.ts'
import { findLeaks, readText, type Secret } from './secrets.ts'

const PASSPHRASE_ENV = 'MILAGRO_TEST_KEYSTORE_PASSPHRASE'
const PIN_ENV = 'MILAGRO_TEST_PKCS11_PIN'

interface Running { name: string, node: MilagroNode, services: Services, logger: Logger, logPath: string, api: ApiClient }

/** Writes out what the logger's (asynchronous) destination still buffers; `logger.flush(cb)` may call back with lines still pending. */
function flush (logger: Logger): void {
  (logger as unknown as Record<symbol, { flushSync: () => void }>)[pino.symbols.streamSym]?.flushSync()
}

test('a whole custody flow logged at trace: no secret in any log line or HTTP response; the scan finds a planted one', async () => {
  const base = await mkdtemp(join(tmpdir(), 'milagro-secrets-'))
  const passphrase = `correct horse battery staple ${Math.random().toString(36).slice(2)}`
  process.env[PASSPHRASE_ENV] = passphrase
  let hsm: SoftHsm | undefined
  let pin: string | undefined
  const nodes: Running[] = []
  const responses: Array<{ where: string, text: string }> = []
  try {
    if (hasSoftHsm()) {
      hsm = await createSoftHsm()
      const token = await hsm.initToken()
      pin = token.pin
      process.env[PIN_ENV] = pin
      nodes.length = 0
      await setUp(base, { fiduciary: { backend: 'pkcs11', module: hsm.module, tokenLabel: token.label, pinEnv: PIN_ENV } }, nodes)
    } else {
      console.log('SKIP: SoftHSM2 is not installed: the fiduciary uses the software key store, and no PKCS#11 PIN is checked')
      await setUp(base, {}, nodes)
    }
    const [P, B, F] = nodes as [Running, Running, Running]
    const signal = AbortSignal.timeout(30_000)
    await introduce(P.node, B.node, signal)
    await introduce(P.node, F.node, signal)
    await introduce(B.node, F.node, signal)

    const call = async <T>(who: Running, what: string, fn: (api: ApiClient) => Promise<T>): Promise<T | undefined> => {
      try {
        const r = await fn(who.api)
        responses.push({ where: `${who.name} ${what}`, text: JSON.stringify(r) })
        return r
      } catch (err) {
        responses.push({ where: `${who.name} ${what} (error)`, text: `${(err as Error).name}: ${(err as Error).message}` })
        return undefined
      }
    }
    const created = await call(P, 'create order', async (api) => await api.createOrder({ beneficiary: B.node.identity.cid.toString(), fiduciary: F.node.identity.cid.toString(), network: 'regtest' }))
    assert.ok(created !== undefined)
    const id = created.id
    await call(P, 'wait published', async (api) => await api.order(id, { stage: 'published', timeoutMs: 20_000 }))
    await call(P, 'release', async (api) => await api.release(id))
    const redeemed = await call(B, 'wait redeemed', async (api) => await api.order(id, { stage: 'redeemed', timeoutMs: 20_000 }))
    assert.ok(redeemed?.keyAvailable === true)
    await call(F, 'wait released', async (api) => await api.order(id, { stage: 'released', timeoutMs: 20_000 }))
    const kp = exportKeyPair()
    const exported = await call(B, 'export', async (api) => await api.exportKey(id, 'wif', toHex(kp.publicKey)))
    assert.ok(exported !== undefined)
    const wif = new TextDecoder().decode(openExport(kp.secretKey, CID.parse(id), { enc: fromHex(exported.enc), ciphertext: fromHex(exported.ciphertext) }))
    // Requests that fail: their error messages are scanned too.
    const wrong = new ApiClient({ url: B.services.api?.url as string, token: await readApiToken(P.node.home.paths.apiTokenPath) })
    await call({ ...B, api: wrong }, 'export with the principal\'s token', async (api) => await api.exportKey(id, 'wif', toHex(kp.publicKey)))
    await call(B, 'export with a short key', async (api) => await api.request('POST', `/v1/orders/${id}/export`, { format: 'hex', recipientKey: 'ab'.repeat(16) }))
    await call(P, 'export as principal', async (api) => await api.exportKey(id, 'hex', toHex(kp.publicKey)))
    await call(P, 'release an unknown order', async (api) => await api.release(F.node.identity.cid.toString()))
    await call(P, 'order for an unknown beneficiary', async (api) => await api.createOrder({ beneficiary: 'bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua', fiduciary: F.node.identity.cid.toString() }))

    // Every secret: node keys, tokens, passphrase, PIN, shares (read back from the key stores), exported key.
    const secrets: Secret[] = [{ what: 'key store passphrase', value: passphrase }, { what: 'exported WIF', value: wif }]
    if (pin !== undefined) secrets.push({ what: 'PKCS#11 PIN', value: pin })
    for (const n of nodes) {
      // The keys as the node holds them (at rest they are sealed: keys/node.sealed).
      const keys = n.node.home.keys
      secrets.push(
        { what: `${n.name} Ed25519 seed`, value: keys.signingSecretKey },
        { what: `${n.name} X25519 secret`, value: keys.encryptionSecretKey },
        { what: `${n.name} secp256k1 secret`, value: keys.custodySecretKey },
        { what: `${n.name} libp2p key`, value: keys.libp2pKey.raw },
        { what: `${n.name} libp2p key file`, value: Buffer.from(privateKeyToProtobuf(keys.libp2pKey)).toString('base64').slice(0, 24) },
        { what: `${n.name} API token`, value: await readApiToken(n.node.home.paths.apiTokenPath) }
      )
    }
    const custody = (n: Running): NonNullable<Services['custody']> => n.services.custody as NonNullable<Services['custody']>
    // use() unwraps into process memory on PKCS#11 too (the token holds the KEK, not the secret),
    // so every share is read and searched for, the fiduciary's on the token included.
    const read = async (n: Running, handle: string): Promise<Uint8Array> =>
      await (n.services.keystore as NonNullable<Services['keystore']>).use(handle, (s) => Uint8Array.from(s))
    const b = roleOrder(custody(B).state, 'beneficiary', id)
    const f = roleOrder(custody(F).state, 'fiduciary', id)
    assert.ok(b?.share != null && b.imported != null && f?.share != null)
    // The fiduciary's share (released to B, which keeps only w = b + f) is read from F's store.
    for (const [what, n, handle] of [['beneficiary share', B, b.share.handle], ['wallet key', B, b.imported.wallet], ['fiduciary share', F, f.share.handle]] as const) {
      secrets.push({ what, value: await read(n, handle) })
    }
    const walletKey = await read(B, b.imported.wallet)
    secrets.push({ what: 'wallet key (decimal)', value: BigInt('0x' + toHex(walletKey)).toString() })

    // Positive control: a secret logged on purpose is found.
    const control = { what: 'planted control', value: crypto.getRandomValues(new Uint8Array(32)) }
    P.logger.child({ component: 'control' }).trace({ leaked: Buffer.from(control.value).toString('base64') }, 'planted')

    for (const n of nodes) await n.node.stop()
    const places: Array<{ where: string, text: string }> = [...responses]
    for (const n of nodes) {
      flush(n.logger)
      const text = await readText(n.logPath)
      assert.is(n.logger.level, 'trace')
      assert.ok(text.split('\n').length > 5, `${n.name} logged ${text.split('\n').length} lines`)
      places.push({ where: `${n.name} log`, text })
    }
    assert.equal([...new Set(findLeaks([control], places).map((l) => l.where))], ['principal log'])
    assert.ok(secrets.length >= 24, `${secrets.length} secrets checked`)
    assert.equal(findLeaks(secrets, places), [])
  } finally {
    await Promise.allSettled(nodes.map(async (n) => { await n.node.stop() }))
    delete process.env[PASSPHRASE_ENV]
    delete process.env[PIN_ENV]
    await hsm?.remove()
    await rm(base, { recursive: true, force: true })
  }
})

async function setUp (base: string, keystores: { fiduciary?: Record<string, unknown> }, out: Running[]): Promise<void> {
  for (const name of ['principal', 'beneficiary', 'fiduciary'] as const) {
    const dir = join(base, name)
    const keystore = name === 'fiduciary' && keystores.fiduciary !== undefined ? keystores.fiduciary : { backend: 'software', passphraseEnv: PASSPHRASE_ENV }
    await initHome(dir, { name, listen: ['/ip4/127.0.0.1/tcp/0'], keystore: keystore as never, services: ['custody'] })
    const home = await loadHome(dir)
    const logPath = join(base, `${name}.log`)
    const logger = createLogger({ level: 'trace', destination: logPath, base: { node: name } })
    const { options, services } = nodeServices(home, logger, { api: { host: '127.0.0.1', port: 0 } })
    const node = createNode(home, { logger, ...FAST, ...options, pool: { size: 1 } })
    await node.start()
    out.push({ name, node, services, logger, logPath, api: new ApiClient({ url: services.api?.url as string, token: await readApiToken(home.paths.apiTokenPath) }) })
  }
}

test.run()
