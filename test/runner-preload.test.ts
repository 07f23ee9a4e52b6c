// test/runner-preload.ts: a failing test.before hook is reported (uvu itself drops the error and
// prints only "0 / N"). Runs a fixture as the runner does (`--import` the preload) and without it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const preload = pathToFileURL(fileURLToPath(new URL('./runner-preload.ts', import.meta.url))).href
const fixture = fileURLToPath(new URL('./fixtures/before-fails.ts', import.meta.url))

function run (args: string[]): string {
  const r = spawnSync(process.execPath, [...args, fixture], { cwd: root, encoding: 'utf8', timeout: 30_000, env: { ...process.env, FORCE_COLOR: '0' } })
  return `${r.stdout}${r.stderr}`
}

test('with the preload, the error of a failing before hook is printed with its stack', () => {
  const out = run(['--import', preload])
  assert.match(out, /a test\.before hook failed/)
  assert.match(out, /setup failed: the fixture says so/)
  assert.match(out, /Passed:\s+0/)
})

test('without it, uvu prints no error at all (why the preload exists)', () => {
  const out = run([])
  assert.not.match(out, /setup failed/)
  assert.match(out, /Total:\s+1/)
})

test.run()
