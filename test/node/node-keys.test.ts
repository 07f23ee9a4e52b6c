// The node's own keys at rest (node/node-keys.ts, node/home.ts): sealed by the home's key store
// (software here; PKCS#11 against a throw-away SoftHSM2 token when installed), the legacy
// plaintext file migrated on load, and every failure a typed error naming the file with nothing
// changed on disk.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { link, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { softwareKeyStore } from '../../crypto/keystore/software.ts'
import { homePaths, initHome, loadHome, openHome, type LoadedHome, type NodeKeys } from '../../node/home.ts'
import type { Logger } from '../../node/logger.ts'
import { createNode } from '../../node/node.ts'
import { encodePlainKeyFile, sealNodeKeys, unsealNodeKeys } from '../../node/node-keys.ts'
import { nodeServices } from '../../node/services/compose.ts'
import { silentLogger } from '../../node/logger.ts'
import { encodings, filesUnder } from '../crypto/keystore/suite.ts'
import { createSoftHsm, hasSoftHsm } from '../fixtures/softhsm.ts'
import { FAST } from './node-harness.ts'

const PASSPHRASE_ENV = 'MILAGRO_TEST_NODE_KEYS_PASSPHRASE'
const PIN_ENV = 'MILAGRO_TEST_NODE_KEYS_PIN'
const LISTEN = ['/ip4/127.0.0.1/tcp/0']

const roots: string[] = []
async function tempHome (): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'milagro-node-keys-'))
  roots.push(d)
  return join(d, 'home')
}
test.after(async () => { for (const d of roots) await rm(d, { recursive: true, force: true }) })

/** Every file under `dir` with the SHA-256 of its content. */
async function snapshot (dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const f of await filesUnder(dir)) out[f] = createHash('sha256').update(await readFile(f)).digest('hex')
  return out
}

function secretsOf (keys: NodeKeys): Uint8Array[] {
  return [keys.signingSecretKey, keys.encryptionSecretKey, keys.custodySecretKey, keys.libp2pKey.raw]
}

function sameKeys (a: NodeKeys, b: NodeKeys): void {
  assert.ok(a.identity.cid.equals(b.identity.cid))
  assert.equal(secretsOf(a).map((s) => Buffer.from(s).toString('hex')), secretsOf(b).map((s) => Buffer.from(s).toString('hex')))
}

/** A logger keeping its lines. */
function capture (): { logger: Logger, lines: string[] } {
  const lines: string[] = []
  return { logger: pino({ level: 'trace' }, { write: (l: string) => { lines.push(l) } }) as unknown as Logger, lines }
}

/** Turns a sealed home into one written before sealing: plaintext keys/node.json (v1), no node.sealed. */
async function makeLegacy (home: LoadedHome): Promise<void> {
  await writeFile(home.paths.legacyKeysPath, encodePlainKeyFile(home.keys), { mode: 0o600 })
  await unlink(home.paths.keysPath)
}

/** Asserts that no encoding of a node secret is in any file under `dir`. */
async function assertNoSecretOnDisk (dir: string, keys: NodeKeys): Promise<number> {
  const files = await filesUnder(dir)
  for (const f of files) {
    const content = (await readFile(f)).toString('latin1')
    for (const s of secretsOf(keys)) for (const enc of encodings(s)) assert.not.ok(content.includes(enc), `a node secret is in ${f}`)
  }
  return files.length
}

test('the sealed key file: public header, sealed secrets, loads back to the same keys; openHome needs no key store', async () => {
  const dir = await tempHome()
  const created = await initHome(dir, { name: 'sealed', listen: LISTEN })
  const p = homePaths(dir)
  const file = JSON.parse(await readFile(p.keysPath, 'utf8')) as Record<string, unknown>
  assert.equal(Object.keys(file).sort(), ['alg', 'ct', 'identity', 'iv', 'v'])
  assert.equal({ v: file.v, identity: file.identity, alg: file.alg }, { v: 2, identity: created.keys.identity.cid.toString(), alg: 'aes-256-gcm' })
  assert.is((await stat(p.keysPath)).mode & 0o777, 0o600)
  sameKeys((await loadHome(dir)).keys, created.keys)
  // Read-only: with the key store gone, openHome still shows the identity; unsealing refuses.
  await rm(p.keystoreDir, { recursive: true })
  const opened = await openHome(dir)
  assert.ok(opened.identity.cid.equals(created.keys.identity.cid))
  const before = await snapshot(p.dir)
  await rejects(loadHome(dir), (e: Error) => e.name === 'NodeKeysLockedError' && (e.cause as Error).name === 'KekNotFoundError' && e.message.startsWith(p.keysPath))
  assert.equal(await snapshot(p.dir), before, 'no new KEK was created')
})

