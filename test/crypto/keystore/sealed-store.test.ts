// SealedKeyStore over a recording Sealer: what it asks of a backend (the conformance suite runs
// it over the real ones). AES-256-GCM from node:crypto stands in for the KEK.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TamperedRecordError } from '../../../crypto/keystore/errors.ts'
import { RecordStore } from '../../../crypto/keystore/records.ts'
import { SealedKeyStore, type Sealer } from '../../../crypto/keystore/sealed-store.ts'

class RecordingSealer implements Sealer {
  readonly alg = 'test-gcm'
  readonly calls: string[] = []
  readonly key = randomBytes(32)
  async start (context: { hasRecords: boolean }): Promise<void> { this.calls.push(`start:${context.hasRecords}`) }
  async stop (): Promise<void> { this.calls.push('stop') }
  async seal (aad: Uint8Array, plaintext: Uint8Array): Promise<{ iv: Uint8Array, ciphertext: Uint8Array }> {
    this.calls.push('seal')
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', this.key, iv).setAAD(aad)
    return { iv, ciphertext: Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]) }
  }

  async open (aad: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array> {
    this.calls.push('open')
    const d = createDecipheriv('aes-256-gcm', this.key, iv).setAAD(aad)
    d.setAuthTag(ciphertext.subarray(ciphertext.length - 16))
    try {
      return new Uint8Array(Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()]))
    } catch (err) {
      throw new TamperedRecordError(undefined, { cause: err })
    }
  }
}

test('start tells the sealer whether records exist; every read opens (authenticates) the record', async () => {
  const root = await mkdtemp(join(tmpdir(), 'milagro-sealed-'))
  try {
    const sealer = new RecordingSealer()
    const store = new SealedKeyStore({ backend: 'software', sealer, records: new RecordStore(join(root, 'r')) })
    await store.stop() // not started: the sealer is not touched
    assert.equal(sealer.calls, [])
    await store.start()
    await store.start() // idempotent
    const s = await store.generate('bls12-381-scalar')
    await store.publicPart(s.handle)
    await store.use(s.handle, () => 1)
    await store.list()
    await store.stop()
    await store.stop()
    await store.start()
    await store.stop()
    assert.equal(sealer.calls, ['start:false', 'seal', 'open', 'open', 'stop', 'start:true', 'stop'])
    await rejects(store.publicPart(s.handle), { name: 'KeyStoreNotStartedError' })
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})

test('a sealer failure during generate leaves no record', async () => {
  const root = await mkdtemp(join(tmpdir(), 'milagro-sealed-'))
  try {
    const sealer = new RecordingSealer()
    sealer.seal = async () => { throw new Error('token unplugged') }
    const store = new SealedKeyStore({ backend: 'pkcs11', sealer, records: new RecordStore(join(root, 'r')) })
    await store.start()
    await rejects(store.generate('secp256k1'), { message: 'token unplugged' })
    assert.equal(await store.list(), [])
    await store.stop()
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})

test.run()
