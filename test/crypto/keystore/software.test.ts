// The software key store: the conformance suite in both KEK modes (random key file, scrypt
// passphrase), then what is specific to it — the loud warning, wrong passphrase, mode mismatch,
// insecure or missing key material, file modes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { softwareKeyStore, type SoftwareKeyStoreConfig } from '../../../crypto/keystore/software.ts'
import type { KeyStore } from '../../../crypto/keystore/types.ts'
import { captureLogger, filesUnder, keyStoreSuite, SAMPLE_SECRETS, type KeyStoreHarness } from './suite.ts'

const PASS_ENV = 'MILAGRO_TEST_KEYSTORE_PASSPHRASE'
process.env[PASS_ENV] = 'correct horse battery staple'
const FAST_SCRYPT = { N: 2 ** 14, r: 8, p: 1 }

async function harness (extra: Partial<SoftwareKeyStoreConfig> = {}): Promise<KeyStoreHarness & { root: string, config: SoftwareKeyStoreConfig }> {
  const root = await mkdtemp(join(tmpdir(), 'milagro-ks-sw-'))
  const dir = join(root, 'keystore')
  const logs: string[] = []
  const config: SoftwareKeyStoreConfig = { backend: 'software', dir, ...extra }
  return {
    root,
    config,
    dir,
    logs,
    open: () => softwareKeyStore(config, { logger: captureLogger(logs) }),
    cleanup: async () => { await rm(root, { recursive: true, force: true }) }
  }
}

keyStoreSuite('software, random KEK in a key file', async () => await harness())
keyStoreSuite('software, scrypt passphrase KEK', async () => await harness({ passphrase: { env: PASS_ENV }, scrypt: FAST_SCRYPT }))

async function digestDir (dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const file of await filesUnder(dir)) out[relative(dir, file)] = createHash('sha256').update(await readFile(file)).digest('hex')
  return out
}

async function withStarted<T> (store: KeyStore, fn: (s: KeyStore) => Promise<T>): Promise<T> {
  await store.start()
  try { return await fn(store) } finally { await store.stop() }
}

test('start warns loudly that no HSM protects the node', async () => {
  const h = await harness()
  try {
    await withStarted(h.open(), async () => {})
    const warn = h.logs.map((l) => JSON.parse(l) as { level: string, msg: string, backend: string, kek: string }).find((l) => l.level === 'warn')
    assert.ok(warn !== undefined, 'no warning logged')
    assert.match(warn.msg, /^NO HSM PROTECTS THIS NODE/)
    assert.is(warn.backend, 'software')
    assert.is(warn.kek, 'key-file')
  } finally { await h.cleanup() }
})

test('wrong passphrase → WrongPassphraseError; nothing on disk changes; the right one still opens', async () => {
  const h = await harness({ passphrase: { env: PASS_ENV }, scrypt: FAST_SCRYPT })
  try {
    const handle = await withStarted(h.open(), async (s) => (await s.import('generic', SAMPLE_SECRETS.generic)).handle)
    const before = await digestDir(h.dir)
    process.env.MILAGRO_TEST_WRONG = 'correct horse battery stapler'
    const wrong = softwareKeyStore({ ...h.config, passphrase: { env: 'MILAGRO_TEST_WRONG' } }, { logger: captureLogger([]) })
    await rejects(wrong.start(), { name: 'WrongPassphraseError' })
    await rejects(wrong.use(handle, () => 1), { name: 'KeyStoreNotStartedError' })
    assert.equal(await digestDir(h.dir), before)
    await withStarted(h.open(), async (s) => {
      assert.is(Buffer.from(await s.use(handle, (x) => x.slice())).toString(), Buffer.from(SAMPLE_SECRETS.generic).toString())
    })
    const kek = JSON.parse(await readFile(join(h.dir, 'kek.json'), 'utf8')) as Record<string, unknown>
    assert.equal([kek.mode, kek.kdf, kek.N, kek.r, kek.p], ['passphrase', 'scrypt', 2 ** 14, 8, 1])
  } finally { await h.cleanup() }
})

test('a passphrase store refuses key-file mode and vice versa (KeyStoreConfigError)', async () => {
  const a = await harness({ passphrase: { env: PASS_ENV }, scrypt: FAST_SCRYPT })
  const b = await harness()
  try {
    await withStarted(a.open(), async (s) => { await s.generate('generic') })
    await withStarted(b.open(), async (s) => { await s.generate('generic') })
    const beforeA = await digestDir(a.dir)
    await rejects(softwareKeyStore({ backend: 'software', dir: a.dir }, { logger: captureLogger([]) }).start(), { name: 'KeyStoreConfigError' })
    assert.equal(await digestDir(a.dir), beforeA)
    const beforeB = await digestDir(b.dir)
    await rejects(softwareKeyStore({ ...b.config, passphrase: { env: PASS_ENV } }, { logger: captureLogger([]) }).start(), { name: 'KeyStoreConfigError' })
    assert.equal(await digestDir(b.dir), beforeB)
  } finally { await a.cleanup(); await b.cleanup() }
})

