import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { concatBytes, randomBytes, type KeyStore } from '../../../crypto/index.ts'
import { initHome, loadHome, type LoadedHome } from '../../../node/home.ts'
import { silentLogger } from '../../../node/logger.ts'
import { keyStoreFor } from '../../../node/services/keystore.ts'
import { encodePlainKeyFile } from '../../../node/node-keys.ts'
import {
  backupLabel, collectBundle, decodeBundle, encodeBundle, MAX_PARTS, parseBackupLabel, partsOf, writeHome
} from '../../../node/services/backup-bundle.ts'
import { MAX_SECRET_BYTES } from '../../../protocol/safeguard/sharing.ts'

async function tempDir (): Promise<string> {
  return await mkdtemp(join(tmpdir(), 'milagro-bundle-'))
}

test('labels: made and parsed back; anything else is not a backup part', () => {
  const l = { backup: '0123456789abcdef0123456789abcdef', part: 2, parts: 3 }
  assert.is(backupLabel(l), 'milagro-backup/v1 0123456789abcdef0123456789abcdef 2/3')
  assert.equal(parseBackupLabel(backupLabel(l)), l)
  for (const bad of ['', 'milagro-backup/v1 0123 1/1', 'milagro-backup/v1 0123456789abcdef0123456789abcdef 4/3', 'milagro-backup/v1 0123456789abcdef0123456789abcdef 0/3',
    'milagro-backup/v2 0123456789abcdef0123456789abcdef 1/1', `milagro-backup/v1 0123456789abcdef0123456789abcdef 1/${MAX_PARTS + 1}`]) {
    assert.is(parseBackupLabel(bad), undefined, bad)
  }
})

test('parts: at most one safeguarded secret each, joined back to the same bytes; too many parts refused', () => {
  const bytes = randomBytes(2 * MAX_SECRET_BYTES + 5)
  const parts = partsOf(bytes)
  assert.equal(parts.map((p) => p.length), [MAX_SECRET_BYTES, MAX_SECRET_BYTES, 5])
  assert.equal(concatBytes(...parts), bytes)
  assert.is(partsOf(new Uint8Array(1)).length, 1)
  assert.throws(() => partsOf(new Uint8Array(MAX_PARTS * MAX_SECRET_BYTES + 1)), (e: Error) => e.name === 'BackupError')
})

/** Runs `fn` with `home`'s key store started. */
async function withKeyStore<T> (home: LoadedHome, fn: (keystore: KeyStore) => Promise<T>): Promise<T> {
  const keystore = keyStoreFor(home, silentLogger())
  await keystore.start({ existingKek: true })
  try {
    return await fn(keystore)
  } finally {
    await keystore.stop()
  }
}

