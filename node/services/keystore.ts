// The node's key store, built from its configuration: where service secrets (custody shares,
// released shares, combined wallet keys) live, and what seals the node's own keys at rest
// (keys/node.sealed, node/node-keys.ts). `config.keystore` names the backend; the records go
// to `<home>/keystore`. A PKCS#11 configuration that cannot start refuses to start — it never
// falls back to the software backend (crypto/keystore/create-key-store.ts).
import { createKeyStore, type KeyStore, type KeyStoreConfig } from '../../crypto/index.ts'
import type { LoadedHome } from '../home.ts'
import type { Logger } from '../logger.ts'

/** The KeyStoreConfig of a node home (the software KEK file, when used, sits in the key store directory). */
export function keyStoreConfig (home: Pick<LoadedHome, 'paths' | 'config'>): KeyStoreConfig {
  const k = home.config.keystore
  const dir = home.paths.keystoreDir
  if (k.backend === 'software') {
    return { backend: 'software', dir, ...(k.passphraseEnv === undefined ? {} : { passphrase: { env: k.passphraseEnv } }) }
  }
  return {
    backend: 'pkcs11',
    dir,
    module: k.module,
    tokenLabel: k.tokenLabel,
    pin: k.pinFile !== undefined ? { file: k.pinFile } : { env: k.pinEnv as string }
  }
}

/** A key store for `home` (not started). */
export function keyStoreFor (home: Pick<LoadedHome, 'paths' | 'config'>, logger: Logger): KeyStore {
  return createKeyStore(keyStoreConfig(home), { logger })
}
