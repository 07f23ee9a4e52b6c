import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiToken, ensureApiToken, readApiToken, tokenMatches } from '../../../node/api/token.ts'
import { initHome } from '../../../node/home.ts'

const dir = await mkdtemp(join(tmpdir(), 'milagro-token-'))

test('milagro init creates <home>/api-token with mode 0600 holding a 256-bit base64url token', async () => {
  const home = await initHome(join(dir, 'home'), { name: 'token-test' })
  const s = await stat(home.paths.apiTokenPath)
  assert.is(s.mode & 0o777, 0o600)
  const token = await readApiToken(home.paths.apiTokenPath)
  assert.match(token, /^[A-Za-z0-9_-]{43}$/)
  assert.is(Buffer.from(token, 'base64url').length, 32)
})

test('a token readable by others, missing or malformed is refused (ApiTokenError); ensure creates a missing one', async () => {
  const path = join(dir, 'loose')
  await createApiToken(path)
  await chmod(path, 0o644)
  await rejects(readApiToken(path), { name: 'ApiTokenError' })
  await rejects(readApiToken(join(dir, 'absent')), { name: 'ApiTokenError' })
  const bad = join(dir, 'bad')
  await writeFile(bad, 'not a token\n', { mode: 0o600 })
  await rejects(readApiToken(bad), { name: 'ApiTokenError' })
  const made = await ensureApiToken(join(dir, 'made'))
  assert.is(await ensureApiToken(join(dir, 'made')), made, 'an existing token is kept')
})

test('tokenMatches compares exactly', () => {
  assert.ok(tokenMatches('abc', 'abc'))
  assert.not.ok(tokenMatches('abc', 'abd'))
  assert.not.ok(tokenMatches('abc', 'abcd'))
  assert.not.ok(tokenMatches('abc', ''))
})

test.after(async () => { await rm(dir, { recursive: true, force: true }) })
test.run()
