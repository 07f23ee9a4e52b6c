// Public surface of crypto/keystore/ (re-exported by crypto/index.ts).
export * from './errors.ts'
export {
  SECRET_KINDS,
  type SecretKind, type KeyStore, type KeyStoreBackend, type KeyStoreLogger, type StoredSecret, type ReleasedSecret,
  type AbortOptions, type GenerateOptions, type ReleaseOptions, type SealedBlob, type StartOptions
} from './types.ts'
export { isHandle, parseHandle, type ParsedHandle } from './handle.ts'
export {
  MAX_GENERIC_SECRET_BYTES, DEFAULT_GENERIC_SECRET_BYTES, SECP256K1_N, BLS12_381_R, BN254_R, secretCommitment
} from './kinds.ts'
export { readPin, type PinSource } from './pin.ts'
export { createKeyStore, type KeyStoreConfig, type KeyStoreComponents } from './create-key-store.ts'
export { softwareKeyStore, DEFAULT_SCRYPT, type SoftwareKeyStoreConfig, type ScryptParams } from './software.ts'
export { pkcs11KeyStore, DEFAULT_KEK_LABEL, type Pkcs11KeyStoreConfig } from './pkcs11.ts'
