// Field readers shared by the services' fact decoders (custody, M-Pin, safeguard, threshold): each reads one
// field of an entry body and throws `Shape` (naming the field) when it is not what the fact says.
// The decoders catch `Shape` and report the entry as not a fact of theirs.
import { CID } from 'multiformats/cid'
import { isHandle } from '../../crypto/index.ts'
import type { IpldValue } from './types.ts'

export class Shape extends Error {}

export type Body = Readonly<Record<string, unknown>>

/**
 * The fact an entry records: `decode(kind, body)` when the kind is one of the service's (`isKind`)
 * and the body a map of its `version`; undefined for anything else, a malformed body included
 * (`decode` throws Shape). Other errors propagate.
 */
export function readVersionedFact<K extends string, F> (
  entry: { readonly kind: string, readonly body?: IpldValue },
  isKind: (kind: string) => kind is K,
  version: number,
  decode: (kind: K, body: Body) => F
): F | undefined {
  const kind = entry.kind
  if (!isKind(kind)) return undefined
  const b = entry.body
  if (b === null || b === undefined || typeof b !== 'object' || Array.isArray(b) || b instanceof Uint8Array || CID.asCID(b) !== null) return undefined
  const body = b as Body
  if (body.v !== version) return undefined
  try {
    return decode(kind, body)
  } catch (err) {
    if (err instanceof Shape) return undefined
    throw err
  }
}

/** The body recording a fact: `{ v, ...fields }` (the fact's kind becomes the entry's kind). */
export function factBody (version: number, fields: Readonly<Record<string, unknown>>): Record<string, IpldValue> {
  const body: Record<string, IpldValue> = { v: version }
  for (const [k, value] of Object.entries(fields)) body[k] = value as IpldValue
  return body
}

export function cid (b: Body, k: string): CID {
  const c = CID.asCID(b[k])
  if (c === null) throw new Shape(k)
  return c
}

export function cidOrNull (b: Body, k: string): CID | null {
  return b[k] === null ? null : cid(b, k)
}

export function bytes (b: Body, k: string, length: number): Uint8Array {
  const v = b[k]
  if (!(v instanceof Uint8Array) || v.length !== length) throw new Shape(k)
  return v
}

export function str (b: Body, k: string): string {
  const v = b[k]
  if (typeof v !== 'string') throw new Shape(k)
  return v
}

export function uint (b: Body, k: string): number {
  const v = b[k]
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Shape(k)
  return v
}

/** A key-store handle (never a secret: where the secret lives). */
export function handle (b: Body, k: string): string {
  const v = b[k]
  if (!isHandle(v)) throw new Shape(k)
  return v
}

export function handleOrNull (b: Body, k: string): string | null {
  return b[k] === null ? null : handle(b, k)
}
