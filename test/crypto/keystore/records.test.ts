// Wrapped records: strict decoding, the associated data, the record database, moving the record files of earlier releases.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { newHandle, parseHandle } from '../../../crypto/keystore/handle.ts'
import { decodeRecord, encodeRecord, recordAad, RecordStore, type SealedRecord } from '../../../crypto/keystore/records.ts'
import { withTemp } from './suite.ts'

const named = (name: string) => (e: Error) => e.name === name

/** A record store on `dir`, opened. */
async function opened (dir: string): Promise<RecordStore> {
  const store = new RecordStore(dir)
  await store.init()
  await store.open()
  return store
}

function sample (): SealedRecord {
  const { handle } = newHandle('secp256k1')
  return { handle, kind: 'secp256k1', alg: 'aes-256-gcm', publicPart: new Uint8Array(33).fill(2), iv: new Uint8Array(12).fill(3), ciphertext: new Uint8Array(48).fill(4) }
}

test('encode → decode round trip', () => {
  const r = sample()
  assert.equal(decodeRecord(encodeRecord(r), parseHandle(r.handle)), r)
})

test('decode rejects every deviation with TamperedRecordError', () => {
  const r = sample()
  const h = parseHandle(r.handle)
  const obj = JSON.parse(new TextDecoder().decode(encodeRecord(r))) as Record<string, unknown>
  const variants: Array<Record<string, unknown> | string> = [
    'not json', '[]', 'null', '"x"',
    { ...obj, v: 2 }, { ...obj, extra: 1 }, { ...obj, handle: newHandle('secp256k1').handle }, { ...obj, kind: 'generic' },
    { ...obj, alg: 7 }, { ...obj, iv: '' }, { ...obj, iv: 'AwMDAwMDAwMDAwMD=' }, { ...obj, ct: 'BAQE!' }, { ...obj, publicPart: 5 },
    // non-canonical base64url: 32 zero bytes are 43 'A's; a final 'B' sets a spare bit only
    { ...obj, publicPart: 'A'.repeat(42) + 'B' }
  ]
  assert.is(Buffer.from('A'.repeat(42) + 'B', 'base64url').toString('hex'), '00'.repeat(32), 'Buffer decodes it leniently')
  const withoutCt = { ...obj }
  delete withoutCt.ct
  variants.push(withoutCt)
  for (const v of variants) {
    const bytes = new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v))
    assert.throws(() => decodeRecord(bytes, h), named('TamperedRecordError'), typeof v === 'string' ? v : JSON.stringify(v).slice(0, 80))
  }
  assert.throws(() => decodeRecord(Uint8Array.of(0xff, 0xfe), h), named('TamperedRecordError'))
})

test('recordAad binds handle, kind, alg and public part', () => {
  const r = sample()
  const base = Buffer.from(recordAad(r)).toString()
  assert.is(base, JSON.stringify(['milagro/keystore/record', 1, r.handle, 'secp256k1', 'aes-256-gcm', Buffer.from(r.publicPart).toString('base64url')]))
  const others = [
    { ...r, handle: newHandle('secp256k1').handle }, { ...r, kind: 'generic' as const }, { ...r, alg: 'pkcs11-aes-256-gcm' },
    { ...r, publicPart: new Uint8Array(33).fill(3) }
  ]
  for (const o of others) assert.is.not(Buffer.from(recordAad(o)).toString(), base)
})

test('RecordStore: put/get/list/delete in a private database; unknown → UnknownHandleError; closed → KeyStoreNotStartedError', async () => {
  await withTemp(async (root) => {
    const store = new RecordStore(join(root, 'r'))
    await rejects(store.list(), { name: 'KeyStoreNotStartedError' })
    assert.is(await store.init(), false, 'no records yet')
    await store.open()
    await store.open() // idempotent while open
    assert.is((await stat(store.dir)).mode & 0o777, 0o700)
    assert.equal(await readdir(store.dir), [], 'the database is created at the first record')
    assert.equal(await store.list(), [])
    await rejects(store.get(parseHandle(sample().handle)), { name: 'UnknownHandleError' })
    const a = sample()
    const b = { ...sample(), handle: newHandle('generic').handle, kind: 'generic' as const }
    await Promise.all([store.put(a), store.put(b)])
    assert.is((await stat(join(store.dir, 'records'))).mode & 0o777, 0o700)
    assert.equal(await store.list(), [a.handle, b.handle].sort())
    assert.equal(await store.get(parseHandle(a.handle)), a)
    assert.equal(await store.getBytes(parseHandle(a.handle)), encodeRecord(a))
    await store.delete(parseHandle(a.handle))
    assert.equal(await store.list(), [b.handle])
    await rejects(store.get(parseHandle(a.handle)), { name: 'UnknownHandleError' })
    await rejects(store.getBytes(parseHandle(a.handle)), { name: 'UnknownHandleError' })
    await rejects(store.delete(parseHandle(a.handle)), { name: 'UnknownHandleError' })
    await rejects(store.put(a, { signal: AbortSignal.abort() }), { name: 'AbortError' })
    assert.equal(await store.list(), [b.handle])
    // Bytes stored as given are decoded (and refused) when read.
    await store.putBytes(parseHandle(a.handle), new TextEncoder().encode('{"v":1}'))
    await rejects(store.get(parseHandle(a.handle)), { name: 'TamperedRecordError' })
    await store.close()
    await rejects(store.get(parseHandle(b.handle)), { name: 'KeyStoreNotStartedError' })
    // Persisted across close and open.
    assert.is(await store.init(), true)
    await store.open()
    assert.equal(await store.get(parseHandle(b.handle)), b)
    await store.close()
  })
})

