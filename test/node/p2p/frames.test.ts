import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import type { MessageStream } from '@libp2p/interface'
import { encodeFrames, encodeVarint, FrameReader } from '../../../node/p2p/frames.ts'

/** A stream that yields the given chunks, then ends. FrameReader only iterates. */
function chunks (...parts: Uint8Array[]): MessageStream {
  return { async * [Symbol.asyncIterator] () { yield * parts } } as unknown as MessageStream
}

test('varint lengths match LEB128 (libp2p length prefixes)', () => {
  assert.equal([...encodeVarint(0)], [0])
  assert.equal([...encodeVarint(127)], [0x7f])
  assert.equal([...encodeVarint(128)], [0x80, 0x01])
  assert.equal([...encodeVarint(300)], [0xac, 0x02])
  assert.equal([...encodeVarint(1048576)], [0x80, 0x80, 0x40])
  assert.throws(() => encodeVarint(-1), RangeError)
})

test('frames split across arbitrary chunk boundaries come back whole, in order', async () => {
  const frames = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(9), Uint8Array.of(4)]
  const wire = encodeFrames(frames)
  // One byte per chunk: the worst case for prefix parsing.
  const reader = new FrameReader(chunks(...[...wire].map((b) => Uint8Array.of(b))), 1024)
  const out: number[][] = []
  for (let f = await reader.next(); f !== null; f = await reader.next()) out.push([...f])
  assert.equal(out, frames.map((f) => [...f]))
})

test('a frame owns its bytes: frames read out of one large chunk do not pin it', async () => {
  const frames = Array.from({ length: 20 }, (_, i) => new Uint8Array(100).fill(i))
  const wire = encodeFrames(frames)
  const reader = new FrameReader(chunks(wire), 1024)
  for (let i = 0; i < frames.length; i++) {
    const f = await reader.next() as Uint8Array
    assert.equal([...f], [...(frames[i] as Uint8Array)])
    assert.is(f.buffer.byteLength, 100, `frame ${i} holds only its own 100 bytes, not the ${wire.length}-byte chunk`)
  }
})

test('hasBufferedFrame tells whether next() can answer without waiting', async () => {
  const wire = encodeFrames([Uint8Array.of(1), Uint8Array.of(2)])
  const reader = new FrameReader(chunks(wire), 16)
  assert.is(reader.hasBufferedFrame(), false)
  assert.equal([...(await reader.next()) as Uint8Array], [1])
  assert.is(reader.hasBufferedFrame(), true)
  assert.equal([...(await reader.next()) as Uint8Array], [2])
  assert.is(reader.hasBufferedFrame(), false)
  assert.is(await reader.next(), null)
})

test('an oversized frame is refused from its prefix alone', async () => {
  const reader = new FrameReader(chunks(encodeVarint(1025)), 1024)
  await rejects(reader.next(), { name: 'FrameTooLargeError' })
})

test('a stream ending inside a frame, or a 6-byte prefix, is a protocol violation', async () => {
  await rejects(new FrameReader(chunks(Uint8Array.of(5, 1, 2)), 16).next(), { name: 'ProtocolViolationError' })
  await rejects(new FrameReader(chunks(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01)), 1 << 30).next(), { name: 'ProtocolViolationError' })
})

test('an aborted wait rejects with the signal\'s reason', async () => {
  const never = { [Symbol.asyncIterator]: () => ({ next: async () => await new Promise<IteratorResult<Uint8Array>>(() => {}) }) } as unknown as MessageStream
  // A ref'd timer: AbortSignal.timeout's is unref'd and would let the process exit mid-test.
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort(new DOMException('gave up', 'TimeoutError')) }, 20)
  await rejects(new FrameReader(never, 16).next({ signal: controller.signal }), { name: 'TimeoutError' })
  clearTimeout(timer)
})

test.run()
