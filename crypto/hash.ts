// SHA-256 on OpenSSL (node:crypto).
import { createHash } from 'node:crypto'

export function sha256 (...parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  const d = h.digest()
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
}
