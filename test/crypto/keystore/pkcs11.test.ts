// The PKCS#11 key store against a throw-away SoftHSM2 token: the conformance suite, then what
// is specific to an HSM — the KEK's attributes read back from the token, login and module
// failures as typed errors (and nothing changed on disk), session recovery, a KEK that must
// never be silently replaced, two stores sharing the module.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import pkcs11js from 'pkcs11js'
import { pkcs11KeyStore, type Pkcs11KeyStoreConfig } from '../../../crypto/keystore/pkcs11.ts'
import type { KeyStore } from '../../../crypto/keystore/types.ts'
import { createSoftHsm, hasSoftHsm, type SoftHsm, type SoftHsmToken } from '../../fixtures/softhsm.ts'
import { toHex } from '../../vectors.ts'
import { captureLogger, filesUnder, keyStoreSuite, putRecordBytes, recordBytes, SAMPLE_SECRETS, type KeyStoreHarness } from './suite.ts'

const PIN_ENV = 'MILAGRO_TEST_PKCS11_PIN'

if (!hasSoftHsm()) {
  console.log('SKIP: SoftHSM2 is not installed (apt-get install softhsm2, as .ci/run does); PKCS#11 key store tests are skipped')
  test.skip('PKCS#11 key store against SoftHSM2', () => {})
  test.run()
} else {
  const hsm: SoftHsm = await createSoftHsm()
  const token: SoftHsmToken = await hsm.initToken()
  process.env[PIN_ENV] = token.pin

  const roots: string[] = []
  async function harness (extra: Partial<Pkcs11KeyStoreConfig> = {}): Promise<KeyStoreHarness & { config: Pkcs11KeyStoreConfig, root: string }> {
    const root = await mkdtemp(join(tmpdir(), 'milagro-ks-p11-'))
    roots.push(root)
    const logs: string[] = []
    const config: Pkcs11KeyStoreConfig = { backend: 'pkcs11', dir: join(root, 'keystore'), module: hsm.module, tokenLabel: token.label, pin: { env: PIN_ENV }, ...extra }
    return {
      root,
      config,
      dir: config.dir,
      logs,
      open: () => pkcs11KeyStore(config, { logger: captureLogger(logs) }),
      cleanup: async () => { await rm(root, { recursive: true, force: true }) }
    }
  }

  keyStoreSuite('pkcs11 (SoftHSM2)', async () => await harness())

  /** An independent session on the token (its own pkcs11js instance), for inspection. */
  function withToken<T> (label: string, fn: (p11: InstanceType<typeof pkcs11js.PKCS11>, session: Buffer, slot: Buffer) => T): T {
    const p11 = new pkcs11js.PKCS11()
    p11.load(hsm.module)
    let initialised = false
    try {
      p11.C_Initialize()
      initialised = true
    } catch (err) {
      if ((err as { code?: number }).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw err
    }
    try {
      const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trimEnd() === label)
      if (slot === undefined) throw new Error(`token ${label} not found`)
      const session = p11.C_OpenSession(slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION)
      let loggedIn = false
      try {
        try {
          p11.C_Login(session, pkcs11js.CKU_USER, token.pin)
          loggedIn = true
        } catch (err) {
          if ((err as { code?: number }).code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw err
        }
        return fn(p11, session, slot)
      } finally {
        if (loggedIn) p11.C_Logout(session)
        p11.C_CloseSession(session)
      }
    } finally {
      if (initialised) p11.C_Finalize()
      p11.close()
    }
  }

  /** C_CloseAllSessions on the token from another pkcs11js instance: the store's session dies with it. */
  function closeAllSessions (label: string): void {
    const p11 = new pkcs11js.PKCS11()
    p11.load(hsm.module)
    try {
      p11.C_Initialize()
    } catch (err) {
      if ((err as { code?: number }).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw err
    }
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trimEnd() === label)
    if (slot === undefined) throw new Error(`token ${label} not found`)
    p11.C_CloseAllSessions(slot)
    p11.close() // no C_Finalize: the store's initialisation is still in use
  }

  function findKeys (p11: InstanceType<typeof pkcs11js.PKCS11>, session: Buffer, label: string): Buffer[] {
    p11.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }, { type: pkcs11js.CKA_LABEL, value: label }])
    try { return p11.C_FindObjects(session, 10) } finally { p11.C_FindObjectsFinal(session) }
  }

  async function digestDir (dir: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {}
    for (const file of await filesUnder(dir)) out[relative(dir, file)] = createHash('sha256').update(await readFile(file)).digest('hex')
    return out
  }

  async function withStarted<T> (store: KeyStore, fn: (s: KeyStore) => Promise<T>): Promise<T> {
    await store.start()
    try { return await fn(store) } finally { await store.stop() }
  }

  test('the KEK lives in the token: sensitive, not extractable, private, unmodifiable; its value cannot be read', async () => {
    const h = await harness()
    await withStarted(h.open(), async (s) => { await s.generate('secp256k1') })
    withToken(token.label, (p11, session) => {
      const keys = findKeys(p11, session, 'milagro-kek')
      assert.is(keys.length, 1)
      const kek = keys[0]!
      const attrs = p11.C_GetAttributeValue(session, kek, [
        { type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_TOKEN },
        { type: pkcs11js.CKA_PRIVATE }, { type: pkcs11js.CKA_MODIFIABLE }, { type: pkcs11js.CKA_KEY_TYPE },
        { type: pkcs11js.CKA_NEVER_EXTRACTABLE }, { type: pkcs11js.CKA_ALWAYS_SENSITIVE }
      ])
      const value = (type: number): string => toHex(attrs.find((a) => a.type === type)!.value)
      assert.is(value(pkcs11js.CKA_SENSITIVE), '01')
      assert.is(value(pkcs11js.CKA_EXTRACTABLE), '00')
      assert.is(value(pkcs11js.CKA_TOKEN), '01')
      assert.is(value(pkcs11js.CKA_PRIVATE), '01')
      assert.is(value(pkcs11js.CKA_MODIFIABLE), '00')
      assert.is(value(pkcs11js.CKA_NEVER_EXTRACTABLE), '01')
      assert.is(value(pkcs11js.CKA_ALWAYS_SENSITIVE), '01')
      assert.is(attrs.find((a) => a.type === pkcs11js.CKA_KEY_TYPE)!.value.readUInt32LE(), pkcs11js.CKK_AES)
      assert.throws(() => p11.C_GetAttributeValue(session, kek, [{ type: pkcs11js.CKA_VALUE }]), /CKR_ATTRIBUTE_SENSITIVE/)
    })
  })

  test('wrong PIN → WrongPinError, no record changes, the right PIN still works', async () => {
    const h = await harness()
    const handle = await withStarted(h.open(), async (s) => (await s.import('generic', SAMPLE_SECRETS.generic)).handle)
    const before = await digestDir(h.dir)
    process.env.MILAGRO_TEST_WRONG_PIN = token.pin + '0'
    const store = pkcs11KeyStore({ ...h.config, pin: { env: 'MILAGRO_TEST_WRONG_PIN' } }, { logger: captureLogger([]) })
    await rejects(store.start(), { name: 'WrongPinError' })
    await rejects(store.use(handle, () => 1), { name: 'KeyStoreNotStartedError' })
    assert.equal(await digestDir(h.dir), before)
    await withStarted(h.open(), async (s) => {
      assert.is(toHex(await s.use(handle, (x) => x.slice())), toHex(SAMPLE_SECRETS.generic))
    })
  })

  test('missing or unloadable module → ModuleNotFoundError; missing token → TokenNotFoundError; no fallback', async () => {
    const h = await harness()
    const handle = await withStarted(h.open(), async (s) => (await s.generate('secp256k1')).handle)
    const before = await digestDir(h.dir)
    const notALibrary = join(h.root, 'not-a-module.so')
    await writeFile(notALibrary, 'not an ELF file')
    for (const module of [join(h.root, 'absent.so'), notALibrary, h.root]) {
      const store = pkcs11KeyStore({ ...h.config, module }, { logger: captureLogger([]) })
      await rejects(store.start(), { name: 'ModuleNotFoundError' }, module)
      await rejects(store.use(handle, () => 1), { name: 'KeyStoreNotStartedError' })
      assert.is(store.backend, 'pkcs11')
    }
    await rejects(pkcs11KeyStore({ ...h.config, tokenLabel: 'no-such-token' }, { logger: captureLogger([]) }).start(), { name: 'TokenNotFoundError' })
    assert.equal(await digestDir(h.dir), before)
    // the module was released after each failure: a good start still works
    await withStarted(h.open(), async (s) => { assert.equal(await s.list(), [handle]) })
  })

  test('PIN from a 0600 file works; a 0644 PIN file is refused (InsecureFileError)', async () => {
    const h = await harness()
    const file = join(h.root, 'pin')
    await writeFile(file, token.pin + '\n', { mode: 0o600 })
    await withStarted(pkcs11KeyStore({ ...h.config, pin: { file } }, { logger: captureLogger([]) }), async (s) => { await s.generate('generic') })
    const before = await digestDir(h.dir)
    const loose = join(h.root, 'pin-0644')
    await writeFile(loose, token.pin, { mode: 0o644 })
    await rejects(pkcs11KeyStore({ ...h.config, pin: { file: loose } }, { logger: captureLogger([]) }).start(), { name: 'InsecureFileError' })
    await rejects(pkcs11KeyStore({ ...h.config, pin: { env: 'MILAGRO_TEST_UNSET_PIN' } }, { logger: captureLogger([]) }).start(), { name: 'PinSourceError' })
    assert.equal(await digestDir(h.dir), before)
  })

  test('a lost session is reopened and the operation retried once', async () => {
    const h = await harness()
    await withStarted(h.open(), async (s) => {
      const a = await s.import('secp256k1', SAMPLE_SECRETS.secp256k1)
      closeAllSessions(token.label)
      assert.is(toHex(await s.use(a.handle, (x) => x.slice())), toHex(SAMPLE_SECRETS.secp256k1))
      const lost = h.logs.map((l) => JSON.parse(l) as { msg: string, code?: string }).filter((l) => /session lost/.test(l.msg))
      assert.is(lost.length, 1)
      assert.is(lost[0]!.code, 'CKR_SESSION_HANDLE_INVALID')
      closeAllSessions(token.label)
      const b = await s.generate('generic')
      assert.is((await s.use(b.handle, (x) => x.slice())).length, 32)
    })
  })

  test('records but no KEK under the label → KekNotFoundError, and no new key is created', async () => {
    const h = await harness()
    await withStarted(h.open(), async (s) => { await s.generate('secp256k1') })
    const before = await digestDir(h.dir)
    await rejects(pkcs11KeyStore({ ...h.config, kekLabel: 'milagro-kek-other' }, { logger: captureLogger([]) }).start(), { name: 'KekNotFoundError' })
    withToken(token.label, (p11, session) => { assert.is(findKeys(p11, session, 'milagro-kek-other').length, 0) })
    assert.equal(await digestDir(h.dir), before)
  })

  test('no records but existingKek (blobs sealed elsewhere) and no KEK under the label → KekNotFoundError, no new key', async () => {
    const h = await harness()
    await rejects(pkcs11KeyStore({ ...h.config, kekLabel: 'milagro-kek-blobs' }, { logger: captureLogger([]) }).start({ existingKek: true }), { name: 'KekNotFoundError' })
    withToken(token.label, (p11, session) => { assert.is(findKeys(p11, session, 'milagro-kek-blobs').length, 0) })
  })

  test('an extractable key under the KEK label is refused (KekPolicyError)', async () => {
    withToken(token.label, (p11, session) => {
      p11.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }, { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 }, { type: pkcs11js.CKA_TOKEN, value: true }, { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: false }, { type: pkcs11js.CKA_EXTRACTABLE, value: true },
        { type: pkcs11js.CKA_ENCRYPT, value: true }, { type: pkcs11js.CKA_DECRYPT, value: true }, { type: pkcs11js.CKA_LABEL, value: 'weak-kek' }
      ])
    })
    const h = await harness({ kekLabel: 'weak-kek' })
    await rejects(h.open().start(), { name: 'KekPolicyError' })
  })

  test('two stores on two tokens share the module; stopping one leaves the other working', async () => {
    const second = await hsm.initToken()
    process.env.MILAGRO_TEST_PIN_2 = second.pin
    const a = await harness()
    const b = await harness({ tokenLabel: second.label, pin: { env: 'MILAGRO_TEST_PIN_2' } })
    const sa = a.open()
    const sb = b.open()
    await sa.start()
    await sb.start()
    try {
      const x = await sa.import('generic', SAMPLE_SECRETS.generic)
      const y = await sb.import('bn254-scalar', SAMPLE_SECRETS['bn254-scalar'])
      await sa.stop()
      assert.is(toHex(await sb.use(y.handle, (s) => s.slice())), toHex(SAMPLE_SECRETS['bn254-scalar']))
      await sa.start()
      assert.is(toHex(await sa.use(x.handle, (s) => s.slice())), toHex(SAMPLE_SECRETS.generic))
      // each token has its own KEK: a record moved between the stores does not open
      await putRecordBytes(sb, x.handle, await recordBytes(sa, x.handle))
      await rejects(sb.use(x.handle, () => 1), { name: 'TamperedRecordError' })
    } finally {
      await sa.stop()
      await sb.stop()
    }
  })

  test.after(async () => {
    for (const root of roots) await rm(root, { recursive: true, force: true })
    await hsm.remove()
  })

  test.run()
}
