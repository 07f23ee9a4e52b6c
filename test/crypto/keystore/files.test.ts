// Private files: atomic 0600 writes, private directories, reads that refuse loose permissions.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { directorySyncs, ensurePrivateDir, readPrivateFile, writeFileAtomic } from '../../../crypto/keystore/files.ts'
import { withTemp } from './suite.ts'

test('writeFileAtomic: 0600, replaces whole files, leaves no temp file; aborted → nothing written', async () => {
  await withTemp(async (dir) => {
    const path = join(dir, 'f')
    await writeFileAtomic(path, Uint8Array.of(1, 2, 3))
    assert.is((await stat(path)).mode & 0o777, 0o600)
    await writeFileAtomic(path, Uint8Array.of(9))
    assert.equal([...await readFile(path)], [9])
    await rejects(writeFileAtomic(join(dir, 'g'), Uint8Array.of(1), { signal: AbortSignal.abort() }), { name: 'AbortError' })
    assert.equal(await readdir(dir), ['f'])
  })
})

test('directory fsyncs: concurrent writers share them, sequential writers each get one; every file is whole', async () => {
  await withTemp(async (d) => {
    await ensurePrivateDir(d)
    let before = directorySyncs()
    for (let i = 0; i < 4; i++) await writeFileAtomic(join(d, `seq-${i}`), Uint8Array.of(i))
    assert.is(directorySyncs() - before, 4, 'one per sequential write')
    before = directorySyncs()
    const n = 24
    await Promise.all(Array.from({ length: n }, async (_, i) => { await writeFileAtomic(join(d, `con-${i}`), new Uint8Array(100).fill(i)) }))
    const shared = directorySyncs() - before
    assert.ok(shared >= 1 && shared < n, `${shared} directory fsyncs for ${n} concurrent writes`)
    for (let i = 0; i < n; i++) assert.equal(new Uint8Array(await readFile(join(d, `con-${i}`))), new Uint8Array(100).fill(i))
    assert.equal((await readdir(d)).filter((f) => f.endsWith('.tmp')), [])
  })
})

test('ensurePrivateDir: creates 0700, accepts 0700, refuses group/other access', async () => {
  await withTemp(async (dir) => {
    const d = join(dir, 'a', 'b')
    await ensurePrivateDir(d)
    assert.is((await stat(d)).mode & 0o777, 0o700)
    await ensurePrivateDir(d)
    for (const mode of [0o750, 0o705, 0o755]) {
      await chmod(d, mode)
      await rejects(ensurePrivateDir(d), { name: 'InsecureFileError' }, mode.toString(8))
    }
    await writeFile(join(dir, 'file'), 'x', { mode: 0o600 })
    await rejects(ensurePrivateDir(join(dir, 'file')), { code: 'EEXIST' })
  })
})

test('readPrivateFile: 0600 and 0400 read; 0640, 0604, a directory and a symlink are refused', async () => {
  await withTemp(async (dir) => {
    const f = join(dir, 'secret')
    await writeFile(f, 'abc', { mode: 0o600 })
    assert.is(Buffer.from(await readPrivateFile(f)).toString(), 'abc')
    await chmod(f, 0o400)
    assert.is(Buffer.from(await readPrivateFile(f)).toString(), 'abc')
    for (const mode of [0o640, 0o604, 0o644, 0o660]) {
      await chmod(f, mode)
      await rejects(readPrivateFile(f), { name: 'InsecureFileError' }, mode.toString(8))
    }
    await chmod(f, 0o600)
    await symlink(f, join(dir, 'link'))
    await rejects(readPrivateFile(join(dir, 'link')), { name: 'InsecureFileError' })
    await mkdir(join(dir, 'd'), { mode: 0o700 })
    await rejects(readPrivateFile(join(dir, 'd')), { name: 'InsecureFileError' })
    await rejects(readPrivateFile(join(dir, 'absent')), { code: 'ENOENT' })
  })
})

test.run()
