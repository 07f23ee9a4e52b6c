// The KeyStore conformance suite, run once per backend (software.test.ts, pkcs11.test.ts).
// Every bad-input case asserts the typed rejection AND that the store is unchanged (same
// handles, same bytes in every file of the directory).
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core'
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305'
import { open as hpkeOpen } from '../../../crypto/hpke.ts'
import { generateKeyAgreementKeyPair } from '../../../crypto/x25519.ts'
import type { KeyStore, KeyStoreLogger, SecretKind } from '../../../crypto/keystore/types.ts'
import { parseHandle } from '../../../crypto/keystore/handle.ts'
import type { RecordStore } from '../../../crypto/keystore/records.ts'
import { SealedKeyStore } from '../../../crypto/keystore/sealed-store.ts'
import { BLS12_381_R, BN254_R, MAX_GENERIC_SECRET_BYTES, SECP256K1_N, secretCommitment } from '../../../crypto/keystore/kinds.ts'
import { toHex } from '../../vectors.ts'

export interface KeyStoreHarness {
  /** A new, unstarted instance over the same directory (and token). */
  open (): KeyStore
  /** The record directory. */
  readonly dir: string
  /** Every log call of every instance, JSON-serialised. */
  readonly logs: readonly string[]
  cleanup (): Promise<void>
}

export type KeyStoreHarnessFactory = () => Promise<KeyStoreHarness>

/** A logger that keeps every call as a JSON line. */
export function captureLogger (lines: string[]): KeyStoreLogger {
  return {
    warn: (obj, msg) => { lines.push(JSON.stringify({ level: 'warn', ...obj, msg })) },
    info: (obj, msg) => { lines.push(JSON.stringify({ level: 'info', ...obj, msg })) }
  }
}

export const KINDS: readonly SecretKind[] = ['secp256k1', 'bls12-381-scalar', 'bn254-scalar', 'generic']

const be32 = (x: bigint): Uint8Array => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'))
const big = (b: Uint8Array): bigint => BigInt('0x' + toHex(b))
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

/** A valid secret of each kind, fixed so a failure is reproducible. */
export const SAMPLE_SECRETS: Readonly<Record<SecretKind, Uint8Array>> = {
  secp256k1: be32(SECP256K1_N - 12345n),
  'bls12-381-scalar': be32(BLS12_381_R - 1n),
  'bn254-scalar': be32(BN254_R - 2n),
  generic: text('a safeguarded secret: correct horse battery staple 0123456789')
}

const INVALID_SECRETS: ReadonlyArray<[SecretKind, unknown, string]> = [
  ['secp256k1', new Uint8Array(32), 'zero'],
  ['secp256k1', be32(SECP256K1_N), 'n'],
  ['secp256k1', new Uint8Array(31).fill(1), '31 bytes'],
  ['secp256k1', new Uint8Array(33).fill(1), '33 bytes'],
  ['bls12-381-scalar', be32(BLS12_381_R), 'r'],
  ['bls12-381-scalar', new Uint8Array(32).fill(0xff), '2^256-1'],
  ['bls12-381-scalar', new Uint8Array(32), 'zero'],
  ['bn254-scalar', be32(BN254_R), 'r'],
  ['bn254-scalar', be32(BLS12_381_R - 1n), 'BLS scalar above BN r'],
  ['generic', new Uint8Array(0), 'empty'],
  ['generic', new Uint8Array(MAX_GENERIC_SECRET_BYTES + 1), 'too long'],
  ['generic', 'a string', 'not bytes'],
  ['secp256k1', Array.from(be32(5n)), 'array, not Uint8Array']
]

const ID = 'AAAAAAAAAAAAAAAAAAAAAA'
const MALFORMED_HANDLES: readonly unknown[] = [
  '', 'ks1', 'ks1:secp256k1:', `ks2:secp256k1:${ID}`, `ks1:rsa:${ID}`, `ks1:secp256k1:${ID.slice(1)}`,
  `ks1:secp256k1:${ID}A`, `ks1:secp256k1:AAAAAAAAAAAAAAAAAAAAAB`, `ks1:secp256k1:${ID}\n`, ` ks1:secp256k1:${ID}`,
  `ks1:secp256k1:AAAAAAAAAAAAAAAAAAAAA+`, `KS1:secp256k1:${ID}`, 42, undefined, null, { handle: `ks1:generic:${ID}` }
]

