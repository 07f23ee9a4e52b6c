// The node home: one directory holding everything a node is.
//
//   config.json        the configuration (node/config.ts), no secrets
//   identity.cbor      the current identity document (its CID is the node's identity)
//   keys/node.json     the node's own secret keys, mode 0600 (see below)
//   data/              the log: blocks, datastore and level state (storage/)
//   keystore/          the key store's wrapped secrets (crypto/keystore/)
//   admin.sock         the operator's admin socket, mode 0600, while the node runs
//   api-token          the REST API's bearer token, mode 0600 (node/api/token.ts)
//
// The node keys (Ed25519 signing seed, X25519 encryption secret, secp256k1 custody secret, libp2p
// key) sign and decrypt on every message, so they are held in memory while the node runs, like
// Vault's unsealed keys. At rest they sit in a 0600 file in a 0700 directory; a home whose key
// file is readable by others is refused. Secrets the services hold for others (custody shares,
// escrowed secrets, master-secret shares) never live here: they go to the key store.
import { chmod, mkdir, readFile, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import {
  generateSecp256k1SecretKey, generateSigningKeyPair, keyAgreementKeyPairFromSecret, randomBytes, secp256k1PublicKey,
  Signer, toHex, fromHex
} from '../crypto/index.ts'
import { createIdentity, decodeIdentity, type VerifiedIdentity } from '../protocol/identity.ts'
import { CONFIG_VERSION, parseConfig, readConfig, type ConfigInput, type NodeConfig } from './config.ts'
import { HomeError, HomeExistsError } from './errors.ts'
import { exists, writeFileAtomic } from './fs.ts'
import { API_TOKEN_FILE, createApiToken } from './api/token.ts'

export interface HomePaths {
  readonly dir: string
  readonly configPath: string
  readonly identityPath: string
  readonly keysPath: string
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
    keysPath: join(abs, 'keys', 'node.json'),
    dataDir: join(abs, 'data'),
    keystoreDir: join(abs, 'keystore'),
    adminSocketPath: join(abs, 'admin.sock'),
    apiTokenPath: join(abs, API_TOKEN_FILE)
  }
}

export interface NodeKeys {
  readonly signer: Signer
  readonly encryptionSecretKey: Uint8Array
  readonly custodySecretKey: Uint8Array
  readonly libp2pKey: PrivateKey
  readonly identity: VerifiedIdentity
}

export interface LoadedHome {
  readonly paths: HomePaths
  readonly config: NodeConfig
  readonly keys: NodeKeys
}

interface KeyFile {
  v: 1
  ed25519: string
  x25519: string
  secp256k1: string
  libp2p: string
}

export interface InitOptions extends Partial<Omit<ConfigInput, 'version'>> {
  readonly name: string
  /** Replace an existing node (its keys and identity are lost). */
  readonly force?: boolean
  /** Clock read for the identity document's `created` (ms); defaults to now. */
  readonly now?: number
}

/** Creates a node home: config, keys, identity document. Refuses an existing node unless `force`. */
export async function initHome (dir: string, options: InitOptions): Promise<LoadedHome> {
  const paths = homePaths(dir)
  if (options.force !== true && (await exists(paths.configPath) || await exists(paths.keysPath))) {
    throw new HomeExistsError(`a node already exists in ${paths.dir}; use --force to replace it (its keys and identity will be lost)`)
  }
  const { force: _force, now, ...fields } = options
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
  const keyFile: KeyFile = {
    v: 1,
    ed25519: toHex(signing.secretKey),
    x25519: toHex(encryptionSecretKey),
    secp256k1: toHex(custodySecretKey),
    libp2p: Buffer.from(privateKeyToProtobuf(libp2pKey)).toString('base64')
  }
  await writeFileAtomic(paths.keysPath, JSON.stringify(keyFile) + '\n', 0o600)
  await createApiToken(paths.apiTokenPath)
  await writeFileAtomic(paths.identityPath, identity.bytes, 0o644)
  await writeFileAtomic(paths.configPath, JSON.stringify(config, null, 2) + '\n', 0o644)
  return { paths, config, keys: { signer, encryptionSecretKey, custodySecretKey, libp2pKey, identity } }
}

/** Loads and checks a node home: config valid, key file private, identity matching the keys. */
export async function loadHome (dir: string): Promise<LoadedHome> {
  const paths = homePaths(dir)
  if (!await exists(paths.configPath)) throw new HomeError(`no node in ${paths.dir} (missing config.json); run 'milagro init --home ${paths.dir}'`)
  const config = await readConfig(paths.configPath)
  const keyStat = await stat(paths.keysPath).catch((err: NodeJS.ErrnoException) => {
    throw new HomeError(`cannot read the node keys at ${paths.keysPath}: ${err.code ?? err.message}`, { cause: err })
  })
  if ((keyStat.mode & 0o077) !== 0) {
    throw new HomeError(`${paths.keysPath} is accessible by group or others (mode ${(keyStat.mode & 0o777).toString(8)}); run 'chmod 600 ${paths.keysPath}'`)
  }
  let keyFile: KeyFile
  try {
    keyFile = JSON.parse(await readFile(paths.keysPath, 'utf8')) as KeyFile
    if (keyFile.v !== 1) throw new Error(`unknown key file version ${String(keyFile.v)}`)
  } catch (err) {
    throw new HomeError(`${paths.keysPath} is not a valid key file: ${(err as Error).message}`, { cause: err })
  }
  let keys: NodeKeys
  try {
    const signer = new Signer(fromHex(keyFile.ed25519))
    const encryptionSecretKey = fromHex(keyFile.x25519)
    const custodySecretKey = fromHex(keyFile.secp256k1)
    const libp2pKey = privateKeyFromProtobuf(Buffer.from(keyFile.libp2p, 'base64'))
    const identity = decodeIdentity(new Uint8Array(await readFile(paths.identityPath)))
    const d = identity.doc
    if (toHex(d.signingKey) !== toHex(signer.publicKey) ||
      toHex(d.encryptionKey) !== toHex(keyAgreementKeyPairFromSecret(encryptionSecretKey).publicKey) ||
      toHex(d.custodyKey) !== toHex(secp256k1PublicKey(custodySecretKey)) ||
      d.peerId !== peerIdFromPrivateKey(libp2pKey).toString()) {
      throw new Error('identity.cbor does not match the keys in keys/node.json')
    }
    keys = { signer, encryptionSecretKey, custodySecretKey, libp2pKey, identity }
  } catch (err) {
    if ((err as Error).name === 'HomeError') throw err
    throw new HomeError(`node home ${paths.dir} is inconsistent: ${(err as Error).message}`, { cause: err })
  }
  return { paths, config, keys }
}
