// Helpers for the corruption tests: build a log, damage it the way disks and operators do, and
// look at it with audit and with a node start.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { audit, type AuditOptions, type AuditReport } from '../../storage/audit.ts'
import { cidOfBlock, type StoredEntry } from '../../storage/entry.ts'
import { createStores, dataPaths, type Stores } from '../../storage/stores.ts'
import type { Effect } from '../../storage/types.ts'
import { counterMachine, openLog, resolveSigningKey, type CounterState } from './fixture.ts'

/** Appends `n` entries in groups of `group` (so most entries are covered by a later signature). */
export async function buildLog (home: string, n: number, init: { checkpointEvery?: number } = {}): Promise<StoredEntry[]> {
  const { log, close } = await openLog<CounterState, Effect>(home, { machine: counterMachine(), checkpointEvery: init.checkpointEvery ?? 0 })
  for (let i = 0; i < n; i += 5) {
    await Promise.all(Array.from({ length: Math.min(5, n - i) }, (_, j) => {
      const k = i + j
      if (k % 7 === 3) {
        const bytes = dagCbor.encode({ envelope: k })
        const cid = cidOfBlock(bytes)
        return log.append({ kind: 'envelope.sent', link: cid }, { blocks: [{ cid, bytes }] })
      }
      return log.append({ kind: k % 4 === 0 ? 'order' : 'note', body: { k, text: `payload-${k}-${'x'.repeat(40)}` } })
    }))
  }
  const entries: StoredEntry[] = []
  for (let s = 0; s <= log.head!.seq; s++) entries.push(await log.get(s))
  await close()
  return entries
}

export async function withStores<T> (home: string, fn: (s: Stores) => Promise<T>): Promise<T> {
  const stores = createStores(dataPaths(home), { createIfMissing: false })
  await stores.start()
  try {
    return await fn(stores)
  } finally {
    await stores.stop()
  }
}

export async function auditHome (home: string, extra: Partial<AuditOptions<CounterState, Effect>> = {}): Promise<AuditReport<CounterState>> {
  return withStores(home, (s) => audit(s, { machine: counterMachine(), resolveSigningKey, ...extra }))
}

/** Rewrites LevelDB's tables so that every block sits in an .ldb file (as on a long-running node). */
export async function compact (home: string): Promise<void> {
  for (let i = 0; i < 2; i++) await withStores(home, async () => {})
}

/** Flips one byte inside `needle` wherever it sits in the files of a LevelDB directory. */
export function flipOnDisk (dir: string, needle: Uint8Array, ext: '.ldb' | '.log'): string {
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(ext)) continue
    const path = join(dir, f)
    const b = readFileSync(path)
    const at = b.indexOf(Buffer.from(needle))
    if (at >= 0) {
      b[at + Math.floor(needle.length / 2)]! ^= 0x20
      writeFileSync(path, b)
      return f
    }
  }
  throw new Error(`needle not found in any ${ext} file of ${dir}`)
}
