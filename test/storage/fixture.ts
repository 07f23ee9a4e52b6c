// Shared fixture of the storage tests: a temporary home, a test identity (keys derived from its
// name, see test/fixtures/identities.ts), a resolver backed by a map, and a log opened on them.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CID } from 'multiformats/cid'
import { LevelLog, type LogInit } from '../../storage/log.ts'
import { createStores, dataPaths, type Stores } from '../../storage/stores.ts'
import type { Effect } from '../../storage/types.ts'
import { testNode, type TestNode } from '../fixtures/identities.ts'
import { createMachine } from '../../protocol/state/fold.ts'

export const alice: TestNode = await testNode('alice')
export const bob: TestNode = await testNode('bob')

const keys = new Map<string, Uint8Array>([
  [alice.identity.cid.toString(), alice.signer.publicKey],
  [bob.identity.cid.toString(), bob.signer.publicKey]
])

export async function resolveSigningKey (author: CID): Promise<Uint8Array> {
  const key = keys.get(author.toString())
  if (key === undefined) throw new Error(`unknown identity ${author.toString()}`)
  return key
}

export function tempHome (prefix = 'milagro-storage-'): { home: string, remove: () => void } {
  const home = mkdtempSync(join(tmpdir(), prefix))
  return { home, remove: () => rmSync(home, { recursive: true, force: true }) }
}

/** Runs `fn` in a fresh temporary home, removed afterwards. */
export async function inTempHome<T> (fn: (home: string) => Promise<T>): Promise<T> {
  const { home, remove } = tempHome()
  try {
    return await fn(home)
  } finally {
    remove()
  }
}

export interface Opened<S, E extends Effect> {
  readonly stores: Stores
  readonly log: LevelLog<S, E>
  close (): Promise<void>
}

/** Opens stores and a log under `home` as `who` (default alice) and starts both. */
export async function openLog<S = null, E extends Effect = Effect> (home: string, init: Partial<LogInit<S, E>> = {}, who: TestNode = alice): Promise<Opened<S, E>> {
  const stores = createStores(dataPaths(home))
  await stores.start()
  const log = new LevelLog<S, E>({ blockstore: stores.blockstore, state: stores.state }, {
    author: who.identity.cid,
    signer: who.signer,
    resolveSigningKey,
    ...init
  })
  try {
    await log.start()
  } catch (err) {
    await stores.stop()
    throw err
  }
  return { stores, log, async close () { await log.stop(); await stores.stop() } }
}

export const enc = new TextEncoder()

/** A small state machine for storage tests: counts entries; an 'order' entry asks for two effects. */
export interface CounterState { readonly n: number, readonly orders: number }
export function counterMachine (version = 1) {
  return createMachine<CounterState, Effect>({
    version,
    initial: { n: 0, orders: 0 },
    reducer: (s, e) => e.kind === 'order'
      ? { state: { n: s.n + 1, orders: s.orders + 1 }, effects: [{ type: 'reply', seq: e.seq }, { type: 'notify', seq: e.seq }] }
      : { state: { n: s.n + 1, orders: s.orders }, effects: [] }
  })
}
