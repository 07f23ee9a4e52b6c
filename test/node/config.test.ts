import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { applyEnvOverrides, ENV_OVERRIDES, readConfig } from '../../node/config.ts'

let dir = ''
test.before(async () => { dir = await mkdtemp(join(tmpdir(), 'milagro-config-')) })
test.after(async () => { await rm(dir, { recursive: true, force: true }) })

const base = { version: 1, name: 'file-name', listen: ['/ip4/127.0.0.1/tcp/4101'] }

test('environment variables override the file, by type', async () => {
  const path = join(dir, 'config.json')
  await writeFile(path, JSON.stringify(base))
  const c = await readConfig(path, {
    MILAGRO_NAME: 'env-name',
    MILAGRO_ROLES: 'fiduciary, beneficiary',
    MILAGRO_LISTEN: '/ip4/127.0.0.1/tcp/5000,/ip4/127.0.0.1/tcp/5001',
    MILAGRO_API_PORT: '8080',
    MILAGRO_LOG_LEVEL: 'debug',
    MILAGRO_STORAGE_CHECKPOINT_EVERY: '50'
  })
  assert.is(c.name, 'env-name')
  assert.equal(c.roles, ['fiduciary', 'beneficiary'])
  assert.equal(c.listen, ['/ip4/127.0.0.1/tcp/5000', '/ip4/127.0.0.1/tcp/5001'])
  assert.is(c.api.port, 8080)
  assert.is(c.api.host, '127.0.0.1')
  assert.is(c.log.level, 'debug')
  assert.is(c.storage.checkpointEvery, 50)
  const custody = await readConfig(path, { MILAGRO_CUSTODY_NETWORK: 'testnet', MILAGRO_CUSTODY_DEFAULT_FIDUCIARY: 'bafyreiedt5nykb3st6a662thbtmriynzlmr5xsi75qhtzzrv3tr3m2idii' })
  assert.equal(custody.custody, { network: 'testnet', defaultFiduciary: 'bafyreiedt5nykb3st6a662thbtmriynzlmr5xsi75qhtzzrv3tr3m2idii' })
  await rejects(readConfig(path, { MILAGRO_CUSTODY_DEFAULT_FIDUCIARY: 'not-a-cid' }), (e: Error) => e.name === 'ConfigError' && e.message.includes('custody.defaultFiduciary'))
  const mpin = await readConfig(path, { MILAGRO_MPIN_AUTH_SERVERS: 'bafyreiedt5nykb3st6a662thbtmriynzlmr5xsi75qhtzzrv3tr3m2idii', MILAGRO_MPIN_TIME_PERMITS: 'required' })
  assert.equal(mpin.mpin.authServers, ['bafyreiedt5nykb3st6a662thbtmriynzlmr5xsi75qhtzzrv3tr3m2idii'])
  assert.is(mpin.mpin.timePermits, 'required')
  assert.equal(mpin.mpin.permitWindow, { before: 1, after: 1 })
  await rejects(readConfig(path, { MILAGRO_MPIN_PRINCIPALS: 'x' }), (e: Error) => e.name === 'ConfigError' && e.message.includes('mpin.principals[0]'))
  const plain = await readConfig(path, {})
  assert.is(plain.name, 'file-name')
})

test('a bad override names the variable and the field', async () => {
  const path = join(dir, 'config2.json')
  await writeFile(path, JSON.stringify(base))
  await rejects(readConfig(path, { MILAGRO_API_PORT: 'eighty' }), (e: Error) => e.name === 'ConfigError' && e.message.includes('MILAGRO_API_PORT'))
  await rejects(readConfig(path, { MILAGRO_ROLES: 'king' }), (e: Error) => e.name === 'ConfigError' && e.message.includes('roles[0]') && e.message.includes('MILAGRO_ROLES'))
  await rejects(readConfig(path, { MILAGRO_KEYSTORE_BACKEND: 'pkcs11' }), (e: Error) => e.name === 'ConfigError' && e.message.includes('keystore'))
})

test('overrides switch the key store to PKCS#11 when every field is given', async () => {
  const c = applyEnvOverrides(base, {
    MILAGRO_KEYSTORE_BACKEND: 'pkcs11', MILAGRO_KEYSTORE_MODULE: '/usr/lib/softhsm/libsofthsm2.so', MILAGRO_KEYSTORE_TOKEN_LABEL: 'milagro', MILAGRO_KEYSTORE_PIN_ENV: 'PIN'
  }) as { keystore: Record<string, string> }
  assert.equal(c.keystore, { backend: 'pkcs11', module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'milagro', pinEnv: 'PIN' })
  assert.equal(base, { version: 1, name: 'file-name', listen: ['/ip4/127.0.0.1/tcp/4101'] }, 'input unchanged')
})

test('every override variable is unique and starts with MILAGRO_', () => {
  const names = ENV_OVERRIDES.map((o) => o.env)
  assert.is(new Set(names).size, names.length)
  for (const n of names) assert.ok(/^MILAGRO_[A-Z0-9_]+$/.test(n))
})

test.run()
