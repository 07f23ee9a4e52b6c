// The node home: one directory holding everything a node is.
//
//   config.json        the configuration (node/config.ts), no secrets
//   identity.cbor      the current identity document (its CID is the node's identity)
//   keys/node.sealed   the node's own secret keys, sealed by the key store (node/node-keys.ts), 0600
//   data/              the log: blocks, datastore and level state (storage/)
//   keystore/          the key store's wrapped secrets (crypto/keystore/)
//   admin.sock         the operator's admin socket, mode 0600, while the node runs
//   api-token          the REST API's bearer token, mode 0600 (node/api/token.ts)
//
// The node keys (Ed25519 signing seed, X25519 encryption secret, secp256k1 custody secret, libp2p
// key) sign and decrypt on every message, so they are held in memory while the node runs, like
// Vault's unsealed keys. At rest they are sealed by the home's key store, like the service secrets
// (custody shares, escrowed secrets, master-secret shares) kept in keystore/: with PKCS#11, by the
// token's non-extractable AES key, so a copy of the disk without the token and its PIN does not
// yield the node's identity; with the software store, by its scrypt-derived KEK (passphrase mode)
// or by the KEK in keystore/kek.key (key-file mode: no better than a 0600 file, and the store warns
// so at every start). A home whose key file is readable by others is refused.
//
// Loading is two steps: openHome reads the configuration and the identity document — no secret,
// no PIN or passphrase, enough for read-only tools (`milagro log`, `milagro audit`) — and
// unsealHome opens the key store once, unseals the keys (migrating a legacy plaintext
// keys/node.json: sealed, then overwritten and removed, with one log line) and closes it again;
// loadHome does both. Only what signs or decrypts as the node needs unsealHome: `milagro start`,
// backup restore and recovery, test and simulation harnesses.
import { chmod, mkdir, readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import {
  generateSecp256k1SecretKey, generateSigningKeyPair, keyAgreementKeyPairFromSecret, randomBytes, secp256k1PublicKey,
  Signer, type KeyStore
} from '../crypto/index.ts'
import { createIdentity, decodeIdentity, type VerifiedIdentity } from '../protocol/identity.ts'
import { CONFIG_VERSION, parseConfig, readConfig, type ConfigInput, type NodeConfig } from './config.ts'
import { HomeError, HomeExistsError, NodeKeysLockedError } from './errors.ts'
import { exists, writeFileAtomic } from './fs.ts'
import { API_TOKEN_FILE, createApiToken } from './api/token.ts'
import { silentLogger, type Logger } from './logger.ts'
import { sealNodeKeys, shred, unsealNodeKeys } from './node-keys.ts'
import { keyStoreFor } from './services/keystore.ts'

export interface HomePaths {
  readonly dir: string
  readonly configPath: string
  readonly identityPath: string
  /** The sealed node keys, keys/node.sealed (node-keys.ts). */
  readonly keysPath: string
  /** The legacy plaintext node keys, keys/node.json: only read to migrate them. */
  readonly legacyKeysPath: string
  readonly dataDir: string
  readonly keystoreDir: string
  readonly adminSocketPath: string
  readonly apiTokenPath: string
}

export function defaultHome (): string {
  return process.env.MILAGRO_HOME ?? join(homedir(), '.milagro')
}

export function homePaths (dir: string): HomePaths {
  const abs = resolve(dir)
  return {
    dir: abs,
    configPath: join(abs, 'config.json'),
    identityPath: join(abs, 'identity.cbor'),
    keysPath: join(abs, 'keys', 'node.sealed'),
    legacyKeysPath: join(abs, 'keys', 'node.json'),
    dataDir: join(abs, 'data'),
    keystoreDir: join(abs, 'keystore'),
    adminSocketPath: join(abs, 'admin.sock'),
    apiTokenPath: join(abs, API_TOKEN_FILE)
  }
}

export interface NodeKeys {
  readonly signer: Signer
  /** The Ed25519 seed behind `signer`: kept only to seal the keys again (backup bundles, migration). */
  readonly signingSecretKey: Uint8Array
  readonly encryptionSecretKey: Uint8Array
  readonly custodySecretKey: Uint8Array
  readonly libp2pKey: PrivateKey
  readonly identity: VerifiedIdentity
}

/** A home read without its secrets: enough to show or audit it. */
export interface OpenedHome {
  readonly paths: HomePaths
  readonly config: NodeConfig
  readonly identity: VerifiedIdentity
}

/** A home with its node keys unsealed: what a running node needs. */
export interface LoadedHome {
  readonly paths: HomePaths
  readonly config: NodeConfig
  readonly keys: NodeKeys
}

export interface UnsealOptions {
  /** Gets the key store's own lines (the software store's warning) and the migration line; default silent. */
  readonly logger?: Logger
  readonly signal?: AbortSignal
  /**
   * The home's key store, to unseal with and leave running (`milagro start` hands the same one to
   * the services, so a passphrase is stretched and a token logged into once). Default: one of its
   * own, stopped again.
   */
  readonly keystore?: KeyStore
}

export interface InitOptions extends Partial<Omit<ConfigInput, 'version'>> {
  readonly name: string
  /** Replace an existing node (its keys and identity are lost). */
  readonly force?: boolean
  /** Clock read for the identity document's `created` (ms); defaults to now. */
  readonly now?: number
  /** For the key store that seals the new keys (default silent). */
  readonly logger?: Logger
}

/** Starts the home's key store for the node keys; NodeKeysLockedError naming `path` when it cannot. */
async function startKeyStore (home: Pick<OpenedHome, 'paths' | 'config'>, path: string, existingKek: boolean, options?: UnsealOptions): Promise<KeyStore> {
  const keystore = options?.keystore ?? keyStoreFor(home, options?.logger ?? silentLogger())
  try {
    await keystore.start({ existingKek, ...(options?.signal === undefined ? {} : { signal: options.signal }) })
  } catch (err) {
    await keystore.stop()
    const e = err as Error
    throw new NodeKeysLockedError(path, `cannot open the ${home.config.keystore.backend} key store that seals the node keys: ${e.name}: ${e.message}`, { cause: err })
  }
  return keystore
}

/**
 * Seals `keys` into the home's keys/node.sealed with its key store (started and stopped here):
 * for init and backup restore. NodeKeysLockedError when the key store cannot start.
 */
export async function sealHomeKeys (home: OpenedHome, keys: NodeKeys, options?: UnsealOptions): Promise<void> {
  const keystore = await startKeyStore(home, home.paths.keysPath, false, options)
  try {
    await sealNodeKeys(home, keystore, keys, options?.signal === undefined ? {} : { signal: options.signal })
  } finally {
    await keystore.stop()
  }
}

/** Creates a node home: config, keys, identity document. Refuses an existing node unless `force`. */
export async function initHome (dir: string, options: InitOptions): Promise<LoadedHome> {
  const paths = homePaths(dir)
  if (options.force !== true && (await exists(paths.configPath) || await exists(paths.keysPath) || await exists(paths.legacyKeysPath))) {
    throw new HomeExistsError(`a node already exists in ${paths.dir}; use --force to replace it (its keys and identity will be lost)`)
  }
  const { force: _force, now, logger, ...fields } = options
  const config = parseConfig({ version: CONFIG_VERSION, ...fields }, 'init options')
  await mkdir(paths.dir, { recursive: true, mode: 0o700 })
  await chmod(paths.dir, 0o700)

  const signing = generateSigningKeyPair()
  const encryptionSecretKey = randomBytes(32)
  const custodySecretKey = generateSecp256k1SecretKey()
  const libp2pKey = await generateKeyPair('Ed25519')
  const signer = new Signer(signing.secretKey)
  const identity = createIdentity({
    name: config.name,
    signingKey: signer.publicKey,
    encryptionKey: keyAgreementKeyPairFromSecret(encryptionSecretKey).publicKey,
    custodyKey: secp256k1PublicKey(custodySecretKey),
    peerId: peerIdFromPrivateKey(libp2pKey).toString(),
    created: now ?? Date.now()
  }, signer)
  const keys: NodeKeys = { signer, signingSecretKey: signing.secretKey, encryptionSecretKey, custodySecretKey, libp2pKey, identity }
  // Sealed before anything else is written: a key store that cannot start leaves no half home.
  await sealHomeKeys({ paths, config, identity }, keys, logger === undefined ? {} : { logger })
  if (await exists(paths.legacyKeysPath)) await shred(paths.legacyKeysPath) // --force over a legacy home: its keys are replaced
  await createApiToken(paths.apiTokenPath)
  await writeFileAtomic(paths.identityPath, identity.bytes, 0o644)
  await writeFileAtomic(paths.configPath, JSON.stringify(config, null, 2) + '\n', 0o644)
  return { paths, config, keys }
}

/** Reads a node home without its secrets: the configuration and the identity document (HomeError when either is missing or invalid). */
export async function openHome (dir: string): Promise<OpenedHome> {
  const paths = homePaths(dir)
  if (!await exists(paths.configPath)) throw new HomeError(`no node in ${paths.dir} (missing config.json); run 'milagro init --home ${paths.dir}'`)
  const config = await readConfig(paths.configPath)
  let identity: VerifiedIdentity
  try {
    identity = decodeIdentity(new Uint8Array(await readFile(paths.identityPath)))
  } catch (err) {
    throw new HomeError(`node home ${paths.dir} is inconsistent: cannot read ${paths.identityPath}: ${(err as Error).message}`, { cause: err })
  }
  return { paths, config, identity }
}

/**
 * Unseals the node keys of an opened home: starts its key store (reading the PIN or passphrase),
 * unseals keys/node.sealed — or seals a legacy plaintext keys/node.json and removes it — and stops
 * the store. NodeKeysLockedError when the key store cannot start (wrong PIN or passphrase, missing
 * token or module: the key store's error is the cause); NodeKeysError when the sealed file is
 * malformed, tampered or another home's; HomeError when the keys are missing or open to others.
 */
export async function unsealHome (home: OpenedHome, options?: UnsealOptions): Promise<LoadedHome> {
  const { paths } = home
  const sealed = await exists(paths.keysPath)
  if (!sealed && !await exists(paths.legacyKeysPath)) throw new HomeError(`cannot read the node keys: ${paths.keysPath} is missing`)
  const keystore = await startKeyStore(home, sealed ? paths.keysPath : paths.legacyKeysPath, sealed, options)
  try {
    const keys = await unsealNodeKeys(home, keystore, options)
    return { paths, config: home.config, keys }
  } finally {
    if (options?.keystore === undefined) await keystore.stop()
  }
}

/** Opens a node home and unseals its keys (openHome, then unsealHome). */
export async function loadHome (dir: string, options?: UnsealOptions): Promise<LoadedHome> {
  return await unsealHome(await openHome(dir), options)
}
