// `milagro init` driven as a user would: as a child process, answers on stdin, flags, --network.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadHome } from '../../../node/home.ts'

const cli = fileURLToPath(new URL('../../../bin/milagro.js', import.meta.url))
let dir = ''
test.before(async () => { dir = await mkdtemp(join(tmpdir(), 'milagro-init-')) })
test.after(async () => { await rm(dir, { recursive: true, force: true }) })

function run (args: string[], stdin = ''): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'], signal: AbortSignal.timeout(30_000) })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(stdin)
  })
}

test('interactive mode: answers on stdin, empty answers take the defaults', async () => {
  const home = join(dir, 'interactive')
  const answers = [home, 'alpha', 'fiduciary,beneficiary', '', '/ip4/127.0.0.1/tcp/4301', '', '', '4302', ''].join('\n') + '\n'
  const r = await run(['init', '--interactive'], answers)
  assert.is(r.code, 0, r.stderr)
  assert.ok(r.stdout.includes('Node name [milagro-node]'))
  const loaded = await loadHome(home)
  assert.is(loaded.config.name, 'alpha')
  assert.equal(loaded.config.roles, ['fiduciary', 'beneficiary'])
  assert.equal(loaded.config.services, ['custody', 'safeguard', 'mpin', 'threshold'])
  assert.equal(loaded.config.listen, ['/ip4/127.0.0.1/tcp/4301'])
  assert.is(loaded.config.api.port, 4302)
  assert.is(loaded.config.keystore.backend, 'software')
})

test('flags: JSON output; a second init refuses and leaves the node as it was', async () => {
  const home = join(dir, 'flags')
  const r = await run(['init', '--home', home, '--name', 'beta', '--roles', 'principal', '--json'])
  assert.is(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { identity: string, roles: string[] }
  assert.equal(out.roles, ['principal'])
  const again = await run(['init', '--home', home, '--name', 'gamma', '--json'])
  assert.is(again.code, 1)
  assert.ok(again.stderr.includes('HomeExistsError'))
  assert.is((await loadHome(home)).keys.identity.cid.toString(), out.identity)
})

test('text output says where the node keys are and warns loudly when only a key file seals them', async () => {
  const home = join(dir, 'text')
  const r = await run(['init', '--home', home, '--name', 'delta', '--yes'])
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /NO HSM AND NO PASSPHRASE: node keys \(keys\/node\.sealed\) and service secrets are sealed by a software key kept in keystore\/kek\.key/)
  assert.not.match(r.stdout, /node\.json/)
})

test('an invalid setting names the field; nothing is created', async () => {
  const home = join(dir, 'invalid')
  const r = await run(['init', '--home', home, '--listen', 'localhost:4000', '--yes'])
  assert.is(r.code, 1)
  assert.ok(r.stderr.includes('ConfigError') && r.stderr.includes('listen[0]'), r.stderr)
  await assert.not.ok(await stat(home).then(() => true, () => false))
})

test('--network 3 writes three wired homes with distinct ports and the three roles', async () => {
  const out = join(dir, 'net')
  const r = await run(['init', '--network', '3', '--out', out, '--json'])
  assert.is(r.code, 0, r.stderr)
  const homes = await Promise.all([0, 1, 2].map((i) => loadHome(join(out, `node${i}`))))
  assert.equal(homes.map((h) => h.config.roles), [['principal'], ['fiduciary'], ['beneficiary']])
  const ports = homes.flatMap((h) => [h.config.listen[0], String(h.config.api.port)])
  assert.is(new Set(ports).size, 6)
  for (const [i, h] of homes.entries()) {
    assert.is(h.config.bootstrap.length, 2)
    for (const [j, other] of homes.entries()) {
      if (i !== j) assert.ok(h.config.bootstrap.some((a) => a.endsWith(`/p2p/${other.keys.identity.doc.peerId}`)))
    }
  }
  assert.is((await stat(join(out, 'node0', 'keys', 'node.sealed'))).mode & 0o777, 0o600)
  await assert.not.ok(await stat(join(out, 'node0', 'keys', 'node.json')).then(() => true, () => false))
  assert.ok((await readFile(join(out, 'node0', 'config.json'), 'utf8')).includes('"bootstrap"'))
})

test.run()