test('migration: a legacy plaintext keys/node.json is sealed, overwritten with zeros and removed, with one log line and no secret in it', async () => {
  const dir = await tempHome()
  const created = await initHome(dir, { name: 'legacy', listen: LISTEN })
  await makeLegacy(created)
  const p = homePaths(dir)
  // A second name for the plaintext file's inode, to see that its bytes are overwritten, not only unlinked.
  const witness = join(p.dir, '..', 'witness')
  await link(p.legacyKeysPath, witness)
  const size = (await stat(witness)).size
  const { logger, lines } = capture()
  const loaded = await loadHome(dir, { logger })
  sameKeys(loaded.keys, created.keys)
  await rejects(stat(p.legacyKeysPath), { code: 'ENOENT' })
  assert.equal(await readFile(witness), Buffer.alloc(size), 'the plaintext was overwritten with zeros')
  assert.is((JSON.parse(await readFile(p.keysPath, 'utf8')) as { v: number }).v, 2)
  const migrated = lines.filter((l) => l.includes('node keys migrated'))
  assert.is(migrated.length, 1, lines.join(''))
  for (const s of secretsOf(created.keys)) for (const enc of encodings(s)) assert.not.ok(lines.join('').includes(enc), 'a secret in the log')
  await assertNoSecretOnDisk(p.dir, created.keys)
  // Loading again: sealed already, nothing to migrate.
  const again = capture()
  sameKeys((await loadHome(dir, { logger: again.logger })).keys, created.keys)
  assert.is(again.lines.filter((l) => l.includes('migrated')).length, 0)
})

test('migration interrupted after sealing: the left-over plaintext file is removed on the next load', async () => {
  const dir = await tempHome()
  const created = await initHome(dir, { name: 'half', listen: LISTEN })
  await writeFile(created.paths.legacyKeysPath, encodePlainKeyFile(created.keys), { mode: 0o600 })
  sameKeys((await loadHome(dir)).keys, created.keys)
  await rejects(stat(created.paths.legacyKeysPath), { code: 'ENOENT' })
})

test('a tampered sealed file, one from another home, a malformed one: NodeKeysError naming the file, nothing changed', async () => {
  const dir = await tempHome()
  const created = await initHome(dir, { name: 'a', listen: LISTEN })
  const other = await tempHome()
  await initHome(other, { name: 'b', listen: LISTEN })
  const p = created.paths
  const original = await readFile(p.keysPath, 'utf8')
  const file = JSON.parse(original) as Record<string, string>
  const ct = Buffer.from(file.ct as string, 'base64url')
  ct[5] = (ct[5] as number) ^ 1
  const cases: Array<[string, string, RegExp]> = [
    ['a flipped ciphertext bit', JSON.stringify({ ...file, ct: ct.toString('base64url') }), /does not open/],
    ['another home\'s file', await readFile(homePaths(other).keysPath, 'utf8'), /another home/],
    ['another home\'s file claiming this identity', JSON.stringify({ ...JSON.parse(await readFile(homePaths(other).keysPath, 'utf8')) as object, identity: file.identity }), /does not open/],
    ['another sealer', JSON.stringify({ ...file, alg: 'pkcs11-aes-256-gcm' }), /does not open/],
    ['an extra field', JSON.stringify({ ...file, ed25519: '00' }), /unexpected fields/],
    ['another version', JSON.stringify({ ...file, v: 3 }), /unsupported version/],
    ['not JSON', 'node keys', /not JSON/]
  ]
  for (const [what, content, message] of cases) {
    await writeFile(p.keysPath, content, { mode: 0o600 })
    const before = await snapshot(p.dir)
    await rejects(loadHome(dir), (e: Error) => {
      assert.is(e.name, 'NodeKeysError', what)
      assert.ok(e.message.startsWith(`${p.keysPath}: `), e.message)
      assert.match(e.message, message, what)
      return true
    })
    assert.equal(await snapshot(p.dir), before, `${what}: nothing changed`)
  }
  await writeFile(p.keysPath, original, { mode: 0o600 })
  sameKeys((await loadHome(dir)).keys, created.keys)
})

test('the associated data binds the identity: the same KEK does not open keys sealed for another identity', async () => {
  const dirA = await tempHome()
  const dirB = await tempHome()
  const a = await initHome(dirA, { name: 'a', listen: LISTEN })
  const b = await initHome(dirB, { name: 'b', listen: LISTEN })
  const store = softwareKeyStore({ backend: 'software', dir: join(dirA, '..', 'shared-ks') }, { logger: silentLogger() })
  await store.start()
  try {
    const paths = { keysPath: join(dirA, '..', 'x.sealed'), legacyKeysPath: join(dirA, '..', 'x.json') }
    await sealNodeKeys({ paths, identity: a.keys.identity }, store, a.keys)
    sameKeys(await unsealNodeKeys({ paths, identity: a.keys.identity }, store), a.keys)
    const file = JSON.parse(await readFile(paths.keysPath, 'utf8')) as Record<string, string>
    await writeFile(paths.keysPath, JSON.stringify({ ...file, identity: b.keys.identity.cid.toString() }))
    await rejects(unsealNodeKeys({ paths, identity: b.keys.identity }, store), (e: Error) => e.name === 'NodeKeysError' && (e.cause as Error).name === 'TamperedRecordError')
  } finally {
    await store.stop()
  }
})

