// Canonical DAG-CBOR, checked on the bytes: does `bytes` equal what @ipld/dag-cbor's encoder
// would produce for the value they decode to?
//
// Every signed structure and every log entry must be canonical (docs/PROTOCOL.md, "Encoding"),
// so that one value has one byte form and one CID. The plain way to check it is to decode, encode
// again and compare (codec.ts did exactly that); on a log replay the re-encode was the largest
// single cost (≈ 37% of verifying an entry). This walks the bytes once instead, without building
// anything, and applies the rules the encoder follows:
//
//   - integers and every length in the shortest form (RFC 8949 §4.2.1), no indefinite lengths;
//   - map keys are text strings, strictly increasing: shorter first, then bytewise (RFC 7049
//     §3.9 "length-first", which is what dag-cbor's encoder sorts by);
//   - floats only as 64-bit, finite, and not a safe integer (the encoder writes those as
//     integers; −0 included), no 16- or 32-bit floats;
//   - simple values false, true, null only (undefined decodes to null and encodes as null);
//   - tag 42 only, as 0xd8 0x2a, around a byte string 0x00 ‖ CID whose version and codec varints
//     are minimal (multiformats re-encodes them; the multihash is kept as it was) — a CIDv0
//     (0x12 0x20 …) as is;
//   - one item, nothing after it.
//
// Text strings are where the byte check and the decoder could disagree: cborg decodes invalid
// UTF-8 into replacement characters and may drop a leading byte-order mark, so such strings do
// not survive a round trip. ASCII strings always do; for any other string this answers 'unsure'
// and the caller falls back to the re-encode comparison. The answer is checked against that
// comparison by property tests (test/protocol/canonical.test.ts): 'canonical' and
// 'not-canonical' always agree with it.
//
// It assumes nothing about the input: malformed or truncated bytes are 'not-canonical'. Nesting
// is walked with an explicit stack, so depth cannot overflow the call stack.

export type CanonicalForm = 'canonical' | 'not-canonical' | 'unsure'

interface Frame {
  /** Items still to read in this array or map (a map counts keys and values). */
  remaining: number
  readonly map: boolean
  /** Offsets of the previous key's string content in a map (start = -1: none yet). */
  keyStart: number
  keyEnd: number
}

const NOT = 'not-canonical'

/** The argument readArgument read last (a module slot rather than an object: this runs per item). */
let argument = 0

/**
 * Reads the argument of an item whose additional information is `ai`, starting at `pos`: a count,
 * a length or an integer, which must be in its shortest form. Leaves it in `argument` and returns
 * the offset after it, or -1 when it is truncated, not the shortest form, reserved (28–30) or
 * indefinite (31). Only integers (`integer`) may take eight bytes: a length that large cannot fit
 * in the input anyway.
 */
function readArgument (view: DataView, pos: number, ai: number, integer: boolean): number {
  const n = view.byteLength
  if (ai < 24) {
    argument = ai
    return pos
  }
  if (ai === 24) {
    if (pos + 1 > n) return -1
    argument = view.getUint8(pos)
    return argument < 24 ? -1 : pos + 1
  }
  if (ai === 25) {
    if (pos + 2 > n) return -1
    argument = view.getUint16(pos)
    return argument < 0x100 ? -1 : pos + 2
  }
  if (ai === 26) {
    if (pos + 4 > n) return -1
    argument = view.getUint32(pos)
    return argument < 0x10000 ? -1 : pos + 4
  }
  if (ai === 27) {
    if (pos + 8 > n || !integer) return -1
    const hi = view.getUint32(pos)
    if (hi === 0) return -1
    argument = hi * 0x1_0000_0000 + view.getUint32(pos + 4) // magnitude only matters for integers, which end here
    return pos + 8
  }
  return -1
}

