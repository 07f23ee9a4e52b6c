// Wrapped-record files: strict decoding, the associated data, atomic 0600 files, listing.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { newHandle, parseHandle } from '../../../crypto/keystore/handle.ts'
import { decodeRecord, encodeRecord, recordAad, RecordStore, type SealedRecord } from '../../../crypto/keystore/records.ts'

const named = (name: string) => (e: Error) => e.name === name

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

test('RecordStore: put/get/list/delete, 0600 files in a 0700 directory, unknown → UnknownHandleError', async () => {
  const root = await mkdtemp(join(tmpdir(), 'milagro-records-'))
  try {
    const store = new RecordStore(join(root, 'r'))
    await store.init()
    assert.is((await stat(store.dir)).mode & 0o777, 0o700)
    const a = sample()
    const b = { ...sample(), handle: newHandle('generic').handle, kind: 'generic' as const }
    await store.put(a)
    await store.put(b)
    await writeFile(join(store.dir, 'kek.json'), '{}')
    await writeFile(join(store.dir, 'rsa.AAAAAAAAAAAAAAAAAAAAAA.json'), '{}')
    await writeFile(join(store.dir, '.generic.AAAAAAAAAAAAAAAAAAAAAA.json.0011.tmp'), '{}')
    assert.equal(await store.list(), [a.handle, b.handle].sort())
    assert.equal(await store.get(parseHandle(a.handle)), a)
    for (const name of await readdir(store.dir)) {
      if (name.startsWith(a.kind) || name.startsWith(b.kind)) assert.is((await stat(join(store.dir, name))).mode & 0o777, 0o600, name)
    }
    await store.delete(parseHandle(a.handle))
    assert.equal(await store.list(), [b.handle])
    await rejects(store.get(parseHandle(a.handle)), { name: 'UnknownHandleError' })
    await rejects(store.delete(parseHandle(a.handle)), { name: 'UnknownHandleError' })
    await rejects(store.put(a, { signal: AbortSignal.abort() }), { name: 'AbortError' })
    assert.equal(await store.list(), [b.handle])
    assert.not.ok((await readdir(store.dir)).some((n) => n.endsWith('.tmp') && !n.includes('0011')), 'temp file left behind')
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})

test.run()
