// The node's own secret keys at rest: `keys/node.sealed`, sealed by the home's key store.
//
//   { "v": 2, "identity": "<identity CID>", "alg": "<sealer alg>", "iv": b64url, "ct": b64url }
//
// `ct` is the key store's sealBlob (crypto/keystore/sealed-store.ts: AES-256-GCM under the
// store's KEK — for PKCS#11, C_Encrypt inside the token with its non-extractable AES key; for the
// software store, the scrypt-derived or key-file KEK) of the four secrets, concatenated:
//
//   Ed25519 signing seed (32) ‖ X25519 encryption secret (32) ‖ secp256k1 custody secret (32) ‖
//   libp2p private key (protobuf, the rest)
//
// with associated data ["milagro/node-keys", 2, identity CID]: a sealed file copied from another
// home (another identity) or edited in any byte does not open, and the keys it yields must match
// identity.cbor's public keys as well. The file holds no secret in clear; the public parts are in
// identity.cbor, which read-only tools (`milagro log`, `milagro audit`) read without the key store.
//
// Unsealing happens once, when a node (or a tool that signs as the node, such as backup restore)
// loads its home; the keys then stay in memory while the node runs (node/home.ts). A home written
// before this format holds the keys in clear in `keys/node.json` (v1); unsealNodeKeys seals them,
// then overwrites that file with zeros and removes it, and says so in one log line.
//
// Errors: NodeKeysError names the file (malformed, failing authentication, another identity);
// nothing on disk changes on any error. What this does NOT protect against: with the software key
// store in key-file mode the KEK sits next to the sealed file (the key store's start-up warning
// says so); and while the node runs, the keys are in its memory (see README, "Key stores").
import { constants } from 'node:fs'
import { open, readFile, stat, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  concatBytes, fromHex, keyAgreementKeyPairFromSecret, secp256k1PublicKey, Signer, toHex, wipe, type KeyStore
} from '../crypto/index.ts'
import type { VerifiedIdentity } from '../protocol/identity.ts'
import { HomeError, NodeKeysError } from './errors.ts'
import { exists, writeFileAtomic } from './fs.ts'
import type { HomePaths, NodeKeys } from './home.ts'
import type { Logger } from './logger.ts'

export const NODE_KEYS_VERSION = 2
const FIELDS = ['alg', 'ct', 'identity', 'iv', 'v']
const SEED = 32

type SealedBlob = Awaited<ReturnType<KeyStore['sealBlob']>>

interface SealedKeyFile extends SealedBlob {
  readonly identity: string
}

/** The part of a home the node keys step needs: where the files are, and whose keys they are. */
export interface NodeKeysHome {
  readonly paths: Pick<HomePaths, 'keysPath' | 'legacyKeysPath'>
  readonly identity: VerifiedIdentity
}

function aadOf (identity: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(['milagro/node-keys', NODE_KEYS_VERSION, identity]))
}

function b64 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

/** The four secrets as one buffer (the caller wipes it). */
function encodeSecrets (keys: NodeKeys): Uint8Array {
  return concatBytes(keys.signingSecretKey, keys.encryptionSecretKey, keys.custodySecretKey, privateKeyToProtobuf(keys.libp2pKey))
}

/** NodeKeys from their secrets, checked against the identity document (Error on any mismatch). */
export function nodeKeysFrom (
  secrets: { signing: Uint8Array, encryption: Uint8Array, custody: Uint8Array, libp2p: Uint8Array },
  identity: VerifiedIdentity
): NodeKeys {
  const signer = new Signer(secrets.signing)
  // A copy: the decoded key may keep views of its input, which the caller wipes.
  const libp2pKey = privateKeyFromProtobuf(secrets.libp2p.slice())
  const d = identity.doc
  if (toHex(d.signingKey) !== toHex(signer.publicKey) ||
    toHex(d.encryptionKey) !== toHex(keyAgreementKeyPairFromSecret(secrets.encryption).publicKey) ||
    toHex(d.custodyKey) !== toHex(secp256k1PublicKey(secrets.custody)) ||
    d.peerId !== peerIdFromPrivateKey(libp2pKey).toString()) {
    throw new Error('identity.cbor does not match the node keys')
  }
  return {
    signer,
    signingSecretKey: secrets.signing.slice(),
    encryptionSecretKey: secrets.encryption.slice(),
    custodySecretKey: secrets.custody.slice(),
    libp2pKey,
    identity
  }
}

