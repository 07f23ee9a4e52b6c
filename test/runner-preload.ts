// Loaded by the runner (run.ts, `--import`) into each test file's process. On SIGUSR2 — which the
// runner sends when a file reaches its time limit, two seconds before it kills it — writes what the
// process still has open (open-handles.ts) to stderr, so that the runner's output says what kept a
// hung file alive. A signal listener does not keep the process alive.
import { openHandles } from './open-handles.ts'

process.on('SIGUSR2', () => {
  process.stderr.write(`\n[runner] open at the time limit: ${openHandles()}\n`)
})