/** Whether `bytes` are canonical DAG-CBOR (see the file header). */
export function canonicalForm (bytes: Uint8Array): CanonicalForm {
  const n = bytes.length
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const stack: Frame[] = []
  let pos = 0
  let unsure = false
  let items = 0
  while (true) {
    // Which item is being read: the top-level one, or the next of the innermost open container.
    const frame = stack[stack.length - 1]
    if (frame === undefined) {
      if (items === 1) break
      items = 1
    } else if (frame.remaining === 0) {
      stack.pop()
      continue
    }
    const isKey = frame !== undefined && frame.map && frame.remaining % 2 === 0
    if (frame !== undefined) frame.remaining--
    if (pos >= n) return NOT
    const ib = bytes[pos] as number
    const major = ib >> 5
    const ai = ib & 31
    pos++
    if (major === 7) {
      if (isKey) return NOT
      if (ai === 20 || ai === 21 || ai === 22) continue
      if (ai !== 27 || pos + 8 > n) return NOT
      const f = view.getFloat64(pos)
      pos += 8
      if (!Number.isFinite(f) || Number.isSafeInteger(f) || Object.is(f, -0)) return NOT
      continue
    }
    // The argument: a count, a length or an integer, in its shortest form.
    const after = readArgument(view, pos, ai, major === 0 || major === 1)
    if (after < 0) return NOT
    pos = after
    const arg = argument
    if (isKey && major !== 3) return NOT
    switch (major) {
      case 0:
      case 1:
        break
      case 2:
        if (arg > n - pos) return NOT
        pos += arg
        break
      case 3: {
        if (arg > n - pos) return NOT
        const start = pos
        const end = pos + arg
        for (let i = start; i < end; i++) {
          if ((bytes[i] as number) >= 0x80) { unsure = true; break }
        }
        pos = end
        if (isKey) {
          const f = frame as Frame
          if (f.keyStart !== -1 && compareKeys(bytes, f.keyStart, f.keyEnd, start, end) >= 0) return NOT
          f.keyStart = start
          f.keyEnd = end
        }
        break
      }
      case 4:
        if (arg > n - pos) return NOT // every item takes at least one byte
        stack.push({ remaining: arg, map: false, keyStart: -1, keyEnd: -1 })
        break
      case 5:
        if (arg > (n - pos) / 2) return NOT
        stack.push({ remaining: arg * 2, map: true, keyStart: -1, keyEnd: -1 })
        break
      case 6: {
        if (ai !== 24 || arg !== 42) return NOT
        const cid = cidContent(bytes, view, pos)
        if (cid === undefined) return NOT
        pos = cid
        break
      }
    }
  }
  if (pos !== n) return NOT
  return unsure ? 'unsure' : 'canonical'
}

/** Length-first, then bytewise: negative when key a sorts before key b. */
function compareKeys (bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const la = aEnd - aStart
  const lb = bEnd - bStart
  if (la !== lb) return la - lb
  for (let i = 0; i < la; i++) {
    const d = (bytes[aStart + i] as number) - (bytes[bStart + i] as number)
    if (d !== 0) return d
  }
  return 0
}

/**
 * The tagged item of tag 42 at `pos`: a byte string 0x00 ‖ CID with minimal prefix varints.
 * Returns the offset after it, or undefined. The multihash inside is not judged here: the decoder
 * validates it, and keeps its bytes as they are.
 */
function cidContent (bytes: Uint8Array, view: DataView, pos: number): number | undefined {
  const n = bytes.length
  if (pos >= n) return undefined
  const ib = bytes[pos] as number
  if (ib >> 5 !== 2) return undefined
  const ai = ib & 31
  const at = readArgument(view, pos + 1, ai, false)
  if (at < 0) return undefined
  const len = argument
  const end = at + len
  if (end > n || len < 2 || bytes[at] !== 0x00) return undefined
  const c = at + 1
  // CIDv0: a bare multihash (first byte 0x12, sha2-256), kept as it is.
  if (bytes[c] === 0x12) return end
  // CIDv1: version 1 in one byte, then the codec varint, shortest form.
  if (bytes[c] !== 0x01) return undefined
  let i = c + 1
  let last = -1
  for (; i < end && i < c + 11; i++) {
    last = bytes[i] as number
    if ((last & 0x80) === 0) break
  }
  if (i >= end || last === -1) return undefined
  if (i > c + 1 && last === 0x00) return undefined // a trailing zero group: not the shortest form
  return end
}