/** The record database of a store (format documented in crypto/keystore/records.ts): where a test tampers with a record. */
function recordsOf (store: KeyStore): RecordStore {
  if (!(store instanceof SealedKeyStore)) throw new TypeError('not a SealedKeyStore')
  return store.records
}

/** The stored bytes of a handle's record. */
export async function recordBytes (store: KeyStore, handle: string): Promise<Uint8Array> {
  return await recordsOf(store).getBytes(parseHandle(handle))
}

/** Stores `bytes` as a handle's record, as they are. */
export async function putRecordBytes (store: KeyStore, handle: string, bytes: Uint8Array): Promise<void> {
  await recordsOf(store).putBytes(parseHandle(handle), bytes)
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTemp (fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-keystore-test-'))
  try { await fn(dir) } finally { await rm(dir, { recursive: true, force: true }) }
}

export async function filesUnder (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...await filesUnder(p))
    else out.push(p)
  }
  return out.sort()
}

interface Snapshot { readonly handles: string[], readonly files: Record<string, string> }

async function snapshot (store: KeyStore, dir: string): Promise<Snapshot> {
  const files: Record<string, string> = {}
  for (const f of await filesUnder(dir)) files[f] = createHash('sha256').update(await readFile(f)).digest('hex')
  return { handles: await store.list(), files }
}

async function assertUnchanged (store: KeyStore, dir: string, before: Snapshot, what: string): Promise<void> {
  const after = await snapshot(store, dir)
  assert.equal(after.handles, before.handles, `${what}: handles changed`)
  assert.equal(after.files, before.files, `${what}: files changed`)
}

async function secretOf (store: KeyStore, handle: string): Promise<Uint8Array> {
  return await store.use(handle, (s) => s.slice())
}

export function encodings (secret: Uint8Array): string[] {
  const b = Buffer.from(secret)
  return [b.toString('hex'), b.toString('hex').toUpperCase(), b.toString('base64'), b.toString('base64url'), b.toString('latin1')]
}

function randomPoint (): Uint8Array {
  return secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)
}