function decodeSecrets (plain: Uint8Array, identity: VerifiedIdentity): NodeKeys {
  if (plain.length <= 3 * SEED) throw new Error('sealed node keys are too short')
  return nodeKeysFrom({
    signing: plain.subarray(0, SEED),
    encryption: plain.subarray(SEED, 2 * SEED),
    custody: plain.subarray(2 * SEED, 3 * SEED),
    libp2p: plain.subarray(3 * SEED)
  }, identity)
}

/** The legacy (v1) plaintext key file's bytes: what a backup bundle carries as `keys/node.json`. */
export function encodePlainKeyFile (keys: NodeKeys): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({
    v: 1,
    ed25519: toHex(keys.signingSecretKey),
    x25519: toHex(keys.encryptionSecretKey),
    secp256k1: toHex(keys.custodySecretKey),
    libp2p: Buffer.from(privateKeyToProtobuf(keys.libp2pKey)).toString('base64')
  }) + '\n')
}

/** Parses a legacy (v1) plaintext key file and checks it against the identity; HomeError naming `path`. */
export function decodePlainKeyFile (bytes: Uint8Array, identity: VerifiedIdentity, path: string): NodeKeys {
  let file: { v?: unknown, ed25519?: unknown, x25519?: unknown, secp256k1?: unknown, libp2p?: unknown }
  try {
    file = JSON.parse(new TextDecoder().decode(bytes)) as typeof file
    if (file === null || typeof file !== 'object' || file.v !== 1) throw new Error(`unknown key file version ${String(file?.v)}`)
  } catch (err) {
    throw new HomeError(`${path} is not a valid key file: ${(err as Error).message}`, { cause: err })
  }
  const secrets = {
    signing: fromHex(String(file.ed25519)),
    encryption: fromHex(String(file.x25519)),
    custody: fromHex(String(file.secp256k1)),
    libp2p: new Uint8Array(Buffer.from(String(file.libp2p), 'base64'))
  }
  try {
    return nodeKeysFrom(secrets, identity)
  } catch (err) {
    throw new HomeError(`${path} does not hold this node's keys: ${(err as Error).message}`, { cause: err })
  } finally {
    for (const s of Object.values(secrets)) wipe(s)
  }
}

