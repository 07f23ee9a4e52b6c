// protocol/canonical.ts: the byte-level canonical DAG-CBOR check must agree with the reference
// check (decode with @ipld/dag-cbor, encode again, compare) whenever it answers 'canonical' or
// 'not-canonical'. Checked on what the encoder writes, on random raw CBOR (every header width,
// every float width, simple values, keys in any order, CIDs with long varints) and on mutations,
// plus the cases each rule exists for.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as fc from 'fast-check'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { canonicalForm } from '../../protocol/canonical.ts'

const RUNS = Number(process.env.MILAGRO_FUZZ_RUNS ?? 2000)

function reference (bytes: Uint8Array): boolean | undefined {
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch {
    return undefined // not DAG-CBOR at all: decodeCanonical refuses it before asking
  }
  try {
    const again = dagCbor.encode(value)
    return again.length === bytes.length && again.every((b, i) => b === bytes[i])
  } catch {
    return false
  }
}

function agrees (bytes: Uint8Array): boolean {
  const ref = reference(bytes)
  if (ref === undefined) return true
  const got = canonicalForm(bytes)
  return got === 'unsure' || (got === 'canonical') === ref
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'))

const cid = CID.createV1(dagCbor.code, await sha256.digest(new Uint8Array([1, 2, 3])))

// --- values the encoder writes -------------------------------------------------------------

const asciiKey = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_0123456789'.split('')), maxLength: 8 })
const leaf = fc.oneof(
  fc.constant(null), fc.boolean(),
  fc.integer({ min: -1_000_000_000_000, max: 1_000_000_000_000 }),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }).map((b) => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b)),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isSafeInteger(d)),
  fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.constant(cid)
)
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 5 }), fc.dictionary(fc.oneof(asciiKey, fc.string({ maxLength: 5 })), tie('node'), { maxKeys: 5 }))
})).node

test('what the encoder writes is canonical (or unsure only when a string is not ASCII)', () => {
  fc.assert(fc.property(value, (v) => {
    const bytes = dagCbor.encode(v)
    const got = canonicalForm(bytes)
    if (got === 'not-canonical') return false
    const ascii = !JSON.stringify(v, (_k, x: unknown) => typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? 'b' : x).split('').some((ch) => ch.charCodeAt(0) >= 0x80)
    return got === 'canonical' || !ascii
  }), { numRuns: RUNS })
})

// --- raw CBOR, canonical or not ------------------------------------------------------------

function head (major: number, arg: bigint, width: 0 | 1 | 2 | 4 | 8): Uint8Array {
  if (width === 0) return new Uint8Array([(major << 5) | Number(arg)])
  const out = new Uint8Array(1 + width)
  out[0] = (major << 5) | { 1: 24, 2: 25, 4: 26, 8: 27 }[width]
  let a = arg
  for (let i = width; i >= 1; i--) { out[i] = Number(a & 0xffn); a >>= 8n }
  return out
}
const widthFor = (arg: bigint): Array<0 | 1 | 2 | 4 | 8> =>
  ([0, 1, 2, 4, 8] as const).filter((w) => w === 0 ? arg < 24n : arg < 2n ** BigInt(8 * w))
const argHead = (major: number, arg: bigint): fc.Arbitrary<Uint8Array> => fc.constantFrom(...widthFor(arg)).map((w) => head(major, arg, w))
const cat = (parts: readonly Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]))

