// A node home with a real identity (node/home.ts) and a log holding real envelopes, for the
// audit and log command tests.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { seal } from '../../../protocol/envelope.ts'
import { fullNodeMachine } from '../../../protocol/index.ts'
import type { StoredEntry } from '../../../storage/entry.ts'
import { LevelLog } from '../../../storage/log.ts'
import { createStores, dataPaths } from '../../../storage/stores.ts'
import { initHome } from '../../../node/home.ts'
import { testNode } from '../../fixtures/identities.ts'

export interface HomeLog { readonly home: string, readonly entries: StoredEntry[], remove (): void }

export async function homeWithLog (n = 12): Promise<HomeLog> {
  const home = mkdtempSync(join(tmpdir(), 'milagro-cli-'))
  const { keys, paths } = await initHome(home, { name: 'auditor-test', now: 1_700_000_000_000 })
  const bob = await testNode('bob')
  const stores = createStores(dataPaths(paths.dir))
  await stores.start()
  // Identity documents live in the blockstore (the directory puts peers' there); the node's own too.
  await stores.blockstore.putBlocks([{ cid: bob.identity.cid, bytes: bob.identity.bytes }])
  const log = new LevelLog({ blockstore: stores.blockstore, state: stores.state }, {
    author: keys.identity.cid,
    signer: keys.signer,
    machine: fullNodeMachine(),
    checkpointEvery: 5,
    resolveSigningKey: async (cid) => cid.equals(keys.identity.cid) ? keys.signer.publicKey : bob.signer.publicKey
  })
  await log.start()
  const me = { identity: keys.identity, signer: keys.signer }
  for (let i = 0; i < n; i++) {
    if (i % 4 === 1) {
      const env = seal(me, [bob.identity], 'custody/order', { i })
      await log.append({ kind: 'envelope.sent', link: env.cid }, { blocks: [{ cid: env.cid, bytes: env.bytes }] })
    } else if (i % 4 === 2) {
      const env = seal(bob.sender, [keys.identity], 'custody/reply', { i })
      await log.append({ kind: 'envelope.received', link: env.cid, observedClock: 100 + i }, { blocks: [{ cid: env.cid, bytes: env.bytes }] })
    } else {
      await log.append({ kind: 'key.event', body: { event: 'generated', handle: `ks1:custody:${i}`, publicKey: new Uint8Array(33).fill(2), secretShare: 'must never be shown' } })
    }
  }
  const entries: StoredEntry[] = []
  for (let s = 0; s <= log.head!.seq; s++) entries.push(await log.get(s))
  await log.stop()
  await stores.stop()
  return { home: paths.dir, entries, remove: () => rmSync(home, { recursive: true, force: true }) }
}

/** Runs one registered command, capturing what it prints; returns output and exit status. */
export async function run (register: (p: Command) => void, argv: string[]): Promise<{ out: string, status: number }> {
  const program = new Command('milagro').exitOverride()
  register(program)
  const lines: string[] = []
  const log = console.log
  console.log = (...args: unknown[]) => { lines.push(args.map(String).join(' ')) }
  process.exitCode = 0
  try {
    await program.parseAsync(argv, { from: 'user' })
  } finally {
    console.log = log
  }
  const status = Number(process.exitCode ?? 0)
  process.exitCode = 0
  return { out: lines.join('\n'), status }
}