function parseSealedFile (bytes: Uint8Array, path: string): SealedKeyFile {
  const bad = (why: string, cause?: unknown): NodeKeysError => new NodeKeysError(path, `not a sealed node key file: ${why}`, { cause })
  let o: Record<string, unknown>
  try {
    o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>
  } catch (err) {
    throw bad('not JSON', err)
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad('not an object')
  if (Object.keys(o).sort().join() !== FIELDS.join()) throw bad('unexpected fields')
  if (o.v !== NODE_KEYS_VERSION) throw bad(`unsupported version ${String(o.v)}`)
  if (typeof o.identity !== 'string' || typeof o.alg !== 'string') throw bad('identity or alg is not a string')
  const bin = (v: unknown, name: string): Uint8Array => {
    if (typeof v !== 'string' || v === '') throw bad(`${name} is not base64url`)
    const b = Buffer.from(v, 'base64url')
    if (b.toString('base64url') !== v) throw bad(`${name} is not canonical base64url`)
    return new Uint8Array(b)
  }
  return { identity: o.identity, alg: o.alg, iv: bin(o.iv, 'iv'), ciphertext: bin(o.ct, 'ct') }
}

async function assertPrivate (path: string): Promise<void> {
  const st = await stat(path)
  if ((st.mode & 0o077) !== 0) {
    throw new HomeError(`${path} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); run 'chmod 600 ${path}'`)
  }
}

/** Writes `keys` sealed by `keystore` (started) to the home's keys/node.sealed (0600, atomic). */
export async function sealNodeKeys (home: NodeKeysHome, keystore: KeyStore, keys: NodeKeys, options?: { signal?: AbortSignal }): Promise<void> {
  const identity = home.identity.cid.toString()
  const plain = encodeSecrets(keys)
  let blob: SealedBlob
  try {
    blob = await keystore.sealBlob(aadOf(identity), plain, options)
  } finally {
    wipe(plain)
  }
  options?.signal?.throwIfAborted()
  const file = { v: NODE_KEYS_VERSION, identity, alg: blob.alg, iv: b64(blob.iv), ct: b64(blob.ciphertext) }
  await writeFileAtomic(home.paths.keysPath, JSON.stringify(file) + '\n', 0o600)
}

/** Overwrites a plaintext key file with zeros (fsync), then removes it (and fsyncs its directory). */
export async function shred (path: string): Promise<void> {
  const fh = await open(path, constants.O_WRONLY)
  try {
    const { size } = await fh.stat()
    await fh.write(new Uint8Array(size), 0, size, 0)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await unlink(path)
  const dir = await open(dirname(path), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

/**
 * The node keys of `home`, unsealed by `keystore` (started, e.g. with `existingKek` when the
 * sealed file exists). A legacy plaintext keys/node.json is sealed into keys/node.sealed first,
 * then overwritten and removed (one info line on `logger`). NodeKeysError naming the file when
 * the sealed file is malformed, does not authenticate or belongs to another identity; HomeError
 * when there are no keys or a key file is open to group/other. Nothing on disk changes on error.
 */
export async function unsealNodeKeys (home: NodeKeysHome, keystore: KeyStore, options?: { logger?: Logger, signal?: AbortSignal }): Promise<NodeKeys> {
  const { keysPath, legacyKeysPath } = home.paths
  const identity = home.identity.cid.toString()
  const legacy = await exists(legacyKeysPath)
  if (!await exists(keysPath)) {
    if (!legacy) throw new HomeError(`no node keys: neither ${keysPath} nor ${legacyKeysPath} exists`)
    await assertPrivate(legacyKeysPath)
    const keys = decodePlainKeyFile(new Uint8Array(await readFile(legacyKeysPath)), home.identity, legacyKeysPath)
    await sealNodeKeys(home, keystore, keys, options)
    await shred(legacyKeysPath)
    options?.logger?.info({ sealed: keysPath, removed: legacyKeysPath, backend: keystore.backend },
      'node keys migrated: sealed by the key store into keys/node.sealed; the plaintext keys/node.json was overwritten and removed')
    return keys
  }
  await assertPrivate(keysPath)
  const sealed = parseSealedFile(new Uint8Array(await readFile(keysPath)), keysPath)
  if (sealed.identity !== identity) {
    throw new NodeKeysError(keysPath, `sealed for identity ${sealed.identity.slice(0, 80)}, but this home's identity is ${identity} (a key file from another home?)`)
  }
  let plain: Uint8Array
  try {
    plain = await keystore.openBlob(aadOf(identity), sealed, options)
  } catch (err) {
    if ((err as Error).name !== 'TamperedRecordError') throw err
    throw new NodeKeysError(keysPath, `does not open under this home's ${keystore.backend} key store (tampered, or sealed by another key store)`, { cause: err })
  }
  let keys: NodeKeys
  try {
    keys = decodeSecrets(plain, home.identity)
  } catch (err) {
    throw new NodeKeysError(keysPath, `opens, but not to this node's keys: ${(err as Error).message}`, { cause: err })
  } finally {
    wipe(plain)
  }
  if (legacy) {
    // A migration interrupted between writing the sealed file and removing the plaintext one.
    await shred(legacyKeysPath)
    options?.logger?.info({ removed: legacyKeysPath }, 'node keys: removed the plaintext keys/node.json left by an interrupted migration')
  }
  return keys
}
