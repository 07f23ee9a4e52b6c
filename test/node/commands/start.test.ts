import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { adminRequest } from '../../../node/admin/client.ts'
import { homePaths, initHome } from '../../../node/home.ts'
import { encodePlainKeyFile } from '../../../node/node-keys.ts'
import { encodings } from '../../crypto/keystore/suite.ts'

const RUNNER = fileURLToPath(new URL('./cli-runner.ts', import.meta.url))

// Ephemeral ports for the peer and the REST API, so tests never collide on the defaults.
const EPHEMERAL = { MILAGRO_LISTEN: '/ip4/127.0.0.1/tcp/0', MILAGRO_API_PORT: '0' }

function run (args: string[], env: NodeJS.ProcessEnv = { ...process.env, ...EPHEMERAL }): { done: Promise<{ code: number | null, out: string, err: string }>, waitFor: (text: string, signal: AbortSignal) => Promise<void>, kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [RUNNER, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const listeners = new Set<() => void>()
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); for (const l of listeners) l() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const done = new Promise<{ code: number | null, out: string, err: string }>((resolve) => { child.on('exit', (code) => { resolve({ code, out, err }) }) })
  return {
    done,
    kill: (s) => { child.kill(s) },
    waitFor: async (text, signal) => {
      await new Promise<void>((resolve, reject) => {
        const check = (): void => { if (out.includes(text)) { listeners.delete(check); resolve() } }
        listeners.add(check)
        signal.addEventListener('abort', () => { listeners.delete(check); reject(new Error(`no '${text}' in output: ${out} ${err}`)) }, { once: true })
        void done.then(() => { if (!out.includes(text)) reject(new Error(`exited without '${text}': ${out} ${err}`)) })
        check()
      })
    }
  }
}

test('start creates a missing home (MILAGRO_HOME), runs until SIGTERM, then stops cleanly', async () => {
  const base = await mkdtemp(join(tmpdir(), 'milagro-start-'))
  const home = join(base, 'home')
  try {
    const p = run(['start'], { ...process.env, ...EPHEMERAL, MILAGRO_HOME: home })
    const signal = AbortSignal.timeout(20_000)
    await p.waitFor('running', signal)
    const status = await adminRequest(homePaths(home).adminSocketPath, { cmd: 'status' }, { signal })
    assert.is(status.ok, true)
    p.kill('SIGTERM')
    const result = await p.done
    assert.is(result.code, 0, result.err)
    assert.match(result.out, /created one with default settings/)
    assert.match(result.out, /node stopped/)
    // The node keys and the services share one key store: it starts (and warns) once.
    assert.is((result.out + result.err).split('NO HSM PROTECTS THIS NODE').length - 1, 1, 'the key store started once')
    assert.is(await stat(homePaths(home).adminSocketPath).then(() => 'present', () => 'gone'), 'gone')
  } finally {
    await rm(base, { recursive: true, force: true })
  }
})

test('admin prints a node\'s status as JSON, and fails with a clear message when no node runs', async () => {
  const base = await mkdtemp(join(tmpdir(), 'milagro-admin-cli-'))
  const home = join(base, 'home')
  try {
    await initHome(home, { name: 'cli', listen: ['/ip4/127.0.0.1/tcp/0'] })
    const none = await run(['admin', 'status', '--home', home]).done
    assert.is(none.code, 1)
    assert.match(none.err, /AdminUnavailableError: no node is running/)
    const p = run(['start', '--home', home])
    const signal = AbortSignal.timeout(20_000)
    await p.waitFor('running', signal)
    const status = await run(['admin', 'status', '--home', home, '--json']).done
    assert.is(status.code, 0, status.err)
    const reply = JSON.parse(status.out) as { ok: boolean, result: { name: string } }
    assert.is(reply.ok, true)
    assert.is(reply.result.name, 'cli')
    const bogus = await run(['admin', 'reboot', '--home', home]).done
    assert.is(bogus.code, 1)
    assert.match(bogus.err, /unknown command 'reboot'/)
    const stop = await run(['admin', 'stop', '--home', home]).done
    assert.is(stop.code, 0, stop.err)
    const result = await p.done
    assert.is(result.code, 0, result.err)
  } finally {
    await rm(base, { recursive: true, force: true })
  }
})

test('start of a home with legacy plaintext keys/node.json: seals them, removes the plaintext, logs it once, no secret in the output', async () => {
  const base = await mkdtemp(join(tmpdir(), 'milagro-start-legacy-'))
  const home = join(base, 'home')
  try {
    const created = await initHome(home, { name: 'legacy', listen: ['/ip4/127.0.0.1/tcp/0'] })
    const p = homePaths(home)
    await writeFile(p.legacyKeysPath, encodePlainKeyFile(created.keys), { mode: 0o600 })
    await unlink(p.keysPath)
    const started = run(['start', '--home', home])
    const signal = AbortSignal.timeout(20_000)
    await started.waitFor('running', signal)
    assert.is(await stat(p.legacyKeysPath).then(() => 'present', () => 'gone'), 'gone')
    assert.is((JSON.parse(await readFile(p.keysPath, 'utf8')) as { v: number }).v, 2)
    const stop = await run(['admin', 'stop', '--home', home]).done
    assert.is(stop.code, 0, stop.err)
    const result = await started.done
    assert.is(result.code, 0, result.err)
    assert.is(result.out.split('\n').filter((l) => l.includes('node keys migrated')).length, 1, result.out)
    assert.match(result.out, new RegExp(`identity  ${created.keys.identity.cid.toString()}`))
    const k = created.keys
    for (const secret of [k.signingSecretKey, k.encryptionSecretKey, k.custodySecretKey, k.libp2pKey.raw]) {
      for (const enc of encodings(secret)) assert.not.ok(result.out.includes(enc) || result.err.includes(enc), 'a node secret in the output')
    }
  } finally {
    await rm(base, { recursive: true, force: true })
  }
})

test('start with a wrong key store passphrase refuses with NodeKeysLockedError naming the key file', async () => {
  const base = await mkdtemp(join(tmpdir(), 'milagro-start-locked-'))
  const home = join(base, 'home')
  const env = 'MILAGRO_TEST_START_PASSPHRASE'
  try {
    process.env[env] = 'right'
    await initHome(home, { name: 'locked', listen: ['/ip4/127.0.0.1/tcp/0'], keystore: { backend: 'software', passphraseEnv: env } })
    const result = await run(['start', '--home', home], { ...process.env, ...EPHEMERAL, [env]: 'wrong' }).done
    assert.is(result.code, 1)
    assert.match(result.err, /NodeKeysLockedError/)
    assert.ok(result.err.includes(homePaths(home).keysPath), result.err)
    assert.match(result.err, /WrongPassphraseError/)
  } finally {
    delete process.env[env]
    await rm(base, { recursive: true, force: true })
  }
})

test.run()
