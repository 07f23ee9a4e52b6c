// createKeyStore: the one place that chooses a KeyStore backend from configuration. A PKCS#11
// configuration that cannot start (missing module, token, wrong PIN) makes start() reject with a
// typed error; it never falls back to the software backend.
import { KeyStoreConfigError } from './errors.ts'
import { pkcs11KeyStore, type Pkcs11KeyStoreConfig } from './pkcs11.ts'
import { softwareKeyStore, type SoftwareKeyStoreConfig } from './software.ts'
import type { KeyStore, KeyStoreLogger } from './types.ts'

export type KeyStoreConfig = SoftwareKeyStoreConfig | Pkcs11KeyStoreConfig

export interface KeyStoreComponents {
  readonly logger: KeyStoreLogger
}

/** Builds a KeyStore (not started) for `config.backend`. */
export function createKeyStore (config: KeyStoreConfig, components: KeyStoreComponents): KeyStore {
  switch (config.backend) {
    case 'software': return softwareKeyStore(config, components)
    case 'pkcs11': return pkcs11KeyStore(config, components)
    default: throw new KeyStoreConfigError(`unknown key store backend: ${String((config as { backend?: unknown }).backend)}`)
  }
}
