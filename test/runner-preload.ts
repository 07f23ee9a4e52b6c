// Loaded by the runner (run.ts, `--import`) into each test file's process.
//
// - On SIGUSR2 — which the runner sends when a file reaches its time limit, two seconds before it
//   kills it — writes what the process still has open (open-handles.ts) to stderr, so that the
//   runner's output says what kept a hung file alive. A signal listener does not keep the process
//   alive.
// - Makes a failing `test.before` hook say why. uvu (0.5) runs the `before` hooks inside a
//   try/finally whose `finally` returns, so an error thrown by one is dropped: the file reports
//   "0 / N" with no message at all (a multi-node setup that timed out looked exactly like that).
//   The hooks of uvu's default suite are wrapped here to write the error to stderr before it is
//   rethrown (and dropped by uvu). Files that build their own `suite()` are not covered.
import { test } from 'uvu'
import { openHandles } from './open-handles.ts'

process.on('SIGUSR2', () => {
  process.stderr.write(`\n[runner] open at the time limit: ${openHandles()}\n`)
})

type Hook = Parameters<typeof test.before>[0]
const before = test.before
const each = before.each
test.before = Object.assign((fn: Hook) => {
  before(async (context) => {
    try {
      await fn(context)
    } catch (err) {
      process.stderr.write(`\n[runner] a test.before hook failed (uvu does not report it; no test of this file ran):\n${(err as Error)?.stack ?? String(err)}\n`)
      throw err
    }
  })
}, { each })
