import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fold } from '../../protocol/state/fold.ts'
import type { StoredEntry } from '../../storage/entry.ts'
import type { Effect } from '../../storage/types.ts'
import { auditHome } from './corrupt.ts'
import { counterMachine, openLog, tempHome, type CounterState } from './fixture.ts'

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url))
const KILLS = 8

/** Runs the child until it has reported `target` durable entries, then SIGKILLs it. */
async function runAndKill (home: string, journal: string, target: number): Promise<Map<number, string>> {
  const durable = new Map<number, string>()
  const proc = spawn(process.execPath, [child, home, journal], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const signal = AbortSignal.timeout(30_000)
  await new Promise<void>((resolve, reject) => {
    let buffered = ''
    let seen = 0
    const onAbort = (): void => { proc.kill('SIGKILL'); reject(new Error(`child did not reach ${target} entries in time: ${stderr}`)) }
    signal.addEventListener('abort', onAbort, { once: true })
    proc.stdout.on('data', (d: Buffer) => {
      buffered += d.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        const [word, seq, cid] = line.split(' ')
        if (word !== 'durable') continue
        durable.set(Number(seq), cid as string)
        if (++seen === target) proc.kill('SIGKILL')
      }
    })
    proc.on('exit', (code, sig) => {
      signal.removeEventListener('abort', onAbort)
      if (sig === 'SIGKILL') resolve()
      else reject(new Error(`child exited with ${String(code)} before it was killed: ${stderr}`))
    })
  })
  return durable
}

test(`SIGKILL at random moments (${KILLS} times): every restart opens, audits clean, keeps every acknowledged entry, loses and repeats no effect`, async () => {
  const { home, remove } = tempHome('milagro-crash-')
  const journal = join(home, 'journal')
  try {
    const acknowledged = new Map<number, string>()
    for (let k = 0; k < KILLS; k++) {
      const target = 5 + Math.floor(Math.random() * 60)
      for (const [seq, cid] of await runAndKill(home, journal, target)) acknowledged.set(seq, cid)

      const report = await auditHome(home)
      assert.ok(report.ok, `kill ${k}: audit: ${JSON.stringify(report.problem)}`)
      const { log, close } = await openLog<CounterState, Effect>(home, { machine: counterMachine(), checkpointEvery: 25 })
      try {
        const head = log.head!
        const lastAck = Math.max(...acknowledged.keys())
        assert.ok(head.seq >= lastAck, `kill ${k}: head ${head.seq} lost acknowledged seq ${lastAck}`)
        assert.ok(head.seq <= lastAck + 8 + 1, `kill ${k}: head ${head.seq} is past anything in flight`)
        assert.is(report.entries, head.seq + 1, 'no seq gap')
        const entries: StoredEntry[] = []
        for (let s = 0; s <= head.seq; s++) entries.push(await log.get(s))
        for (const [seq, cid] of acknowledged) assert.is(entries[seq]!.cid.toString(), cid, `kill ${k}: acknowledged seq ${seq} changed`)
        assert.equal(log.state, report.state, 'restart state = fresh replay state')

        const all = fold(counterMachine(), entries).effects.map((e) => e.key)
        const pending = new Set(log.pending().map((e) => e.key))
        const lines = existsSync(journal) ? readFileSync(journal, 'utf8').split('\n') : []
        const done = new Set(lines.filter((l) => l.startsWith('done ')).map((l) => l.slice(5)))
        const marking = new Set(lines.filter((l) => l.startsWith('marking ')).map((l) => l.slice(8)))
        for (const key of pending) assert.not.ok(done.has(key), `kill ${k}: effect ${key} was marked done but comes back`)
        for (const key of all) assert.ok(pending.has(key) || marking.has(key), `kill ${k}: effect ${key} was lost`)
        for (const key of pending) assert.ok(all.includes(key), `kill ${k}: unknown pending effect ${key}`)
      } finally {
        await close()
      }
    }
  } finally {
    remove()
  }
})

test.run()
