// crypto/public-memo.ts: derived once per byte string, nothing kept when the derivation throws,
// oldest out at the bound, equal bytes in other buffers (or views) hit the same entry.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PublicMemo } from '../../crypto/public-memo.ts'

test('derives once; equal bytes from another buffer or a view hit the same entry', () => {
  const memo = new PublicMemo<string>(4)
  let calls = 0
  const derive = (b: Uint8Array): string => { calls++; return Buffer.from(b).toString('hex') }
  assert.is(memo.get(Uint8Array.of(1, 2), derive), '0102')
  assert.is(memo.get(Uint8Array.of(1, 2), derive), '0102')
  assert.is(memo.get(Uint8Array.of(9, 1, 2).subarray(1), derive), '0102')
  assert.is(calls, 1)
})

test('a derivation that throws keeps nothing: the same bytes are derived (and refused) again', () => {
  const memo = new PublicMemo<number>(4)
  let calls = 0
  const refuse = (): number => { calls++; throw new RangeError('bad key') }
  assert.throws(() => memo.get(Uint8Array.of(7), refuse), RangeError)
  assert.throws(() => memo.get(Uint8Array.of(7), refuse), RangeError)
  assert.is(calls, 2)
  assert.is(memo.size, 0)
})

test('bounded: the oldest entry leaves first', () => {
  const memo = new PublicMemo<number>(2)
  let calls = 0
  const derive = (b: Uint8Array): number => { calls++; return b[0] as number }
  memo.get(Uint8Array.of(1), derive)
  memo.get(Uint8Array.of(2), derive)
  memo.get(Uint8Array.of(3), derive) // 1 leaves
  assert.is(memo.size, 2)
  memo.get(Uint8Array.of(2), derive)
  assert.is(calls, 3, '2 is still there')
  memo.get(Uint8Array.of(1), derive)
  assert.is(calls, 4, '1 was evicted')
  assert.throws(() => new PublicMemo(0), RangeError)
})

test.run()
