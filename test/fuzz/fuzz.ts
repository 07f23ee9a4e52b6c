// Shared pieces of the fuzz suites (test/fuzz/*.test.ts, and the long mode simulations/fuzz.ts):
// what a property is, the check that a rejection is one of the typed errors the caller
// discriminates on (never a TypeError/RangeError from deep inside a library), and arbitraries for
// DAG-CBOR values and for mutations of valid encodings.
//
// Each family module exports `properties`; its .test.ts runs them with a few runs each in
// `npm test` (MILAGRO_FUZZ_RUNS overrides), and `npm run fuzz -- --runs N` runs every family long.
// A failure prints fast-check's seed and path; MILAGRO_FUZZ_SEED replays it.
import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from '../../crypto/index.ts'

export interface FuzzProperty {
  readonly name: string
  /** Default runs in `npm test` (a few seconds for the whole family). */
  readonly runs: number
  check (runs: number, seed?: number): Promise<void>
}

export type Family = readonly FuzzProperty[]

export const seedFromEnv = (): number | undefined => process.env.MILAGRO_FUZZ_SEED === undefined ? undefined : Number(process.env.MILAGRO_FUZZ_SEED)

/** A property over `arb` that fast-check checks `runs` times. */
export function property<T> (name: string, runs: number, arb: fc.Arbitrary<T>, predicate: (value: T) => void | Promise<void>): FuzzProperty {
  return {
    name,
    runs,
    async check (n, seed) {
      await fc.assert(fc.asyncProperty(arb, async (v) => { await predicate(v) }), { numRuns: n, ...(seed === undefined ? {} : { seed }), endOnFailure: true })
    }
  }
}

/** Thrown by `typed` when a rejection is not one of the expected typed errors. */
export class UntypedRejectionError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UntypedRejectionError'
  }
}

function describe (err: unknown): string {
  if (!(err instanceof Error)) return `a non-Error (${typeof err}: ${String(err)})`
  return `${err.name}: ${err.message}\n${err.stack ?? ''}`
}

/** Runs `fn`; it may return or throw, but only an Error whose name is in `allowed`. */
export function typed<T> (allowed: ReadonlySet<string>, fn: () => T): T | Error {
  try {
    return fn()
  } catch (err) {
    if (err instanceof Error && allowed.has(err.name)) return err
    throw new UntypedRejectionError(`expected one of ${[...allowed].join(', ')}, got ${describe(err)}`, { cause: err })
  }
}

export async function typedAsync<T> (allowed: ReadonlySet<string>, fn: () => Promise<T>): Promise<T | Error> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof Error && allowed.has(err.name)) return err
    throw new UntypedRejectionError(`expected one of ${[...allowed].join(', ')}, got ${describe(err)}`, { cause: err })
  }
}

// ---- arbitraries ----

/** CIDs of our shape (v1 dag-cbor sha2-256) and of others (raw, identity hash, v0). */
export const cidArb: fc.Arbitrary<CID> = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 64 }).map((b) => CID.createV1(dagCbor.code, Digest.create(0x12, sha256(b)))),
  fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => CID.createV1(0x55, Digest.create(0x12, sha256(b)))),
  fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => CID.createV1(dagCbor.code, Digest.create(0x00, b))),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => CID.createV0(Digest.create(0x12, b)))
)

/** Map keys, with the names that trip naive code (`String(v)` on a map with a `toString` key throws). */
export const keyArb: fc.Arbitrary<string> = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('toString', 'valueOf', 'constructor', '__proto__', 'then', 'asCID', '/', 'bytes', 'v'))

/** Any value DAG-CBOR can encode (no undefined, no NaN/Infinity), nested a few levels. */
export const ipldArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.constantFrom(0, 1, -1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53) + 1, Number.MAX_SAFE_INTEGER),
    fc.bigInt({ min: -(2n ** 64n) + 1n, max: 2n ** 64n - 1n }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 80 }),
    fc.uint8Array({ maxLength: 96 }),
    cidArb,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 5 })
  )
})).value

/** One edit of a byte string: flip, set, insert, delete, truncate, or append. */
export const byteEditArb = fc.record({ kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate', 'append'), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), tail: fc.uint8Array({ maxLength: 16 }) })
export type ByteEdit = typeof byteEditArb extends fc.Arbitrary<infer T> ? T : never

export function applyEdits (bytes: Uint8Array, edits: readonly ByteEdit[]): Uint8Array {
  let b = Uint8Array.from(bytes)
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % b.length
    switch (e.kind) {
      case 'flip': if (b.length > 0) b[at] = (b[at] as number) ^ (1 << (e.byte % 8)); break
      case 'set': if (b.length > 0) b[at] = e.byte; break
      case 'insert': b = Uint8Array.from([...b.subarray(0, at), e.byte, ...b.subarray(at)]); break
      case 'delete': b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]); break
      case 'truncate': b = b.subarray(0, at); break
      case 'append': b = Uint8Array.from([...b, ...e.tail]); break
    }
  }
  return b
}

/** Random edits of `bytes`. */
export const mutationsOf = (bytes: Uint8Array): fc.Arbitrary<Uint8Array> => fc.array(byteEditArb, { minLength: 1, maxLength: 6 }).map((edits) => applyEdits(bytes, edits))

/** What can be done to one field of a map: replace its value, delete it, or add a stray field. */
export const fieldEditArb = (keys: readonly string[]): fc.Arbitrary<(m: Record<string, unknown>) => Record<string, unknown>> => fc.oneof(
  fc.tuple(fc.constantFrom(...keys), ipldArb).map(([k, v]) => (m: Record<string, unknown>) => ({ ...m, [k]: v })),
  fc.constantFrom(...keys).map((k) => (m: Record<string, unknown>) => { const { [k]: _gone, ...rest } = m; return rest }),
  fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), ipldArb).map(([k, v]) => (m: Record<string, unknown>) => ({ ...m, [k]: v }))
)

/** Encodes with DAG-CBOR, or undefined when the value cannot be encoded (e.g. a key dag-cbor refuses). */
export function tryEncode (value: unknown): Uint8Array | undefined {
  try {
    return dagCbor.encode(value)
  } catch {
    return undefined
  }
}

export { fc }

/** Registers a family's properties as uvu tests (runs: the property's default, or MILAGRO_FUZZ_RUNS). */
export function register (test: (name: string, fn: () => Promise<void>) => void, family: Family): void {
  for (const p of family) {
    test(`${p.name} (${process.env.MILAGRO_FUZZ_RUNS ?? p.runs} runs)`, async () => { await p.check(Number(process.env.MILAGRO_FUZZ_RUNS ?? p.runs), seedFromEnv()) })
  }
}
