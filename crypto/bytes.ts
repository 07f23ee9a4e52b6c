// Byte helpers shared by crypto/ and above. Uint8Array in, Uint8Array out.
import { randomFillSync, timingSafeEqual } from 'node:crypto'

export function randomBytes (length: number): Uint8Array {
  return randomFillSync(new Uint8Array(length))
}

export function concatBytes (...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const p of parts) { out.set(p, offset); offset += p.length }
  return out
}

/** Constant-time for equal lengths; different lengths return false at once (lengths are public). */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

export function fromHex (hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('invalid hex string')
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/** Best-effort wipe of secret bytes. JS gives no guarantee that no copy survives elsewhere. */
export function wipe (bytes: Uint8Array): void {
  bytes.fill(0)
}
