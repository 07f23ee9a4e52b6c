// End-of-file teardown for test files that start nodes, peers, child processes or threads.
//
// What uvu (0.5) does when a test throws: it catches the error, runs the `after.each` hooks, goes
// on with the next test, and runs the `after` hooks in a `finally` (also when a `before` hook
// threw); then it prints the summary and sets process.exitCode. It never calls process.exit: the
// process ends only once nothing is left open. So whatever a failed test started and its own
// teardown does not hold keeps the file's process alive until the runner (run.ts) kills it at its
// time limit — e.g. nodes started by a helper that then failed before handing them back (an
// introduction in startNetwork that timed out), a child process that waits for its stdin to end, a
// ref'd interval left running.
//
// The helpers that start something register it here as they create it (`track`). Importing this
// module adds one `test.after` hook to uvu's default suite, which stops every tracked thing, in
// parallel, each stop bounded by STOP_BOUND_MS. Then it arms an exit watchdog: an unref'd timer,
// so it fires only if something else still keeps the process alive EXIT_GRACE_MS later; it then
// writes what is still open (open-handles.ts) to stderr and exits with a non-zero code. A leak
// thus fails its file within seconds and says what leaked, instead of a silent 180 s hang.
//
// The hook is added when this module is first imported — before the test file's own hooks, since
// imports run first — so it runs before them; a file's own `test.after` then finds the tracked
// things already stopped (every stop here is idempotent).
import { test } from 'uvu'
import { openHandles } from './open-handles.ts'

/** Bound on one tracked thing's stop at the end of the file. */
export const STOP_BOUND_MS = 15_000
/** Time the process has to exit on its own after the teardown before the watchdog ends it (MILAGRO_TEST_EXIT_GRACE_MS). */
export const EXIT_GRACE_MS = Number(process.env.MILAGRO_TEST_EXIT_GRACE_MS ?? 15_000)

interface Tracked {
  readonly label: string
  readonly stop: () => Promise<unknown> | unknown
}

const tracked = new Set<Tracked>()

/**
 * Registers something to stop at the end of the test file, if it is still running then. `stop`
 * must be idempotent (it may run after the test stopped the thing itself). Returns a function that
 * removes the registration (for things that cannot come back once stopped, e.g. processes).
 */
export function track (label: string, stop: () => Promise<unknown> | unknown): () => void {
  const entry: Tracked = { label, stop }
  tracked.add(entry)
  return () => { tracked.delete(entry) }
}

/** How many things are registered (for tests of this module). */
export function trackedCount (): number {
  return tracked.size
}

/**
 * Stops every tracked thing, in parallel, each bounded by `boundMs`; resolves with a line per stop
 * that failed or overran (those are left behind — the exit watchdog deals with what they hold).
 */
export async function stopTracked (boundMs = STOP_BOUND_MS): Promise<string[]> {
  const entries = [...tracked]
  tracked.clear()
  const problems: string[] = []
  await Promise.all(entries.map(async (t) => {
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const done = Promise.resolve().then(t.stop)
      done.catch(() => {}) // may settle after the bound; reported below either way
      await Promise.race([done, new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error(`did not stop within ${boundMs} ms`)) }, boundMs)
      })])
    } catch (err) {
      problems.push(`${t.label}: ${(err as Error).message}`)
    } finally {
      clearTimeout(timer)
    }
  }))
  return problems
}

let watchdog: ReturnType<typeof setTimeout> | undefined

/** Exits the process (non-zero) if it is still alive `graceMs` from now, saying what is open. */
export function armExitWatchdog (graceMs = EXIT_GRACE_MS): void {
  if (watchdog !== undefined) return
  watchdog = setTimeout(() => {
    const code = typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : 1
    process.stderr.write(`\n[teardown] the process was still running ${graceMs} ms after the tests' teardown; open: ${openHandles()}; exiting with code ${code}\n`)
    process.exit(code)
  }, graceMs)
  watchdog.unref()
}

test.after(async () => {
  const problems = await stopTracked()
  for (const p of problems) process.stderr.write(`[teardown] ${p}\n`)
  armExitWatchdog()
})