test('RecordStore: close waits for the operations under way; later ones get KeyStoreNotStartedError', async () => {
  await withTemp(async (root) => {
    const store = await opened(join(root, 'r'))
    const records = Array.from({ length: 20 }, () => sample())
    const puts = records.map(async (r) => { await store.put(r) }) // the first one creates the database
    const closed = store.close()
    await rejects(store.put(sample()), { name: 'KeyStoreNotStartedError' })
    await Promise.all(puts)
    await closed
    await store.open()
    assert.equal(await store.list(), records.map((r) => r.handle).sort())
    await store.close()
  })
})

test('RecordStore: a second store on the same directory → KeyStoreLockedError; the first is unaffected', async () => {
  await withTemp(async (root) => {
    const first = await opened(join(root, 'r'))
    const a = sample()
    await first.put(a)
    const second = new RecordStore(join(root, 'r'))
    assert.is(await second.init(), true)
    await rejects(second.open(), { name: 'KeyStoreLockedError' })
    await rejects(second.list(), { name: 'KeyStoreNotStartedError' })
    assert.equal(await first.get(parseHandle(a.handle)), a)
    await first.close()
    await second.open()
    assert.equal(await second.list(), [a.handle])
    await second.close()
  })
})

test('RecordStore: record files of earlier releases are moved into the database at open; other files are left alone', async () => {
  await withTemp(async (root) => {
    const dir = join(root, 'r')
    await mkdir(dir, { mode: 0o700 })
    const a = sample()
    const b = { ...sample(), handle: newHandle('generic').handle, kind: 'generic' as const }
    const fileOf = (r: SealedRecord): string => join(dir, `${r.kind}.${r.handle.split(':')[2] as string}.json`)
    await writeFile(fileOf(a), encodeRecord(a), { mode: 0o600 })
    await writeFile(fileOf(b), encodeRecord(b), { mode: 0o600 })
    const others = ['kek.json', 'rsa.AAAAAAAAAAAAAAAAAAAAAA.json', '.generic.AAAAAAAAAAAAAAAAAAAAAA.json.0011.tmp', 'generic.AAAAAAAAAAAAAAAAAAAAAB.json']
    for (const name of others) await writeFile(join(dir, name), '{}', { mode: 0o600 })
    const store = new RecordStore(dir)
    assert.is(await store.init(), true, 'record files are records')
    assert.equal((await readdir(dir)).length, 6, 'init moves nothing')
    await store.open()
    assert.equal(await store.list(), [a.handle, b.handle].sort())
    assert.equal(await store.get(parseHandle(a.handle)), a)
    assert.equal(await store.get(parseHandle(b.handle)), b)
    assert.equal((await readdir(dir)).sort(), [...others, 'records'].sort(), 'record files removed, the rest left')
    await store.close()
    // A crash after the batch but before the unlinks leaves a file beside its record: moved again,
    // and a file's bytes replace the database's.
    const b2 = { ...b, iv: new Uint8Array(12).fill(9) }
    await writeFile(fileOf(a), encodeRecord(a), { mode: 0o600 })
    await writeFile(fileOf(b), encodeRecord(b2), { mode: 0o600 })
    await store.open()
    assert.equal(await store.list(), [a.handle, b.handle].sort())
    assert.equal(await store.get(parseHandle(a.handle)), a)
    assert.equal(await store.get(parseHandle(b.handle)), b2)
    assert.not.ok((await readdir(dir)).some((n) => n === `${a.kind}.${a.handle.split(':')[2] as string}.json`))
    await store.close()
  })
})

test.run()
