// PIN / passphrase sources: environment variable or private file, never anything else.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describePinSource, readPin, type PinSource } from '../../../crypto/keystore/pin.ts'

test('env: the value as is; unset or empty → PinSourceError', async () => {
  process.env.MILAGRO_TEST_PIN_A = ' 12 34\n'
  assert.is(await readPin({ env: 'MILAGRO_TEST_PIN_A' }), ' 12 34\n')
  delete process.env.MILAGRO_TEST_PIN_B
  await rejects(readPin({ env: 'MILAGRO_TEST_PIN_B' }), { name: 'PinSourceError' })
  process.env.MILAGRO_TEST_PIN_B = ''
  await rejects(readPin({ env: 'MILAGRO_TEST_PIN_B' }), { name: 'PinSourceError' })
  await rejects(readPin({ env: 'MILAGRO_TEST_PIN_A' }, { signal: AbortSignal.abort() }), { name: 'AbortError' })
})

test('file: 0600 read with one trailing newline dropped; loose modes, missing or empty files refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-pin-'))
  try {
    const f = join(dir, 'pin')
    for (const [content, expected] of [['1234\n', '1234'], ['1234\r\n', '1234'], ['1234', '1234'], ['12 34\n\n', '12 34\n']]) {
      await writeFile(f, content!, { mode: 0o600 })
      assert.is(await readPin({ file: f }), expected)
    }
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      await chmod(f, mode)
      await rejects(readPin({ file: f }), { name: 'InsecureFileError' }, mode.toString(8))
    }
    await chmod(f, 0o600)
    await writeFile(f, '\n')
    await rejects(readPin({ file: f }), { name: 'PinSourceError' })
    await rejects(readPin({ file: join(dir, 'absent') }), { name: 'PinSourceError' })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('anything else is a TypeError (there is no inline PIN source)', async () => {
  for (const bad of [{}, { pin: '1234' }, { env: 7 }, { file: null }]) {
    await rejects(readPin(bad as unknown as PinSource), { name: 'TypeError' })
  }
  assert.is(describePinSource({ env: 'X' }), 'environment variable X')
  assert.is(describePinSource({ file: '/p' }), 'file /p')
})

test.run()
