// Crash points: named instants at which a reliability test can make this process die as a power
// cut would (SIGKILL: no cleanup, no flush, no `finally`), to check that whatever is on disk at
// that instant recovers (test/reliability/crash-harness.ts).
//
// Armed only from outside: the environment `MILAGRO_CRASH_AT=<name>:<n>` (or `armCrashPoint`,
// which a test child calls on a command of its driver) kills the process the n-th time (1-based)
// execution reaches the point `name`. Before dying it writes `crash-point <name>:<n>` on stderr
// (synchronously), so the driver knows which instant it hit. Unarmed — always, in production — a
// crash point costs one comparison.
import { writeSync } from 'node:fs'

interface Armed { readonly name: string, readonly n: number, hits: number }

let armed: Armed | undefined = parseCrashSpec(process.env.MILAGRO_CRASH_AT)

/** `<name>:<n>` → the point and the hit that kills; undefined for an empty or malformed spec. */
export function parseCrashSpec (spec: string | undefined): Armed | undefined {
  if (spec === undefined || spec === '') return undefined
  const i = spec.lastIndexOf(':')
  const name = i === -1 ? spec : spec.slice(0, i)
  const n = i === -1 ? 1 : Number(spec.slice(i + 1))
  if (name === '' || !Number.isSafeInteger(n) || n < 1) throw new RangeError(`MILAGRO_CRASH_AT must be <name>:<n> with n >= 1, got '${spec}'`)
  return { name, n, hits: 0 }
}

/** Arms (or, with undefined, disarms) the crash point of this process; for test children only. */
export function armCrashPoint (spec: string | undefined): void {
  armed = parseCrashSpec(spec)
}

/** Dies here (SIGKILL) if this is the armed point's n-th hit. */
export function crashPoint (name: string): void {
  if (armed === undefined || armed.name !== name) return
  if (++armed.hits < armed.n) return
  writeSync(2, `crash-point ${name}:${armed.hits}\n`)
  process.kill(process.pid, 'SIGKILL')
}