test('passphrase key store: a wrong passphrase is NodeKeysLockedError naming the file, for a sealed and for a legacy home, nothing changed', async () => {
  process.env[PASSPHRASE_ENV] = 'the right passphrase'
  try {
    const dir = await tempHome()
    const created = await initHome(dir, { name: 'pass', listen: LISTEN, keystore: { backend: 'software', passphraseEnv: PASSPHRASE_ENV } })
    const p = created.paths
    process.env[PASSPHRASE_ENV] = 'a wrong passphrase'
    let before = await snapshot(p.dir)
    await rejects(loadHome(dir), (e: Error) => e.name === 'NodeKeysLockedError' && (e.cause as Error).name === 'WrongPassphraseError' && e.message.startsWith(p.keysPath))
    assert.equal(await snapshot(p.dir), before)
    await makeLegacy(created)
    before = await snapshot(p.dir)
    await rejects(loadHome(dir), (e: Error) => e.name === 'NodeKeysLockedError' && (e.cause as Error).name === 'WrongPassphraseError' && e.message.startsWith(p.legacyKeysPath))
    assert.equal(await snapshot(p.dir), before, 'the legacy file stays until the key store opens')
    process.env[PASSPHRASE_ENV] = 'the right passphrase'
    sameKeys((await loadHome(dir)).keys, created.keys)
    await rejects(stat(p.legacyKeysPath), { code: 'ENOENT' })
  } finally {
    delete process.env[PASSPHRASE_ENV]
  }
})

if (!hasSoftHsm()) {
  console.log('SKIP: SoftHSM2 is not installed: the PKCS#11 node key cases are skipped')
  test.skip('PKCS#11: init + start, no node secret on disk; wrong PIN, missing token; legacy migration', () => {})
} else {
  test('PKCS#11: init + start, no node secret on disk; wrong PIN, missing token; legacy migration', async () => {
    const hsm = await createSoftHsm()
    try {
      const token = await hsm.initToken()
      process.env[PIN_ENV] = token.pin
      const dir = await tempHome()
      const keystore = { backend: 'pkcs11' as const, module: hsm.module, tokenLabel: token.label, pinEnv: PIN_ENV }
      const created = await initHome(dir, { name: 'hsm', listen: LISTEN, keystore, services: ['custody'] })
      const p = created.paths
      assert.is((JSON.parse(await readFile(p.keysPath, 'utf8')) as { alg: string }).alg, 'pkcs11-aes-256-gcm')
      const home = await loadHome(dir)
      sameKeys(home.keys, created.keys)
      const { options } = nodeServices(home, silentLogger(), { api: false, replication: false })
      const node = createNode(home, { logger: silentLogger(), ...FAST, ...options, pool: { size: 1 } })
      await node.start()
      await node.stop()
      assert.ok(await assertNoSecretOnDisk(p.dir, created.keys) >= 5)

      process.env[PIN_ENV] = 'not-the-pin'
      let before = await snapshot(p.dir)
      await rejects(loadHome(dir), (e: Error) => e.name === 'NodeKeysLockedError' && (e.cause as Error).name === 'WrongPinError' && e.message.startsWith(p.keysPath))
      assert.equal(await snapshot(p.dir), before)
      process.env[PIN_ENV] = token.pin

      const config = JSON.parse(await readFile(p.configPath, 'utf8')) as { keystore: Record<string, unknown> }
      await writeFile(p.configPath, JSON.stringify({ ...config, keystore: { ...config.keystore, tokenLabel: 'no-such-token' } }))
      before = await snapshot(p.dir)
      await rejects(loadHome(dir), (e: Error) => e.name === 'NodeKeysLockedError' && (e.cause as Error).name === 'TokenNotFoundError' && e.message.startsWith(p.keysPath))
      assert.equal(await snapshot(p.dir), before)
      await writeFile(p.configPath, JSON.stringify(config))

      await makeLegacy(created)
      const { logger, lines } = capture()
      sameKeys((await loadHome(dir, { logger })).keys, created.keys)
      assert.is(lines.filter((l) => l.includes('node keys migrated')).length, 1)
      assert.is((JSON.parse(await readFile(p.keysPath, 'utf8')) as { alg: string }).alg, 'pkcs11-aes-256-gcm')
      await assertNoSecretOnDisk(p.dir, created.keys)
    } finally {
      delete process.env[PIN_ENV]
      await hsm.remove()
    }
  })
}

test.run()
