// The container entrypoint, run outside Docker (no engine on these machines): first start creates
// the home from MILAGRO_* variables, later starts keep it; the command runs after.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { loadHome } from '../../node/home.ts'

const run = promisify(execFile)
const entrypoint = fileURLToPath(new URL('../../docker/entrypoint.sh', import.meta.url))
let dir = ''
test.before(async () => { dir = await mkdtemp(join(tmpdir(), 'milagro-docker-')) })
test.after(async () => { await rm(dir, { recursive: true, force: true }) })

// The image puts Node 22 first on PATH; here that is the project's node dev dependency.
const env = (home: string): NodeJS.ProcessEnv => ({
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
  MILAGRO_HOME: home,
  MILAGRO_NAME: 'fiduciary-1',
  MILAGRO_ROLES: 'fiduciary',
  MILAGRO_LISTEN: '/ip4/0.0.0.0/tcp/4101',
  MILAGRO_API_HOST: '0.0.0.0'
})

test('first start creates the home from the environment; the second keeps it', async () => {
  const home = join(dir, 'home')
  const first = await run('sh', [entrypoint, '--version'], { env: env(home), signal: AbortSignal.timeout(30_000) })
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  assert.is(first.stdout.trim(), pkg.version)
  assert.ok(first.stderr.includes('creating one'))
  const loaded = await loadHome(home)
  assert.is(loaded.config.name, 'fiduciary-1')
  const second = await run('sh', [entrypoint, '--version'], { env: env(home), signal: AbortSignal.timeout(30_000) })
  assert.not.ok(second.stderr.includes('creating one'))
  assert.ok((await loadHome(home)).keys.identity.cid.equals(loaded.keys.identity.cid))
  // Overrides apply at start: the file keeps what init wrote, the environment wins when loaded.
  const { readConfig } = await import('../../node/config.ts')
  const c = await readConfig(join(home, 'config.json'), env(home))
  assert.equal(c.roles, ['fiduciary'])
  assert.equal(c.listen, ['/ip4/0.0.0.0/tcp/4101'])
  assert.is(c.api.host, '0.0.0.0')
})

test('without MILAGRO_HOME the entrypoint refuses with a clear message', async () => {
  const e = env('')
  delete e.MILAGRO_HOME
  try {
    await run('sh', [entrypoint, '--version'], { env: e, signal: AbortSignal.timeout(30_000) })
    assert.unreachable('ran without a home')
  } catch (err) {
    assert.ok(String((err as { stderr?: string }).stderr).includes('MILAGRO_HOME must be set'))
  }
})

test('the Dockerfile runs as a non-root user, keeps the home on a volume and never inits at build time', async () => {
  const text = await readFile(new URL('../../Dockerfile', import.meta.url), 'utf8')
  assert.match(text, /^USER milagro$/m)
  assert.match(text, /^VOLUME \/var\/lib\/milagro$/m)
  assert.match(text, /^HEALTHCHECK /m)
  assert.match(text, /npm ci --omit=dev/)
  assert.not.match(text, /^RUN .*milagro(\.js)? init/m)
})

test.run()
