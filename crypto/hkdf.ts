// HKDF with HMAC-SHA256 (RFC 5869) on node:crypto's createHmac.
//
// hkdfExtract(salt, ikm) = HMAC-SHA256(salt, ikm) (an empty salt is HashLen zero bytes, which
// HMAC treats exactly like an empty key). hkdfExpand(prk, info, L) = the first L bytes of
// T(1) | T(2) | … with T(i) = HMAC-SHA256(prk, T(i-1) | info | i), L ≤ 255·32.
//
// The `…Parts` variants take the info / ikm as several pieces fed to the HMAC one after the other,
// byte-for-byte the same as hashing their concatenation; HPKE's labeled KDF uses them so that
// no concatenation buffer is built per call. They are internal to crypto/.
import { createHmac } from 'node:crypto'
import { fromBuffer } from './from-buffer.ts'

/** Output length of SHA-256, the HKDF `HashLen`. */
export const HASH_LENGTH = 32
const MAX_EXPAND_LENGTH = 255 * HASH_LENGTH
const EMPTY = new Uint8Array(0)
const BLOCK_COUNTERS = Array.from({ length: 256 }, (_, i) => Uint8Array.of(i))

export function hkdfExtract (salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return fromBuffer(createHmac('sha256', salt).update(ikm).digest())
}

export function hkdfExpand (prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdfExpandParts(prk, [info], length)
}

/** HKDF-Extract over the concatenation of `ikmParts`. */
export function hkdfExtractParts (salt: Uint8Array, ikmParts: readonly Uint8Array[]): Uint8Array {
  const hmac = createHmac('sha256', salt)
  for (const part of ikmParts) hmac.update(part)
  return fromBuffer(hmac.digest())
}

/** HKDF-Expand with info = the concatenation of `infoParts`. */
export function hkdfExpandParts (prk: Uint8Array, infoParts: readonly Uint8Array[], length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_EXPAND_LENGTH) {
    throw new RangeError(`HKDF-Expand length must be an integer in 0..${MAX_EXPAND_LENGTH}, got ${length}`)
  }
  if (prk.byteLength < HASH_LENGTH) {
    throw new RangeError(`HKDF-Expand needs a PRK of at least ${HASH_LENGTH} bytes, got ${prk.byteLength}`)
  }
  // The common case in HPKE: one block, returned without a copy when it is the whole block.
  if (length <= HASH_LENGTH) {
    const t = expandBlock(prk, EMPTY, infoParts, 1)
    return length === HASH_LENGTH ? t : t.slice(0, length)
  }
  const out = new Uint8Array(length)
  let previous: Uint8Array = EMPTY
  for (let i = 1, offset = 0; offset < length; i++, offset += HASH_LENGTH) {
    previous = expandBlock(prk, previous, infoParts, i)
    out.set(length - offset >= HASH_LENGTH ? previous : previous.subarray(0, length - offset), offset)
  }
  return out
}

function expandBlock (prk: Uint8Array, previous: Uint8Array, infoParts: readonly Uint8Array[], i: number): Uint8Array {
  const hmac = createHmac('sha256', prk)
  hmac.update(previous)
  for (const part of infoParts) hmac.update(part)
  hmac.update(BLOCK_COUNTERS[i] as Uint8Array)
  return fromBuffer(hmac.digest())
}
