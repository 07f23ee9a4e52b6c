import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { Batcher, Lanes, Waiters } from '../../../node/services/lanes.ts'

test('Lanes: tasks of one key run one after another, keys run concurrently, a failure does not block the lane', async () => {
  const lanes = new Lanes()
  const log: string[] = []
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const a1 = lanes.run('a', async () => { log.push('a1 start'); await gate; log.push('a1 end') })
  const a2 = lanes.run('a', async () => { log.push('a2'); throw new Error('boom') })
  const a3 = lanes.run('a', async () => { log.push('a3'); return 3 })
  const b1 = lanes.run('b', async () => { log.push('b1'); return 'b' })
  assert.is(await b1, 'b')
  assert.equal(log, ['a1 start', 'b1'])
  release()
  await a1
  await rejects(a2, { message: 'boom' })
  assert.is(await a3, 3)
  assert.equal(log, ['a1 start', 'b1', 'a1 end', 'a2', 'a3'])
  await lanes.idle()
})

test('Batcher: keys added together are flushed together, one flush at a time', async () => {
  const flushed: string[][] = []
  const b = new Batcher(async (keys) => { flushed.push([...keys]) }, () => {})
  b.add('1'); b.add('2'); b.add('3')
  await b.settled()
  b.add('4')
  await b.settled()
  assert.equal(flushed, [['1', '2', '3'], ['4']])
  const errors: unknown[] = []
  const failing = new Batcher(async () => { throw new Error('disk') }, (err) => { errors.push(err) }, { delayMs: 5 })
  failing.add('x')
  await failing.settled()
  assert.is((errors[0] as Error).message, 'disk')
})

test('Waiters: resolves now or on a wake of its key, and rejects on abort', async () => {
  const w = new Waiters()
  let value: number | undefined
  assert.is(await w.until('k', () => 1), 1)
  const p = w.until('k', () => value)
  w.wake('other')
  value = 7
  w.wake('k')
  assert.is(await p, 7)
  const ac = new AbortController()
  const never = w.until('k', () => undefined, { signal: ac.signal })
  ac.abort(new Error('gone'))
  await rejects(never, { message: 'gone' })
})

test.run()
