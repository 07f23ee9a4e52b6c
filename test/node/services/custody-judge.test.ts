// node/services/custody-judge.ts: the beneficiary's judgement of a `custody/release`. The judge
// imports the released share f and the wallet key w = b + f into the key store and compares the
// public parts the store computes with the announced F and the published W: an honest release is
// recorded with both handles; a share that is not F's secret, a sum that is not W (here: a key
// store whose own share was swapped), or a share that is not a scalar is refused with its typed
// error and leaves no record behind in the key store. The order is set up by the network-free
// custody world (test/protocol/custody/world.ts); the key store is an in-memory stand-in.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { CID } from 'multiformats/cid'
import { combineSecretShares, equalBytes, generateSecp256k1SecretKey, hpkeSeal, secp256k1PublicKey, toHex, type KeyStore, type StoredSecret } from '../../../crypto/index.ts'
import { seal } from '../../../protocol/envelope.ts'
import {
  CUSTODY_FACTS, CUSTODY_MESSAGES, ownShare, releaseAad, releaseBody, RELEASE_INFO, roleOrder, type CustodyFact, type CustodyState
} from '../../../protocol/custody/index.ts'
import { Judge } from '../../../node/services/custody-judge.ts'
import type { CustodyNode } from '../../../node/services/custody-port.ts'
import { createOrder, fakeHandle, World, type Party } from '../../protocol/custody/world.ts'

/** The key store operations the judge uses, in memory; `swap` replaces what use() returns for a handle. */
class MemoryKeys {
  readonly records = new Map<string, Uint8Array>()
  readonly swap = new Map<string, Uint8Array>()
  async use<T> (handle: string, fn: (secret: Uint8Array) => T | Promise<T>): Promise<T> {
    const s = this.swap.get(handle) ?? this.records.get(handle)
    if (s === undefined) throw new Error(`unknown handle ${handle}`)
    return await fn(Uint8Array.from(s))
  }

  async import (kind: 'secp256k1', secret: Uint8Array): Promise<StoredSecret> {
    const publicPart = secp256k1PublicKey(secret) // InvalidKeyError for a bad scalar, as the real stores
    const handle = fakeHandle()
    this.records.set(handle, Uint8Array.from(secret))
    return { handle, kind, publicPart }
  }

  async destroy (handle: string): Promise<void> {
    if (!this.records.delete(handle)) throw new Error(`unknown handle ${handle}`)
  }
}

interface Setup { readonly B: Party, readonly F: Party, readonly order: CID, readonly keys: MemoryKeys, readonly judge: Judge }

async function published (): Promise<Setup> {
  const { world, parties } = await World.create('principal', 'beneficiary', 'fiduciary')
  const [P, B, F] = parties as [Party, Party, Party]
  const order = createOrder(world, P, B, F)
  world.run()
  assert.ok(roleOrder(B.state as CustodyState, 'beneficiary', order)?.wallet != null, 'the order is published at the beneficiary')
  const keys = new MemoryKeys()
  for (const [h, s] of B.secrets) keys.records.set(h, s)
  const node = { identity: B.node.identity, encryptionSecretKey: B.node.encryptionSecretKey, requeue: async () => 0 } as unknown as CustodyNode
  const judge = new Judge({ node, keystore: keys as unknown as KeyStore, state: () => B.state as CustodyState }, { roles: new Set(['beneficiary']) })
  return { B, F, order, keys, judge }
}

/** A release from F to B of `secret`, announced as F's published share key. */
async function release (s: Setup, secret: Uint8Array): Promise<CustodyFact> {
  const fShare = ownShare(s.F.state as CustodyState, s.order, 'fiduciary')
  assert.ok(fShare !== null)
  const { enc, ciphertext } = hpkeSeal({ aead: 'aes-256-gcm' }, s.B.node.identity.doc.encryptionKey, RELEASE_INFO, releaseAad(s.order, s.B.id, fShare.publicKey), secret)
  const body = releaseBody({ publicKey: fShare.publicKey, enc, ct: ciphertext })
  const envelope = seal(s.F.node.sender, [s.B.node.identity], CUSTODY_MESSAGES.release, body, { thread: s.order, prev: [] })
  return await s.judge.judge(envelope, body)
}

function refusedWith (fact: CustodyFact, name: string): void {
  assert.is(fact.kind, CUSTODY_FACTS.rejected)
  assert.is((fact as { error?: string }).error, name)
}

test('an honest release is imported: the fact names the handle of w = b + f, with w·G = W; f itself is not kept', async () => {
  const s = await published()
  const fShare = ownShare(s.F.state as CustodyState, s.order, 'fiduciary')
  assert.ok(fShare !== null)
  const f = s.F.secrets.get(fShare.handle) as Uint8Array
  const before = s.keys.records.size
  const fact = await release(s, f)
  assert.is(fact.kind, CUSTODY_FACTS.release)
  const imported = (fact as { imported: { share?: string, wallet: string } | null }).imported
  assert.ok(imported !== null)
  assert.is(s.keys.records.size, before + 1)
  assert.is(imported.share, undefined)
  const own = roleOrder(s.B.state as CustodyState, 'beneficiary', s.order)?.share
  assert.ok(own != null)
  assert.is(toHex(s.keys.records.get(imported.wallet) as Uint8Array), toHex(combineSecretShares(s.keys.records.get(own.handle) as Uint8Array, f)))
  const wallet = roleOrder(s.B.state as CustodyState, 'beneficiary', s.order)?.wallet
  assert.ok(wallet != null && equalBytes(secp256k1PublicKey(s.keys.records.get(imported.wallet) as Uint8Array), wallet.walletKey))
})

test('a share that is not the secret of the announced key: KeyMismatchError, and its import is destroyed again', async () => {
  const s = await published()
  const before = [...s.keys.records.keys()]
  refusedWith(await release(s, generateSecp256k1SecretKey()), 'KeyMismatchError')
  assert.equal([...s.keys.records.keys()], before)
})

test('a sum that is not the wallet key (own share swapped in the store): CommitmentMismatchError, the import destroyed', async () => {
  const s = await published()
  const own = roleOrder(s.B.state as CustodyState, 'beneficiary', s.order)?.share
  assert.ok(own != null)
  s.keys.swap.set(own.handle, generateSecp256k1SecretKey())
  const fShare = ownShare(s.F.state as CustodyState, s.order, 'fiduciary')
  assert.ok(fShare !== null)
  const before = [...s.keys.records.keys()]
  refusedWith(await release(s, s.F.secrets.get(fShare.handle) as Uint8Array), 'CommitmentMismatchError')
  assert.equal([...s.keys.records.keys()], before)
})

test('a released value that is not a scalar (zero): InvalidKeyError, nothing imported', async () => {
  const s = await published()
  const before = [...s.keys.records.keys()]
  refusedWith(await release(s, new Uint8Array(32)), 'InvalidKeyError')
  assert.equal([...s.keys.records.keys()], before)
})

test.run()
