// Child process of crash.test.ts: appends in a loop (groups of random size, some of them orders
// that produce effects), "executes" effects by recording their keys in a journal, marks them done,
// and reports every durable entry on stdout — until the parent kills it with SIGKILL.
//   node test/storage/crash-child.ts <home> <journal>
import { appendFileSync } from 'node:fs'
import type { Effect } from '../../storage/types.ts'
import { counterMachine, openLog, type CounterState } from './fixture.ts'

const [home, journal] = process.argv.slice(2) as [string, string]
const { log } = await openLog<CounterState, Effect>(home, { machine: counterMachine(), checkpointEvery: 25, auditHint: 'crash child' })

async function execute (keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return
  appendFileSync(journal, keys.map((k) => `exec ${k}\n`).join(''))
  appendFileSync(journal, keys.map((k) => `marking ${k}\n`).join(''))
  await log.markDone(keys)
  appendFileSync(journal, keys.map((k) => `done ${k}\n`).join(''))
}

await execute(log.pending().map((e) => e.key))
process.stdout.write(`ready ${log.head?.seq ?? -1}\n`)
for (let i = 0; ; i++) {
  const n = 1 + Math.floor(Math.random() * 8)
  const results = await Promise.all(Array.from({ length: n }, (_, j) =>
    log.append({ kind: Math.random() < 0.3 ? 'order' : 'note', body: { i, j, pad: 'x'.repeat(150) } })))
  process.stdout.write(results.map((r) => `durable ${r.entry.seq} ${r.entry.cid.toString()}\n`).join(''))
  // Sometimes leave effects for later: they must survive in the outbox.
  if (Math.random() < 0.7) await execute(log.pending().map((e) => e.key))
}
