// Test harness for node/p2p/: real libp2p peers on loopback TCP with level stores in temp
// directories, built from the same factories the node uses. Keys are generated per run. Each stack
// is registered with ../../teardown.ts as it is created: stopped at the end of the file if a failed
// test left it running. A stack's stop() is idempotent.
import { mkdtemp, rm } from 'node:fs/promises'
import { on } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { LevelBlockstore } from 'blockstore-level'
import { LevelDatastore } from 'datastore-level'
import { generateSecp256k1SecretKey, generateSigningKeyPair, randomBytes, secp256k1PublicKey, Signer } from '../../../crypto/index.ts'
import { keyAgreementKeyPairFromSecret } from '../../../crypto/x25519.ts'
import { createIdentity, type VerifiedIdentity } from '../../../protocol/identity.ts'
import { silentLogger, type Logger } from '../../../node/logger.ts'
import { openP2pDb, type P2pDb } from '../../../node/p2p/db.ts'
import { Directory, type DirectoryInit } from '../../../node/p2p/directory.ts'
import { createPeerHelia, type PeerHelia } from '../../../node/p2p/helia.ts'
import { createGater, createPeer, type Peer, type SwitchableGater } from '../../../node/p2p/libp2p.ts'
import { track } from '../../teardown.ts'

export interface TestKeys {
  readonly name: string
  readonly libp2pKey: PrivateKey
  readonly signer: Signer
  readonly encryptionSecretKey: Uint8Array
  readonly identity: VerifiedIdentity
}

export async function makeKeys (name: string, options: { previous?: TestKeys, libp2pKey?: PrivateKey } = {}): Promise<TestKeys> {
  const libp2pKey = options.libp2pKey ?? options.previous?.libp2pKey ?? await generateKeyPair('Ed25519')
  const signer = new Signer(generateSigningKeyPair().secretKey)
  const encryptionSecretKey = randomBytes(32)
  const identity = createIdentity({
    name,
    signingKey: signer.publicKey,
    encryptionKey: keyAgreementKeyPairFromSecret(encryptionSecretKey).publicKey,
    custodyKey: secp256k1PublicKey(generateSecp256k1SecretKey()),
    peerId: peerIdFromPrivateKey(libp2pKey).toString(),
    created: Date.now()
  }, signer, options.previous === undefined ? {} : { previous: { identity: options.previous.identity, signer: options.previous.signer } })
  return { name, libp2pKey, signer, encryptionSecretKey, identity }
}

export interface Stack {
  readonly dir: string
  readonly keys: TestKeys
  readonly libp2p: Peer
  readonly helia: PeerHelia
  readonly db: P2pDb
  readonly directory: Directory
  readonly gater: SwitchableGater
  readonly logger: Logger
  stop (): Promise<void>
}

export interface StackOptions {
  readonly keys?: TestKeys
  /** Documents served as this peer's own (default: its keys' identity). A rogue peer serves forgeries. */
  readonly self?: readonly VerifiedIdentity[]
  readonly dir?: string
  readonly directory?: Partial<DirectoryInit>
}

/** Fast gossip for tests: heartbeats every 100 ms. */
export const TEST_HEARTBEAT_MS = 100

export async function startStack (name: string, options: StackOptions = {}): Promise<Stack> {
  const keys = options.keys ?? await makeKeys(name)
  const dir = options.dir ?? await mkdtemp(join(tmpdir(), `milagro-p2p-${name}-`))
  const blockstore = new LevelBlockstore(join(dir, 'blocks'))
  const datastore = new LevelDatastore(join(dir, 'datastore'))
  await blockstore.open()
  await datastore.open()
  const db = await openP2pDb(join(dir, 'p2p'))
  const gater = createGater()
  const logger = silentLogger()
  const libp2p = await createPeer({ privateKey: keys.libp2pKey, listen: ['/ip4/127.0.0.1/tcp/0'], datastore, gater, heartbeatIntervalMs: TEST_HEARTBEAT_MS })
  const helia = createPeerHelia({ libp2p, blockstore, datastore, servable: async (cid) => (await directory.get(cid)) !== undefined })
  const directory = new Directory({ libp2p, blockstore: helia.blockstore, db: db.directory, logger }, {
    self: options.self ?? [keys.identity],
    announceDelayMs: 2 * TEST_HEARTBEAT_MS,
    announceIntervalMs: 500,
    fetchTimeoutMs: 3_000,
    ...options.directory
  })
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      await directory.stop()
      await helia.stop()
      await libp2p.stop()
      await db.level.close()
      await blockstore.close()
      await datastore.close()
      if (options.dir === undefined) await rm(dir, { recursive: true, force: true })
    })()
    await stopping
  }
  track(`p2p stack ${name} ${dir}`, stop)
  await libp2p.start()
  await helia.start()
  await directory.start()
  return { dir, keys, libp2p, helia, db, directory, gater, logger, stop }
}

/** Resolves with the first event `name` from `emitter` whose payload satisfies `accept`. */
export async function waitForEvent<T> (
  emitter: NodeJS.EventEmitter,
  name: string,
  accept: (value: T) => boolean,
  signal: AbortSignal
): Promise<T> {
  for await (const args of on(emitter, name, { signal })) {
    const value = (args as T[])[0] as T
    if (accept(value)) return value
  }
  throw new Error(`event stream '${name}' ended`)
}

export async function connect (a: Stack | Peer, b: Stack | Peer): Promise<void> {
  const from = 'libp2p' in a ? a.libp2p : a
  const to = 'libp2p' in b ? b.libp2p : b
  const addr = to.getMultiaddrs()[0]
  if (addr === undefined) throw new Error('peer has no listen address')
  await from.dial(addr, { signal: AbortSignal.timeout(5_000) })
}

export async function stopAll (stacks: ReadonlyArray<{ stop: () => Promise<void> } | undefined>): Promise<void> {
  const results = await Promise.allSettled(stacks.map(async (s) => { await s?.stop() }))
  const failed = results.find((r) => r.status === 'rejected')
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
}