test('a home\'s bundle holds its keys, identity, config, key store files and records; written back it loads as the same node', async () => {
  const dir = await tempDir()
  try {
    const home = await initHome(join(dir, 'a'), { name: 'bundled', listen: ['/ip4/127.0.0.1/tcp/0'] })
    await mkdir(home.paths.keystoreDir, { recursive: true, mode: 0o700 })
    // A record file of an earlier release (the key store moves it into its records when it starts), and a temp file.
    const legacy = new TextEncoder().encode('{"v":1}')
    await writeFile(join(home.paths.keystoreDir, 'generic.AAAAAAAAAAAAAAAAAAAAAA.json'), legacy, { mode: 0o600 })
    await writeFile(join(home.paths.keystoreDir, '.generic.x.tmp'), 'partial', { mode: 0o600 })
    const bundle = await withKeyStore(home, async (keystore) => {
      await keystore.import('generic', Uint8Array.of(1, 2, 3))
      return await collectBundle(home, keystore, 1_700_000_000_000)
    })
    const records = await withKeyStore(home, async (keystore) => await keystore.exportRecords())
    assert.is(records.length, 2)
    // The node keys travel in clear inside the bundle (sealed at rest in the home), with the key store's KEK files and records.
    const recordFiles = records.map((r) => `keystore/${r.handle.split(':')[1] as string}.${r.handle.split(':')[2] as string}.json`)
    assert.equal(Object.keys(bundle.files).sort(), ['config.json', 'identity.cbor', 'keys/node.json', ...recordFiles, 'keystore/kek.json', 'keystore/kek.key'].sort())
    for (const [i, r] of records.entries()) assert.equal(bundle.files[recordFiles[i] as string], r.bytes)
    assert.equal(bundle.files['keystore/generic.AAAAAAAAAAAAAAAAAAAAAA.json'], legacy)
    assert.equal(bundle.files['keys/node.json'], encodePlainKeyFile(home.keys))
    const back = decodeBundle(encodeBundle(bundle))
    assert.ok(back.identity.equals(home.keys.identity.cid))
    assert.equal({ name: back.name, created: back.created, keystore: back.keystore }, { name: 'bundled', created: 1_700_000_000_000, keystore: 'software' })
    const target = join(dir, 'b')
    await writeHome(back, target, { listen: ['/ip4/127.0.0.1/tcp/4999'] })
    const restored = await loadHome(target)
    assert.ok(restored.keys.identity.cid.equals(home.keys.identity.cid))
    assert.equal(restored.config.listen, ['/ip4/127.0.0.1/tcp/4999'])
    assert.is((await stat(restored.paths.keysPath)).mode & 0o777, 0o600)
    assert.equal(await readdir(join(target, 'keys')), ['node.sealed'], 'restored sealed, never in clear')
    assert.equal(restored.keys.signingSecretKey, home.keys.signingSecretKey)
    // The restored key store holds the same records (the bundle's record files were moved into them) and opens them.
    const restoredRecords = await withKeyStore(restored, async (keystore) => {
      const out = await keystore.exportRecords()
      const imported = records.find((r) => r.handle !== 'ks1:generic:AAAAAAAAAAAAAAAAAAAAAA')?.handle as string
      assert.equal(await keystore.use(imported, (s) => s.slice()), Uint8Array.of(1, 2, 3))
      return out
    })
    assert.equal(restoredRecords, records)
    assert.equal((await readdir(restored.paths.keystoreDir)).filter((n) => n.endsWith('.json') && n !== 'kek.json'), [], 'record files moved into the records')
    assert.is((await stat(restored.paths.dir)).mode & 0o777, 0o700)
    assert.not.equal(await readFile(restored.paths.apiTokenPath, 'utf8'), await readFile(home.paths.apiTokenPath, 'utf8'), 'a fresh API token')
    await rejects(writeHome(back, target), { name: 'BackupError' })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('writeHome seals the keys under the restored home\'s key store; when it cannot open, no node is left and the restore can be retried', async () => {
  const dir = await tempDir()
  const env = 'MILAGRO_TEST_BUNDLE_PASSPHRASE'
  try {
    process.env[env] = 'right'
    const home = await initHome(join(dir, 'a'), { name: 'locked', listen: ['/ip4/127.0.0.1/tcp/0'], keystore: { backend: 'software', passphraseEnv: env } })
    const bundle = decodeBundle(encodeBundle(await withKeyStore(home, async (keystore) => await collectBundle(home, keystore))))
    const target = join(dir, 'b')
    process.env[env] = 'wrong'
    await rejects(writeHome(bundle, target), (e: Error) => e.name === 'NodeKeysLockedError' && (e.cause as Error).name === 'WrongPassphraseError')
    assert.equal(await readdir(join(target, 'keys')), [], 'no key file, in clear or sealed')
    await rejects(stat(join(target, 'config.json')), { code: 'ENOENT' })
    process.env[env] = 'right'
    await writeHome(bundle, target)
    const restored = await loadHome(target)
    assert.equal(restored.keys.custodySecretKey, home.keys.custodySecretKey)
    assert.equal(await readdir(join(target, 'keys')), ['node.sealed'])
  } finally {
    delete process.env[env]
    await rm(dir, { recursive: true, force: true })
  }
})

test('decodeBundle refuses what is not a node backup', () => {
  const identity = CID.parse('bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy')
  const files = { 'config.json': new Uint8Array(1), 'identity.cbor': new Uint8Array(1), 'keys/node.json': new Uint8Array(1) }
  const ok = { v: 1, identity, name: 'x', created: 1, keystore: 'software', files }
  decodeBundle(dagCbor.encode(ok))
  const bad: unknown[] = [
    { ...ok, v: 2 },
    { ...ok, identity: null },
    { ...ok, keystore: 'usb-stick' },
    { ...ok, files: { ...files, '../../etc/passwd': new Uint8Array(1) } },
    { ...ok, files: { ...files, 'keystore/.hidden': new Uint8Array(1) } },
    { ...ok, files: { ...files, 'config.json': 'text' } },
    { ...ok, files: { 'config.json': new Uint8Array(1), 'identity.cbor': new Uint8Array(1) } }
  ]
  for (const b of bad) assert.throws(() => decodeBundle(dagCbor.encode(b)), (e: Error) => e.name === 'BackupError', JSON.stringify(Object.keys(b as object)))
  assert.throws(() => decodeBundle(new Uint8Array([0xff])), (e: Error) => e.name === 'BackupError')
})

test.run()