test('key material: weak scrypt, insecure key file, missing KEK and a foreign key file are refused', async () => {
  const weak = await harness({ passphrase: { env: PASS_ENV }, scrypt: { N: 2 ** 10, r: 8, p: 1 } })
  const h = await harness()
  const other = await harness()
  try {
    await rejects(weak.open().start(), { name: 'KeyStoreConfigError' })
    assert.equal(await readdir(weak.dir), [], 'weak params wrote something')

    await withStarted(h.open(), async (s) => { await s.generate('secp256k1') })
    await withStarted(other.open(), async () => {})
    const keyFile = join(h.dir, 'kek.key')
    assert.is((await readFile(keyFile)).length, 32)
    const before = await digestDir(h.dir)

    await chmod(keyFile, 0o644)
    await rejects(h.open().start(), { name: 'InsecureFileError' })
    await chmod(keyFile, 0o600)

    await rejects(softwareKeyStore({ ...h.config, keyFile: join(other.dir, 'kek.key') }, { logger: captureLogger([]) }).start(), { name: 'KeyStoreConfigError' })
    await rejects(softwareKeyStore({ ...h.config, keyFile: join(h.root, 'absent.key') }, { logger: captureLogger([]) }).start(), { name: 'KekNotFoundError' })
    assert.equal(await digestDir(h.dir), before)

    // Blobs sealed elsewhere (existingKek) forbid a new KEK as records do, even in an empty directory.
    const blank = await harness()
    try {
      await rejects(blank.open().start({ existingKek: true }), { name: 'KekNotFoundError' })
      assert.equal(await readdir(blank.dir), [], 'existingKek wrote something')
    } finally { await blank.cleanup() }

    // kek.json gone while records exist: refuse instead of sealing new records under a new KEK
    const kekJson = await readFile(join(h.dir, 'kek.json'))
    await unlink(join(h.dir, 'kek.json'))
    await rejects(h.open().start(), { name: 'KekNotFoundError' })
    await writeFile(join(h.dir, 'kek.json'), kekJson, { mode: 0o600 })
    await withStarted(h.open(), async (s) => { assert.is((await s.list()).length, 1) })
  } finally { await weak.cleanup(); await h.cleanup(); await other.cleanup() }
})

test('modes: directories 0700, the KEK file 0600; a group-readable directory is refused', async () => {
  const h = await harness({ passphrase: { env: PASS_ENV }, scrypt: FAST_SCRYPT })
  const loose = await harness()
  try {
    await withStarted(h.open(), async (s) => { await s.generate('bn254-scalar'); await s.generate('generic') })
    assert.is((await stat(h.dir)).mode & 0o777, 0o700)
    const names = (await readdir(h.dir)).sort()
    assert.equal(names, ['kek.json', 'records'])
    assert.is((await stat(join(h.dir, 'kek.json'))).mode & 0o777, 0o600)
    // The records' database: a private directory (its files have LevelDB's modes and hold sealed records only).
    assert.is((await stat(join(h.dir, 'records'))).mode & 0o777, 0o700)

    await mkdir(loose.dir, { mode: 0o755 })
    await chmod(loose.dir, 0o755)
    await rejects(loose.open().start(), { name: 'InsecureFileError' })
    assert.equal(await readdir(loose.dir), [])
  } finally { await h.cleanup(); await loose.cleanup() }
})

test('the passphrase may come from a 0600 file; a 0644 one is refused', async () => {
  const root = await mkdtemp(join(tmpdir(), 'milagro-ks-pass-'))
  try {
    const file = join(root, 'passphrase')
    await writeFile(file, 'a passphrase from a file\n', { mode: 0o600 })
    const config: SoftwareKeyStoreConfig = { backend: 'software', dir: join(root, 'ks'), passphrase: { file }, scrypt: FAST_SCRYPT }
    const handle = await withStarted(softwareKeyStore(config, { logger: captureLogger([]) }), async (s) => (await s.generate('generic')).handle)
    await chmod(file, 0o644)
    await rejects(softwareKeyStore(config, { logger: captureLogger([]) }).start(), { name: 'InsecureFileError' })
    await chmod(file, 0o600)
    await withStarted(softwareKeyStore(config, { logger: captureLogger([]) }), async (s) => {
      assert.is((await s.publicPart(handle)).length, 32)
    })
  } finally { await rm(root, { recursive: true, force: true }) }
})

test.run()