export function keyStoreSuite (name: string, factory: KeyStoreHarnessFactory): void {
  const t = suite<{ h: KeyStoreHarness, store: KeyStore }>(`KeyStore conformance: ${name}`)
  t.before.each(async (ctx) => {
    ctx.h = await factory()
    ctx.store = ctx.h.open()
    await ctx.store.start({ signal: AbortSignal.timeout(20_000) })
  })
  t.after.each(async (ctx) => {
    await ctx.store.stop()
    await ctx.h.cleanup()
  })

  t('generate: every kind gets a fresh handle, a valid secret and its public part', async ({ store }) => {
    for (const kind of KINDS) {
      const a = await store.generate(kind)
      const b = await store.generate(kind)
      assert.match(a.handle, new RegExp(`^ks1:${kind}:[A-Za-z0-9_-]{22}$`))
      assert.is(a.kind, kind)
      assert.is.not(a.handle, b.handle)
      const s = await secretOf(store, a.handle)
      assert.is.not(toHex(s), toHex(await secretOf(store, b.handle)), `${kind}: two generations gave the same secret`)
      if (kind === 'secp256k1') {
        assert.ok(big(s) > 0n && big(s) < SECP256K1_N)
        assert.is(toHex(a.publicPart), toHex(secp256k1.getPublicKey(s, true)))
      } else {
        if (kind !== 'generic') assert.ok(big(s) > 0n && big(s) < (kind === 'bn254-scalar' ? BN254_R : BLS12_381_R), `${kind} out of range`)
        else assert.is(s.length, 32)
        assert.is(toHex(a.publicPart), toHex(secretCommitment(kind, s)))
      }
      assert.is(toHex(await store.publicPart(a.handle)), toHex(a.publicPart))
    }
    const long = await store.generate('generic', { length: 1000 })
    assert.is((await secretOf(store, long.handle)).length, 1000)
    assert.is((await store.list()).length, 9)
  })

  t('generate: a bad generic length or kind is rejected and stores nothing', async ({ store, h }) => {
    await store.generate('generic')
    const before = await snapshot(store, h.dir)
    for (const length of [0, -1, 1.5, MAX_GENERIC_SECRET_BYTES + 1]) {
      await rejects(store.generate('generic', { length }), { name: 'RangeError' })
    }
    await rejects(store.generate('ed25519' as SecretKind), { name: 'UnsupportedKindError' })
    await assertUnchanged(store, h.dir, before, 'bad generate')
  })

  t('import: every kind keeps the exact bytes; its public part matches', async ({ store }) => {
    for (const kind of KINDS) {
      const input = SAMPLE_SECRETS[kind].slice()
      const s = await store.import(kind, input)
      input.fill(0) // the store has its own copy
      assert.is(toHex(await secretOf(store, s.handle)), toHex(SAMPLE_SECRETS[kind]))
      const expected = kind === 'secp256k1' ? secp256k1.getPublicKey(SAMPLE_SECRETS[kind], true) : secretCommitment(kind, SAMPLE_SECRETS[kind])
      assert.is(toHex(s.publicPart), toHex(expected))
      assert.is(toHex(await store.publicPart(s.handle)), toHex(expected))
    }
  })

  t('import: invalid secrets are rejected with InvalidKeyError and store nothing', async ({ store, h }) => {
    await store.import('generic', SAMPLE_SECRETS.generic)
    const before = await snapshot(store, h.dir)
    for (const [kind, secret, why] of INVALID_SECRETS) {
      await rejects(store.import(kind, secret as Uint8Array), { name: 'InvalidKeyError' }, `${kind}: ${why}`)
    }
    await rejects(store.import('x25519' as SecretKind, new Uint8Array(32).fill(1)), { name: 'UnsupportedKindError' })
    await assertUnchanged(store, h.dir, before, 'bad import')
  })

  t('use: hands a buffer that is zeroed afterwards, also when fn throws', async ({ store }) => {
    const { handle } = await store.import('generic', SAMPLE_SECRETS.generic)
    const seen: Uint8Array[] = []
    const length = await store.use(handle, (s) => { seen.push(s); return s.length })
    assert.is(length, SAMPLE_SECRETS.generic.length)
    await rejects(store.use(handle, async (s) => { seen.push(s); throw new Error('boom') }), { message: 'boom' })
    assert.is(seen.length, 2)
    for (const s of seen) assert.ok(s.length > 0 && s.every((b) => b === 0), 'buffer not zeroed after use')
    assert.is(toHex(await secretOf(store, handle)), toHex(SAMPLE_SECRETS.generic))
  })

  t('generateAndUse: fn sees the stored secret (the one use() gives later), zeroed afterwards; a throwing fn keeps the record', async ({ store, h }) => {
    const seen: Uint8Array[] = []
    const { stored, result } = await store.generateAndUse('secp256k1', (secret, info) => {
      seen.push(secret)
      return { hex: toHex(secret), publicPart: toHex(info.publicPart), handle: info.handle }
    })
    assert.is(result.handle, stored.handle)
    assert.is(result.publicPart, toHex(stored.publicPart))
    assert.is(result.hex, toHex(await secretOf(store, stored.handle)), 'fn saw the secret that was stored')
    assert.is(toHex(secp256k1.getPublicKey(await secretOf(store, stored.handle), true)), toHex(stored.publicPart))
    const before = (await store.list()).length
    await rejects(store.generateAndUse('generic', (secret) => { seen.push(secret); throw new Error('boom') }), { message: 'boom' })
    assert.is((await store.list()).length, before + 1, 'the record written before fn ran stays, as generate + use would leave it')
    for (const s of seen) assert.ok(s.length > 0 && s.every((b) => b === 0), 'buffer not zeroed after fn')
    const snap = await snapshot(store, h.dir)
    await rejects(store.generateAndUse('x25519' as SecretKind, () => 1), { name: 'UnsupportedKindError' })
    await rejects(store.generateAndUse('secp256k1', 'not a function' as unknown as () => void), { name: 'TypeError' })
    assert.equal(await snapshot(store, h.dir), snap, 'refused calls store nothing')
  })

  t('secp256k1AddPublic / secp256k1Multiply agree with @noble/curves', async ({ store, h }) => {
    const { handle, publicPart } = await store.generate('secp256k1')
    const s = big(await secretOf(store, handle))
    for (let i = 0; i < 4; i++) {
      const pBytes = randomPoint()
      const p = secp256k1.Point.fromBytes(pBytes)
      assert.is(toHex(await store.secp256k1AddPublic(handle, pBytes)), toHex(secp256k1.Point.BASE.multiply(s).add(p).toBytes(true)))
      assert.is(toHex(await store.secp256k1Multiply(handle, pBytes)), toHex(p.multiply(s).toBytes(true)))
      // An uncompressed input point is accepted too; the output is always compressed.
      assert.is(toHex(await store.secp256k1Multiply(handle, p.toBytes(false))), toHex(p.multiply(s).toBytes(true)))
    }
    // secret·G + G, and the shared secret is symmetric: a·(b·G) = b·(a·G)
    assert.is(toHex(await store.secp256k1AddPublic(handle, secp256k1.Point.BASE.toBytes(true))), toHex(secp256k1.Point.BASE.multiply(s + 1n).toBytes(true)))
    const other = await store.generate('secp256k1')
    assert.is(toHex(await store.secp256k1Multiply(handle, other.publicPart)), toHex(await store.secp256k1Multiply(other.handle, publicPart)))

    const before = await snapshot(store, h.dir)
    const negated = secp256k1.Point.fromBytes(publicPart).negate().toBytes(true)
    const offCurve = Uint8Array.from([0x02, ...new Uint8Array(32).fill(0xff)])
    for (const bad of [negated, offCurve, new Uint8Array(33), Uint8Array.of(0), randomPoint().subarray(0, 32), Uint8Array.of(0x05, ...randomPoint().subarray(1))]) {
      await rejects(store.secp256k1AddPublic(handle, bad), { name: 'InvalidPointError' }, toHex(bad))
      if (bad !== negated) await rejects(store.secp256k1Multiply(handle, bad), { name: 'InvalidPointError' }, toHex(bad))
    }
    await rejects(store.secp256k1Multiply(handle, 'not bytes' as unknown as Uint8Array), { name: 'InvalidPointError' })
    const scalar = await store.generate('bn254-scalar')
    const before2 = await snapshot(store, h.dir)
    await rejects(store.secp256k1AddPublic(scalar.handle, randomPoint()), { name: 'UnsupportedKindError' })
    await rejects(store.secp256k1Multiply(scalar.handle, randomPoint()), { name: 'UnsupportedKindError' })
    await assertUnchanged(store, h.dir, before2, 'bad point')
    assert.is(before.handles.length + 1, before2.handles.length)
  })

  t('release: HPKE-sealed to the recipient, opened by @hpke/core and by crypto/hpke.ts', async ({ store }) => {
    const recipient = generateKeyAgreementKeyPair()
    const info = text('milagro release v1')
    for (const kind of KINDS) {
      const { handle } = await store.import(kind, SAMPLE_SECRETS[kind])
      const aad = text(handle)
      const r = await store.release(handle, recipient.publicKey, info, { aad })
      assert.is(toHex(hpkeOpen({ aead: 'aes-256-gcm' }, recipient.secretKey, r.enc, info, aad, r.ciphertext)), toHex(SAMPLE_SECRETS[kind]))
      const them = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() })
      const sk = await them.kem.deserializePrivateKey(recipient.secretKey)
      const opened = new Uint8Array(await them.open({ recipientKey: sk, enc: r.enc, info }, r.ciphertext, aad))
      assert.is(toHex(opened), toHex(SAMPLE_SECRETS[kind]))
      // a wrong info or aad does not open
      assert.throws(() => hpkeOpen({ aead: 'aes-256-gcm' }, recipient.secretKey, r.enc, text('other'), aad, r.ciphertext), (e: Error) => e.name === 'DecryptionError')
    }
    const { handle } = await store.generate('secp256k1')
    const r = await store.release(handle, recipient.publicKey, info, { aead: 'chacha20-poly1305' })
    const them = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() })
    const opened = new Uint8Array(await them.open({ recipientKey: await them.kem.deserializePrivateKey(recipient.secretKey), enc: r.enc, info }, r.ciphertext))
    assert.is(toHex(opened), toHex(await secretOf(store, handle)))
    // a recipient key of the wrong length is refused
    await rejects(store.release(handle, recipient.publicKey.subarray(1), info), { name: 'InvalidKeyError' })
  })

  t('destroy: the handle is gone for every method, the other secrets stay', async ({ store, h }) => {
    const a = await store.generate('secp256k1')
    const b = await store.generate('generic')
    const bSecret = await secretOf(store, b.handle)
    await store.destroy(a.handle)
    assert.equal(await store.list(), [b.handle])
    await rejects(recordBytes(store, a.handle), { name: 'UnknownHandleError' })
    const before = await snapshot(store, h.dir)
    await rejects(store.use(a.handle, () => 1), { name: 'UnknownHandleError' })
    await rejects(store.publicPart(a.handle), { name: 'UnknownHandleError' })
    await rejects(store.secp256k1AddPublic(a.handle, randomPoint()), { name: 'UnknownHandleError' })
    await rejects(store.release(a.handle, generateKeyAgreementKeyPair().publicKey, text('i')), { name: 'UnknownHandleError' })
    await rejects(store.destroy(a.handle), { name: 'UnknownHandleError' })
    await assertUnchanged(store, h.dir, before, 'after destroy')
    assert.is(toHex(await secretOf(store, b.handle)), toHex(bSecret))
  })

  t('malformed handles → InvalidHandleError; unknown handles → UnknownHandleError; nothing changes', async ({ store, h }) => {
    await store.generate('secp256k1')
    await store.generate('generic')
    const before = await snapshot(store, h.dir)
    const pk = generateKeyAgreementKeyPair().publicKey
    // Thunks, called one at a time: a promise created early and awaited late would reject unobserved.
    const calls = (x: string): Array<() => Promise<unknown>> => [
      async () => await store.publicPart(x), async () => await store.use(x, () => 1), async () => await store.secp256k1AddPublic(x, randomPoint()),
      async () => await store.secp256k1Multiply(x, randomPoint()), async () => await store.release(x, pk, text('i')), async () => await store.destroy(x)
    ]
    for (const bad of MALFORMED_HANDLES) {
      for (const call of calls(bad as string)) await rejects(call, { name: 'InvalidHandleError' }, String(bad))
    }
    for (const unknown of [`ks1:secp256k1:${ID}`, `ks1:secp256k1:AAAAAAAAAAAAAAAAAAAAAQ`]) {
      for (const call of calls(unknown)) await rejects(call, { name: 'UnknownHandleError' }, unknown)
    }
    await assertUnchanged(store, h.dir, before, 'bad handles')
  })

  t('restart: a new instance on the same directory uses every secret', async ({ store, h }) => {
    const stored = []
    for (const kind of KINDS) {
      for (const s of [await store.generate(kind), await store.import(kind, SAMPLE_SECRETS[kind])]) {
        stored.push({ ...s, secret: await secretOf(store, s.handle) })
      }
    }
    const handles = await store.list()
    await store.stop()
    await rejects(store.use(stored[0]!.handle, () => 1), { name: 'KeyStoreNotStartedError' })
    const again = h.open()
    await again.start()
    try {
      assert.equal(await again.list(), handles)
      for (const s of stored) {
        assert.is(toHex(await secretOf(again, s.handle)), toHex(s.secret), s.handle)
        assert.is(toHex(await again.publicPart(s.handle)), toHex(s.publicPart), s.handle)
      }
    } finally {
      await again.stop()
    }
    await store.start() // after.each stops it
  })

  t('a tampered record (any byte flipped) → TamperedRecordError; the others still work', async ({ store }) => {
    const a = await store.generate('secp256k1')
    const b = await store.import('generic', SAMPLE_SECRETS.generic)
    const original = await recordBytes(store, a.handle)
    for (let i = 0; i < original.length; i++) {
      const tampered = original.slice()
      tampered[i] = (tampered[i] as number) ^ 0x01
      await putRecordBytes(store, a.handle, tampered)
      await rejects(store.use(a.handle, () => 1), { name: 'TamperedRecordError' }, `byte ${i}`)
      await rejects(store.publicPart(a.handle), { name: 'TamperedRecordError' }, `byte ${i}`)
      if (i % 64 === 0) assert.is(toHex(await secretOf(store, b.handle)), toHex(SAMPLE_SECRETS.generic))
    }
    await putRecordBytes(store, a.handle, original.subarray(0, original.length - 1))
    await rejects(store.use(a.handle, () => 1), { name: 'TamperedRecordError' }, 'truncated')
    await putRecordBytes(store, a.handle, original)
    assert.is(toHex(await store.publicPart(a.handle)), toHex(a.publicPart))
  })

  t('a record moved to another handle is rejected', async ({ store }) => {
    const a = await store.generate('secp256k1')
    const b = await store.generate('secp256k1')
    const g = await store.generate('generic')
    const bOriginal = await recordBytes(store, b.handle)
    await putRecordBytes(store, b.handle, await recordBytes(store, a.handle))
    await rejects(store.use(b.handle, () => 1), { name: 'TamperedRecordError' }, 'copied over another handle')
    await rejects(store.publicPart(b.handle), { name: 'TamperedRecordError' })
    // …also when the handle inside the record is rewritten to match (the AAD still binds the original)
    const rewritten = new TextEncoder().encode(new TextDecoder().decode(await recordBytes(store, a.handle)).replaceAll(a.handle, b.handle))
    await putRecordBytes(store, b.handle, rewritten)
    await rejects(store.use(b.handle, () => 1), { name: 'TamperedRecordError' }, 'handle rewritten')
    await putRecordBytes(store, b.handle, bOriginal)
    // a generic record moved to a secp256k1 handle
    const fresh = `ks1:secp256k1:${g.handle.split(':')[2]!}`
    await putRecordBytes(store, fresh, await recordBytes(store, g.handle))
    await store.destroy(g.handle)
    assert.ok((await store.list()).includes(fresh))
    await rejects(store.use(fresh, () => 1), { name: 'TamperedRecordError' }, 'moved across kinds')
    await rejects(store.use(g.handle, () => 1), { name: 'UnknownHandleError' })
    assert.is(toHex(await store.publicPart(a.handle)), toHex(a.publicPart))
    assert.is(toHex(await store.publicPart(b.handle)), toHex(b.publicPart))
  })

  t('no secret appears in clear in any file of the directory nor in the logs', async ({ store, h }) => {
    const secrets: Uint8Array[] = []
    for (const kind of KINDS) {
      secrets.push(await secretOf(store, (await store.generate(kind)).handle))
      await store.import(kind, SAMPLE_SECRETS[kind])
      secrets.push(SAMPLE_SECRETS[kind])
    }
    const recipient = generateKeyAgreementKeyPair()
    for (const handle of await store.list()) await store.release(handle, recipient.publicKey, text('i'))
    await store.stop()
    await store.start()
    const files = await filesUnder(h.dir)
    const contents = await Promise.all(files.map(async (f) => (await readFile(f)).toString('latin1')))
    // The scan reaches the records: each one's sealed bytes are in some file.
    const records = await store.list()
    assert.ok(records.length >= 8, 'records were written')
    for (const handle of records) {
      const sealed = Buffer.from(await recordBytes(store, handle)).toString('latin1')
      assert.ok(contents.some((c) => c.includes(sealed)), `the record of ${handle} is in no file`)
    }
    for (const [i, content] of contents.entries()) {
      for (const s of secrets) {
        for (const enc of encodings(s)) assert.not.ok(content.includes(enc), `secret found in ${files[i] as string}`)
      }
    }
    const log = h.logs.join('\n')
    for (const s of secrets) for (const enc of encodings(s)) assert.not.ok(log.includes(enc), 'secret found in the log output')
  })

  t('sealBlob/openBlob: sealed under the KEK for a caller that keeps it; any change of aad, byte or sealer → TamperedRecordError; nothing stored', async ({ store, h }) => {
    const before = await snapshot(store, h.dir)
    const secret = SAMPLE_SECRETS.generic
    const aad = text('milagro/test/blob')
    const blob = await store.sealBlob(aad, secret)
    assert.is(blob.alg, store.backend === 'pkcs11' ? 'pkcs11-aes-256-gcm' : 'aes-256-gcm')
    assert.is(blob.iv.length, 12)
    assert.is(blob.ciphertext.length, secret.length + 16)
    for (const enc of encodings(secret)) assert.not.ok(Buffer.from(blob.ciphertext).toString('latin1').includes(enc))
    assert.equal(await store.openBlob(aad, blob), secret)
    const again = await store.sealBlob(aad, secret)
    assert.not.equal(again.iv, blob.iv, 'a fresh IV per seal')
    await assertUnchanged(store, h.dir, before, 'sealBlob stores nothing')
    const flip = (b: Uint8Array, i: number): Uint8Array => { const c = b.slice(); c[i] = (c[i] as number) ^ 1; return c }
    const bad: Array<[string, Uint8Array, typeof blob]> = [
      ['another aad', text('milagro/test/other'), blob],
      ['empty aad', new Uint8Array(0), blob],
      ['a flipped ciphertext byte', aad, { ...blob, ciphertext: flip(blob.ciphertext, 0) }],
      ['a flipped tag byte', aad, { ...blob, ciphertext: flip(blob.ciphertext, blob.ciphertext.length - 1) }],
      ['a flipped iv byte', aad, { ...blob, iv: flip(blob.iv, 3) }],
      ['another sealer', aad, { ...blob, alg: store.backend === 'pkcs11' ? 'aes-256-gcm' : 'pkcs11-aes-256-gcm' }]
    ]
    for (const [what, a, b] of bad) await rejects(store.openBlob(a, b), { name: 'TamperedRecordError' }, what)
    // A stored record's ciphertext does not open as a blob under its own record aad (separate domains).
    const stored = await store.import('generic', secret)
    const record = JSON.parse(new TextDecoder().decode(await recordBytes(store, stored.handle))) as { iv: string, ct: string, alg: string }
    const recordAsBlob = { alg: record.alg, iv: new Uint8Array(Buffer.from(record.iv, 'base64url')), ciphertext: new Uint8Array(Buffer.from(record.ct, 'base64url')) }
    const { recordAad } = await import('../../../crypto/keystore/records.ts')
    await rejects(store.openBlob(recordAad({ handle: stored.handle, kind: 'generic', alg: record.alg, publicPart: stored.publicPart }), recordAsBlob), { name: 'TamperedRecordError' })
    const idle = h.open()
    await rejects(idle.sealBlob(aad, secret), { name: 'KeyStoreNotStartedError' })
    await rejects(idle.openBlob(aad, blob), { name: 'KeyStoreNotStartedError' })
  })

  t('an aborted signal rejects with AbortError and changes nothing; a stopped store refuses', async ({ store, h }) => {
    const { handle } = await store.generate('generic')
    const before = await snapshot(store, h.dir)
    const signal = AbortSignal.abort()
    await rejects(store.generate('secp256k1', { signal }), { name: 'AbortError' })
    await rejects(store.import('generic', SAMPLE_SECRETS.generic, { signal }), { name: 'AbortError' })
    await rejects(store.destroy(handle, { signal }), { name: 'AbortError' })
    await rejects(store.use(handle, () => 1, { signal }), { name: 'AbortError' })
    await assertUnchanged(store, h.dir, before, 'aborted')
    const idle = h.open()
    await rejects(idle.generate('generic'), { name: 'KeyStoreNotStartedError' })
    await rejects(idle.list(), { name: 'KeyStoreNotStartedError' })
    await idle.stop() // stop before start is a no-op
    await assertUnchanged(store, h.dir, before, 'not started')
  })

  t.run()
}
