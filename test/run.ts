// Test runner: every `*.test.ts` under test/ runs in its own Node process (isolation for
// sockets, workers and native modules), two at a time, after the type check. Ends with the
// summary line `N passed, N failed[, N skipped]`; exits non-zero on any failure.
//
// A file that fails is run once more, alone, after the others (multi-node tests on loopback are
// timing-sensitive on a loaded 2-core machine). If it then passes it counts as passed and is
// listed as FLAKY in the output, so the flake stays visible; set MILAGRO_TEST_RETRY=0 to disable.
//
// A file still running at its time limit (MILAGRO_TEST_TIMEOUT_MS, default 180 s) is sent SIGUSR2
// first: runner-preload.ts, loaded into every test process, then writes what the process still has
// open (servers, sockets, child processes, timers); two seconds later it is killed (SIGKILL).
//
//   npm test                      type check + every test file
//   npm test -- crypto envelope   only files whose path contains one of the words
//   npm test -- --no-typecheck    skip `tsc --noEmit`
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const args = process.argv.slice(2)
const typecheck = !args.includes('--no-typecheck')
const filters = args.filter((a) => !a.startsWith('--'))
const perFileTimeoutMs = Number(process.env.MILAGRO_TEST_TIMEOUT_MS ?? 180_000)
const retry = process.env.MILAGRO_TEST_RETRY !== '0'

function findTests (dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...findTests(path))
    else if (name.endsWith('.test.ts')) out.push(path)
  }
  return out
}

interface Result { file: string, passed: number, failed: number, skipped: number, output: string, ms: number }

const PRELOAD = pathToFileURL(join(root, 'test', 'runner-preload.ts')).href
/** Time a test process has, after SIGUSR2 at its time limit, to say what it has open. */
const REPORT_GRACE_MS = 2_000

/** `report`: the child loads runner-preload.ts, and gets SIGUSR2 before the kill at the time limit. */
function run (cmd: string, argv: string[], timeoutMs: number, report = false): Promise<{ code: number | null, output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, report ? ['--import', PRELOAD, ...argv] : argv, { cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => { output += d.toString() })
    child.stderr.on('data', (d: Buffer) => { output += d.toString() })
    let kill: ReturnType<typeof setTimeout> | undefined
    const timer = setTimeout(() => {
      output += `\n[runner] timed out after ${timeoutMs} ms, killed\n`
      if (!report) { child.kill('SIGKILL'); return }
      child.kill('SIGUSR2')
      kill = setTimeout(() => { child.kill('SIGKILL') }, REPORT_GRACE_MS)
    }, timeoutMs)
    child.on('close', (code) => { clearTimeout(timer); clearTimeout(kill); resolve({ code, output }) })
  })
}

async function runFile (file: string): Promise<Result> {
  const started = performance.now()
  const { code, output } = await run(process.execPath, [file], perFileTimeoutMs, true)
  const num = (label: string): number => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(output)?.[1] ?? 0)
  const total = num('Total')
  let passed = num('Passed')
  const skipped = num('Skipped')
  let failed = Math.max(0, total - passed - skipped)
  if (code !== 0 && failed === 0) { failed = 1; passed = Math.min(passed, total) }
  return { file: relative(root, file), passed, failed, skipped, output, ms: performance.now() - started }
}

let passed = 0
let failed = 0
let skipped = 0

if (typecheck) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const { code, output } = await run(process.execPath, [tsc, '--noEmit', '-p', root], 300_000)
  if (code === 0) { passed++; console.log('ok   typecheck (tsc --noEmit)') } else { failed++; console.log('FAIL typecheck (tsc --noEmit)\n' + output) }
}

const files = findTests(join(root, 'test')).filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
const queue = [...files]
const workers = Math.max(1, Math.min(Number(process.env.MILAGRO_TEST_JOBS ?? availableParallelism()), 4))
const failedFiles: Result[] = []
const report = (r: Result, tag: string): void => {
  console.log(`${tag} ${r.file} (${r.passed} passed${r.skipped > 0 ? `, ${r.skipped} skipped` : ''}${r.failed > 0 ? `, ${r.failed} failed` : ''}, ${Math.round(r.ms)} ms)`)
  const notes = r.output.split('\n').filter((l) => l.startsWith('SKIP:'))
  for (const n of notes) console.log('     ' + n)
  if (r.failed > 0) console.log(r.output.split('\n').map((l) => '     ' + l).join('\n'))
}
await Promise.all(Array.from({ length: workers }, async () => {
  for (let file = queue.shift(); file != null; file = queue.shift()) {
    const r = await runFile(file)
    if (r.failed > 0 && retry) { failedFiles.push(r); report(r, 'fail'); continue }
    passed += r.passed; failed += r.failed; skipped += r.skipped
    report(r, r.failed > 0 ? 'FAIL' : 'ok  ')
  }
}))
const flaky: string[] = []
for (const first of failedFiles) {
  const r = await runFile(join(root, first.file))
  passed += r.passed; failed += r.failed; skipped += r.skipped
  if (r.failed === 0) flaky.push(r.file)
  report(r, r.failed > 0 ? 'FAIL' : 'ok  ')
}
if (flaky.length > 0) console.log(`FLAKY (failed once, passed when run again alone): ${flaky.join(', ')}`)

console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`)
process.exitCode = failed > 0 ? 1 : 0
