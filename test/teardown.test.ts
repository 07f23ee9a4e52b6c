// teardown.ts: a test file whose test fails after starting real nodes, peers, child processes —
// or which leaves something it cannot stop running — still exits, promptly and non-zero. Each case
// of fixtures/teardown-fixture.ts runs as a child process with its own TMPDIR (so that the homes
// it leaves behind can be listed), bounded by EXIT_BOUND_MS.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stopTracked, track, trackedCount } from './teardown.ts'

const FIXTURE = fileURLToPath(new URL('./fixtures/teardown-fixture.ts', import.meta.url))
/** The bound on a failing file's exit (the runner's time limit is 180 s). */
const EXIT_BOUND_MS = 30_000
const WATCHDOG = '[teardown] the process was still running'

interface Run { readonly code: number | null, readonly signal: NodeJS.Signals | null, readonly ms: number, readonly stdout: string, readonly stderr: string, readonly left: string[] }

async function runFixture (which: string, env: Readonly<Record<string, string>> = {}): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-teardown-'))
  try {
    const started = performance.now()
    const child = spawn(process.execPath, [FIXTURE, which], { env: { ...process.env, ...env, TMPDIR: dir, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, EXIT_BOUND_MS)
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => { child.on('close', (c, s) => { resolve([c, s]) }) })
    clearTimeout(timer)
    const left = (await readdir(dir)).filter((n) => n.startsWith('milagro-'))
    return { code, signal, ms: performance.now() - started, stdout, stderr, left }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function exitedOnItsOwn (r: Run, what: string): void {
  assert.is(r.signal, null, `${what}: killed at the ${EXIT_BOUND_MS} ms bound (${Math.round(r.ms)} ms); stderr: ${r.stderr.slice(-2_000)}`)
  assert.is(r.code, 1, `${what}: exit code; stderr: ${r.stderr.slice(-2_000)}`)
  assert.ok(r.stdout.includes('injected failure') || r.stdout.includes('aborted'), `${what}: the failure is reported: ${r.stdout.slice(-1_000)}`)
  assert.not.ok(r.stderr.includes(WATCHDOG), `${what}: the exit watchdog had to end it: ${r.stderr.slice(-2_000)}`)
  assert.not.ok(r.stderr.includes('Exiting early before testing is finished'), `${what}: ended before uvu finished (an unhandled rejection?): ${r.stderr.slice(-2_000)}`)
}

test('an introduction failing inside startNetwork: its nodes are stopped and their homes removed; the file exits non-zero at once', async () => {
  const r = await runFixture('network')
  exitedOnItsOwn(r, 'network')
  assert.equal(r.left, [], 'homes left behind')
})

test('nodes on loopback and a child node started by a test that then throws with no teardown of its own: all stopped, the file exits non-zero', async () => {
  exitedOnItsOwn(await runFixture('left'), 'left')
})

test('the hostile-peer run failing after its memory sampler started: the file exits non-zero', async () => {
  const r = await runFixture('hostile')
  exitedOnItsOwn(r, 'hostile')
  assert.equal(r.left, [], 'homes left behind')
})

test('a leak no teardown knows of (a ref\'d interval): the exit watchdog ends the file non-zero and names what was open', async () => {
  const r = await runFixture('leak', { MILAGRO_TEST_EXIT_GRACE_MS: '1000' })
  assert.is(r.signal, null, `killed at the ${EXIT_BOUND_MS} ms bound`)
  assert.is(r.code, 1)
  assert.ok(r.stdout.includes('Passed:    1'), r.stdout)
  assert.match(r.stderr, /\[teardown\] the process was still running 1000 ms after the tests' teardown; open: .*\b1 Timeout\b/)
})

test('stopTracked: every tracked stop runs; one that throws or overruns its bound is reported by label, and does not hold up the others', async () => {
  const stopped: string[] = []
  track('ok', () => { stopped.push('ok') })
  track('throws', () => { throw new Error('boom') })
  track('hangs', async () => await new Promise(() => {}))
  const untrack = track('untracked', () => { stopped.push('untracked') })
  untrack()
  const started = performance.now()
  const problems = await stopTracked(200)
  assert.ok(performance.now() - started < 5_000)
  assert.equal(stopped, ['ok'])
  assert.equal(problems.sort(), ['hangs: did not stop within 200 ms', 'throws: boom'])
  assert.is(trackedCount(), 0)
})

test.run()