const rawInt = fc.tuple(fc.constantFrom(0, 1), fc.oneof(fc.bigInt({ min: 0n, max: 300n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))).chain(([m, a]) => argHead(m, a))
const rawFloat = fc.oneof(
  fc.double().map((d) => { const b = new Uint8Array(9); b[0] = 0xfb; new DataView(b.buffer).setFloat64(1, d); return b }),
  fc.float().map((d) => { const b = new Uint8Array(5); b[0] = 0xfa; new DataView(b.buffer).setFloat32(1, d); return b }),
  fc.uint8Array({ minLength: 2, maxLength: 2 }).map((x) => cat([new Uint8Array([0xf9]), x])),
  fc.constantFrom(0.5, -0, 1, 2 ** 60, 1.5e300).map((d) => { const b = new Uint8Array(9); b[0] = 0xfb; new DataView(b.buffer).setFloat64(1, d); return b })
)
const rawSimple = fc.integer({ min: 0, max: 31 }).map((s) => new Uint8Array([0xe0 | s]))
const rawBytes = fc.uint8Array({ maxLength: 30 }).chain((b) => argHead(2, BigInt(b.length)).map((h) => cat([h, b])))
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const textContent = fc.oneof(fc.string({ maxLength: 12 }).map(utf8), fc.string({ unit: 'grapheme', maxLength: 4 }).map(utf8), fc.uint8Array({ maxLength: 6 }), fc.constant(utf8('\uFEFFabc')))
const rawText = textContent.chain((b) => argHead(3, BigInt(b.length)).map((h) => cat([h, b])))
const rawKey = fc.oneof(asciiKey.map(utf8), textContent).chain((b) => argHead(3, BigInt(b.length)).map((h) => cat([h, b])))
const rawCid = fc.oneof(
  fc.constant(cid.bytes),
  fc.constant(CID.createV0(cid.multihash).bytes),
  // the codec varint written longer than it needs to be (0x71 as 0xf1 0x00)
  fc.constant(cat([new Uint8Array([0x01, 0xf1, 0x00]), cid.multihash.bytes])),
  fc.constant(cat([new Uint8Array([0x81, 0x00, 0x71]), cid.multihash.bytes]))
).chain((c) => argHead(2, BigInt(c.length + 1)).map((h) => cat([new Uint8Array([0xd8, 0x2a]), h, new Uint8Array([0]), c])))
const rawTag = fc.tuple(fc.constantFrom(42n, 1n, 0n), fc.constantFrom<0 | 1 | 2>(0, 1, 2)).filter(([t, w]) => widthFor(t).includes(w)).map(([t, w]) => head(6, t, w))

const raw: fc.Arbitrary<Uint8Array> = fc.letrec((tie) => ({
  item: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    rawInt, rawFloat, rawSimple, rawBytes, rawText, rawCid,
    fc.tuple(rawTag, tie('item') as fc.Arbitrary<Uint8Array>).map(([t, i]) => cat([t, i])),
    fc.array(tie('item') as fc.Arbitrary<Uint8Array>, { maxLength: 4 }).chain((xs) => argHead(4, BigInt(xs.length)).map((h) => cat([h, ...xs]))),
    fc.array(fc.tuple(rawKey, tie('item') as fc.Arbitrary<Uint8Array>), { maxLength: 4 }).chain((kvs) => fc.boolean().chain((sorted) => {
      const entries = sorted ? [...kvs].sort(([a], [b]) => a.length - b.length || Buffer.compare(a, b)) : kvs
      return argHead(5, BigInt(entries.length)).map((h) => cat([h, ...entries.flat()]))
    }))
  )
})).item as fc.Arbitrary<Uint8Array>

test('raw CBOR: canonical / not-canonical always agree with decode-encode-compare', () => {
  let decided = 0
  let canonical = 0
  fc.assert(fc.property(raw, (bytes) => {
    if (reference(bytes) !== undefined && canonicalForm(bytes) !== 'unsure') {
      decided++
      if (canonicalForm(bytes) === 'canonical') canonical++
    }
    return agrees(bytes)
  }), { numRuns: RUNS * 5 })
  // The generator must reach both answers, or the property says little.
  assert.ok(decided > RUNS, `only ${decided} decided cases`)
  assert.ok(canonical > RUNS / 10 && canonical < decided - RUNS / 10, `${canonical} canonical of ${decided}`)
})

test('mutations of encoded values: the answers agree with the reference', () => {
  fc.assert(fc.property(value, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { minLength: 1, maxLength: 3 }), (v, edits) => {
    const bytes = [...dagCbor.encode(v)]
    for (const [at, b, op] of edits) {
      const i = bytes.length === 0 ? 0 : at % bytes.length
      if (op === 'set') bytes[i] = b
      else if (op === 'insert') bytes.splice(i, 0, b)
      else bytes.splice(i, 1)
    }
    return agrees(Uint8Array.from(bytes))
  }), { numRuns: RUNS })
})

