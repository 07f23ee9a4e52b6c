// createKeyStore picks the backend from config and never falls back from PKCS#11 to software.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKeyStore, type KeyStoreConfig } from '../../../crypto/keystore/create-key-store.ts'
import { captureLogger } from './suite.ts'

test('software config → a software store that works', async () => {
  const root = await mkdtemp(join(tmpdir(), 'milagro-create-'))
  try {
    const logs: string[] = []
    const store = createKeyStore({ backend: 'software', dir: join(root, 'ks') }, { logger: captureLogger(logs) })
    assert.is(store.backend, 'software')
    await store.start()
    const s = await store.generate('secp256k1')
    assert.is(s.publicPart.length, 33)
    await store.stop()
    assert.ok(logs.some((l) => l.includes('NO HSM PROTECTS THIS NODE')))
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})

test('pkcs11 config with a missing module → ModuleNotFoundError at start; no software fallback, no records', async () => {
  const root = await mkdtemp(join(tmpdir(), 'milagro-create-'))
  try {
    const logs: string[] = []
    process.env.MILAGRO_TEST_CREATE_PIN = '1234'
    const store = createKeyStore({
      backend: 'pkcs11', dir: join(root, 'ks'), module: join(root, 'no-such-module.so'), tokenLabel: 'x', pin: { env: 'MILAGRO_TEST_CREATE_PIN' }
    }, { logger: captureLogger(logs) })
    assert.is(store.backend, 'pkcs11')
    await rejects(store.start(), { name: 'ModuleNotFoundError' })
    await rejects(store.generate('generic'), { name: 'KeyStoreNotStartedError' })
    assert.equal(await readdir(join(root, 'ks')), [])
    assert.not.ok(logs.some((l) => l.includes('NO HSM')), 'the software backend started')
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})

test('an unknown backend or an incomplete pkcs11 config → KeyStoreConfigError', () => {
  const logger = captureLogger([])
  assert.throws(() => createKeyStore({ backend: 'tpm', dir: '/x' } as unknown as KeyStoreConfig, { logger }), (e: Error) => e.name === 'KeyStoreConfigError')
  assert.throws(() => createKeyStore({ backend: 'pkcs11', dir: '/x', module: '', tokenLabel: 't', pin: { env: 'P' } }, { logger }), (e: Error) => e.name === 'KeyStoreConfigError')
  assert.throws(() => createKeyStore({ backend: 'pkcs11', dir: '/x', module: '/m.so', tokenLabel: '', pin: { env: 'P' } }, { logger }), (e: Error) => e.name === 'KeyStoreConfigError')
})

test.run()
