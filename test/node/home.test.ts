import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { homePaths, initHome, loadHome } from '../../node/home.ts'
import { parseConfig } from '../../node/config.ts'
import { encodings, filesUnder } from '../crypto/keystore/suite.ts'

const dirs: string[] = []
async function tempHome (): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'milagro-home-'))
  dirs.push(d)
  return join(d, 'node')
}

test.after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })

test('init creates a private home; load gives back the same identity and keys', async () => {
  const dir = await tempHome()
  const created = await initHome(dir, { name: 'alpha', roles: ['fiduciary'] })
  const loaded = await loadHome(dir)
  assert.ok(loaded.keys.identity.cid.equals(created.keys.identity.cid))
  assert.equal(loaded.config.roles, ['fiduciary'])
  assert.is(loaded.config.name, 'alpha')
  assert.is(loaded.keys.libp2pKey.publicKey.toString(), created.keys.libp2pKey.publicKey.toString())
  const p = homePaths(dir)
  const { stat } = await import('node:fs/promises')
  assert.is((await stat(p.keysPath)).mode & 0o777, 0o600)
  assert.is((await stat(p.dir)).mode & 0o777, 0o700)
  // No secret appears in any file of the home, in any encoding: the key file is sealed.
  const k = created.keys
  const secrets = [k.signingSecretKey, k.encryptionSecretKey, k.custodySecretKey, k.libp2pKey.raw]
  const files = await filesUnder(p.dir)
  assert.ok(files.includes(p.keysPath) && files.includes(p.identityPath) && files.includes(p.configPath))
  for (const f of files) {
    const content = (await readFile(f)).toString('latin1')
    for (const s of secrets) for (const enc of encodings(s)) assert.not.ok(content.includes(enc), `a node secret is in ${f}`)
  }
  assert.equal((await readdir(p.dir)).sort(), ['api-token', 'config.json', 'identity.cbor', 'keys', 'keystore'])
  assert.equal(await readdir(join(p.dir, 'keys')), ['node.sealed'])
})

test('init refuses an existing node unless forced, and the old node is untouched', async () => {
  const dir = await tempHome()
  const first = await initHome(dir, { name: 'alpha' })
  await rejects(initHome(dir, { name: 'beta' }), { name: 'HomeExistsError' })
  const still = await loadHome(dir)
  assert.ok(still.keys.identity.cid.equals(first.keys.identity.cid))
  const second = await initHome(dir, { name: 'beta', force: true })
  assert.not.ok(second.keys.identity.cid.equals(first.keys.identity.cid))
})

test('load refuses a key file readable by others, a missing home, and mismatched identity', async () => {
  const dir = await tempHome()
  await rejects(loadHome(dir), { name: 'HomeError' })
  await initHome(dir, { name: 'alpha' })
  const p = homePaths(dir)
  await chmod(p.keysPath, 0o644)
  await rejects(loadHome(dir), (e: Error) => e.name === 'HomeError' && e.message.includes('chmod 600'))
  await chmod(p.keysPath, 0o600)
  const other = await tempHome()
  await initHome(other, { name: 'other' })
  await writeFile(p.identityPath, await readFile(homePaths(other).identityPath))
  await rejects(loadHome(dir), (e: Error) => e.name === 'NodeKeysError' && e.message.startsWith(p.keysPath) && e.message.includes('another home'))
})

test('config errors name the field and the problem', async () => {
  const bad = (v: unknown, field: string): void => {
    assert.throws(() => parseConfig(v), (e: Error) => e.name === 'ConfigError' && e.message.includes(field), field)
  }
  bad({ version: 1, name: 'x', listen: ['not-an-addr'] }, 'listen[0]')
  bad({ version: 1, name: 'x', roles: ['king'] }, 'roles[0]')
  bad({ version: 2, name: 'x' }, 'version')
  bad({ version: 1, name: '' }, 'name')
  bad({ version: 1, name: 'x', api: { port: 70000 } }, 'api.port')
  bad({ version: 1, name: 'x', surprise: true }, '(root)')
  bad({ version: 1, name: 'x', keystore: { backend: 'pkcs11', module: '/m.so', tokenLabel: 't' } }, 'keystore')
  const ok = parseConfig({ version: 1, name: 'x' })
  assert.equal(ok.roles, ['principal', 'fiduciary', 'beneficiary'])
  assert.is(ok.keystore.backend, 'software')
})

test.run()