// --- the rules, one by one -----------------------------------------------------------------

const cases: Array<[string, string, 'canonical' | 'not-canonical' | 'unsure']> = [
  ['small uint', '17', 'canonical'],
  ['uint 24 in one extra byte', '1818', 'canonical'],
  ['uint 23 written with an extra byte', '1817', 'not-canonical'],
  ['uint 255 in two bytes', '1900ff', 'not-canonical'],
  ['uint 2^32 in eight bytes', '1b0000000100000000', 'canonical'],
  ['uint 2^32-1 in eight bytes', '1b00000000ffffffff', 'not-canonical'],
  ['negative -1', '20', 'canonical'],
  ['float64 0.5', 'fb3fe0000000000000', 'canonical'],
  ['float64 1.0 (an integer)', 'fb3ff0000000000000', 'not-canonical'],
  ['float64 -0', 'fb8000000000000000', 'not-canonical'],
  ['float32 0.5', 'fa3f000000', 'not-canonical'],
  ['float16 0.5', 'f93800', 'not-canonical'],
  ['float64 NaN', 'fb7ff8000000000000', 'not-canonical'],
  ['float64 2^60 (not a safe integer)', 'fb43b0000000000000', 'canonical'],
  ['false true null', '83f4f5f6', 'canonical'],
  ['undefined', 'f7', 'not-canonical'],
  ['simple 16', 'f0', 'not-canonical'],
  ['indefinite array', '9fff', 'not-canonical'],
  ['map keys sorted', 'a2616101626262 02'.replace(' ', ''), 'canonical'],
  ['map keys longer first', 'a2626262026161 01'.replace(' ', ''), 'not-canonical'],
  ['map keys same length, wrong order', 'a2616201616101', 'not-canonical'],
  ['map with a duplicate key', 'a2616101616102', 'not-canonical'],
  ['map with an integer key', 'a10101', 'not-canonical'],
  ['string length written long', '780161', 'not-canonical'],
  ['non-ASCII string', '62c3a9', 'unsure'],
  ['byte-order mark', '63efbbbf', 'unsure'],
  ['two items', '0101', 'not-canonical'],
  ['truncated', '1a0001', 'not-canonical'],
  ['tag 1', 'c101', 'not-canonical'],
  ['tag 42 written long', 'd9002a4100', 'not-canonical'],
  ['empty input', '', 'not-canonical']
]
for (const [name, h, want] of cases) {
  test(`rule: ${name}`, () => {
    const bytes = hex(h)
    assert.is(canonicalForm(bytes), want)
    if (want !== 'unsure') {
      const ref = reference(bytes)
      if (ref !== undefined) assert.is(ref, want === 'canonical', 'the reference check agrees')
    }
  })
}

test('rule: CIDs — v1 and v0 canonical; long version or codec varints are not', () => {
  const tagged = (c: Uint8Array): Uint8Array => cat([new Uint8Array([0xd8, 0x2a]), head(2, BigInt(c.length + 1), c.length + 1 < 24 ? 0 : 1), new Uint8Array([0]), c])
  assert.is(canonicalForm(dagCbor.encode({ link: cid })), 'canonical')
  assert.is(canonicalForm(tagged(CID.createV0(cid.multihash).bytes)), 'canonical')
  const longCodec = tagged(cat([new Uint8Array([0x01, 0xf1, 0x00]), cid.multihash.bytes]))
  assert.is.not(reference(longCodec), true, "the decoder refuses it or it does not round-trip")
  assert.is(canonicalForm(longCodec), 'not-canonical')
  const longVersion = tagged(cat([new Uint8Array([0x81, 0x00, 0x71]), cid.multihash.bytes]))
  assert.is(canonicalForm(longVersion), 'not-canonical')
})

test('deep nesting does not overflow the stack', () => {
  const depth = 200_000
  const bytes = new Uint8Array(depth + 1).fill(0x81)
  bytes[depth] = 0x00
  assert.is(canonicalForm(bytes), 'canonical')
  assert.is(canonicalForm(bytes.subarray(0, depth)), 'not-canonical')
})

test.run()
