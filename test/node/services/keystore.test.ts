import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseConfig } from '../../../node/config.ts'
import { homePaths, type LoadedHome } from '../../../node/home.ts'
import { keyStoreConfig } from '../../../node/services/keystore.ts'

const home = (keystore: unknown): LoadedHome => ({
  paths: homePaths('/srv/node'),
  config: parseConfig({ version: 1, name: 'ks', keystore }),
  keys: undefined as never
})

test('the key store of a home: software (key file or passphrase env) or PKCS#11 (PIN env or file), records in <home>/keystore', () => {
  assert.equal(keyStoreConfig(home({ backend: 'software' })), { backend: 'software', dir: '/srv/node/keystore' })
  assert.equal(keyStoreConfig(home({ backend: 'software', passphraseEnv: 'KS_PASS' })), { backend: 'software', dir: '/srv/node/keystore', passphrase: { env: 'KS_PASS' } })
  const p11 = { backend: 'pkcs11', module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'milagro' }
  assert.equal(keyStoreConfig(home({ ...p11, pinEnv: 'PIN' })), { ...p11, dir: '/srv/node/keystore', pin: { env: 'PIN' } })
  assert.equal(keyStoreConfig(home({ ...p11, pinFile: '/etc/milagro/pin' })), { ...p11, dir: '/srv/node/keystore', pin: { file: '/etc/milagro/pin' } })
})

test.run()
