// Domain separation for the custody constructions (order-key tweak, proof of possession, key
// commitment): BIP-340-style tagged hashes, and one unambiguous byte encoding of the context a
// custody key is bound to.
//
//   taggedHash(tag, m) = SHA-256(SHA-256(tag) ‖ SHA-256(tag) ‖ m)            (BIP-340 §"Design")
//   encodeKeyContext({ orderId, role, party })
//     = u16be(len(orderId)) ‖ orderId ‖ u16be(len(role)) ‖ role ‖ u16be(len(party)) ‖ party
//
// A string field is its UTF-8 bytes, so the string 'abc' and the bytes 61 62 63 are the same
// context. Every field is length-prefixed, so no two different contexts share an encoding.
import { sha256 } from '../hash.ts'
import { concatBytes } from '../bytes.ts'

export const CUSTODY_ROLES = ['beneficiary', 'fiduciary'] as const
/** The parties whose keys are added into a custody wallet key. */
export type CustodyRole = typeof CUSTODY_ROLES[number]

/** What a custody key is bound to: the order, the role the key plays in it, and who holds it. */
export interface KeyContext {
  /** The order's id (its canonical string, or bytes). */
  readonly orderId: string | Uint8Array
  readonly role: CustodyRole
  /** The key holder's identity (its identity CID, as a canonical string or as bytes). */
  readonly party: string | Uint8Array
}

export const TAG_ORDER_KEY = 'milagro/custody/order-key/v1'
export const TAG_POP = 'milagro/custody/pop/v1'
export const TAG_COMMIT = 'milagro/custody/commit/v1'

const utf8 = new TextEncoder()

export function fieldBytes (value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? utf8.encode(value) : value
}

/** The 64-byte prefix SHA-256(tag) ‖ SHA-256(tag) of a tagged hash. */
export function tagPrefix (tag: string): Uint8Array {
  const t = sha256(utf8.encode(tag))
  return concatBytes(t, t)
}

/** SHA-256(prefix ‖ parts…) where prefix = tagPrefix(tag). */
export function taggedHash (prefix: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array {
  return sha256(prefix, ...parts)
}

function lengthPrefixed (name: string, value: string | Uint8Array): Uint8Array {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw new TypeError(`key context ${name} must be a string or Uint8Array`)
  const bytes = fieldBytes(value)
  if (bytes.length === 0 || bytes.length > 0xffff) throw new RangeError(`key context ${name} must be 1..65535 bytes`)
  const out = new Uint8Array(2 + bytes.length)
  out[0] = bytes.length >>> 8
  out[1] = bytes.length & 0xff
  out.set(bytes, 2)
  return out
}

export function encodeKeyContext (context: KeyContext): Uint8Array {
  if (!(CUSTODY_ROLES as readonly string[]).includes(context.role)) throw new TypeError(`key context role must be one of ${CUSTODY_ROLES.join(', ')}`)
  return concatBytes(
    lengthPrefixed('orderId', context.orderId),
    lengthPrefixed('role', context.role),
    lengthPrefixed('party', context.party)
  )
}
