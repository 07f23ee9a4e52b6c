// node:crypto returns Buffers; our APIs return plain Uint8Arrays (STYLE.md §12). Buffers that own
// their whole ArrayBuffer (every digest, cipher and key-agreement output) are re-viewed for free;
// anything else (e.g. a small Buffer carved from Node's shared pool) is copied so callers never
// hold a view onto memory shared with unrelated data.

export function fromBuffer (buf: Buffer): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) {
    return new Uint8Array(buf.buffer, 0, buf.byteLength)
  }
  const out = new Uint8Array(buf.byteLength)
  out.set(buf)
  return out
}
