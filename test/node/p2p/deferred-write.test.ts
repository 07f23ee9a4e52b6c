import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DeferredWrite } from '../../../node/p2p/deferred-write.ts'

const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

test('requests within the interval make one write; a request during a write makes one more, after it', async () => {
  let writes = 0
  let release: (() => void) | undefined
  const w = new DeferredWrite(async () => { writes++; await new Promise<void>((resolve) => { release = resolve }) }, 20, () => {})
  for (let i = 0; i < 10; i++) w.request()
  assert.is(writes, 0, 'not before the interval')
  await sleep(60)
  assert.is(writes, 1, 'ten requests, one write')
  w.request()
  w.request()
  await sleep(60)
  assert.is(writes, 1, 'never two at once')
  release?.()
  await sleep(60)
  assert.is(writes, 2, 'the requests made during the write: one more write')
  release?.()
  await w.close()
  assert.is(writes, 2, 'close with nothing asked writes nothing')
})

test('close writes what was asked at once, waits for it, and takes no request after; errors go to onError', async () => {
  const seen: unknown[] = []
  let writes = 0
  const w = new DeferredWrite(async () => { writes++; if (writes === 1) throw new Error('disk full') }, 10_000, (err) => { seen.push(err) })
  w.request()
  await w.close()
  assert.is(writes, 1, 'written at close, not after 10 s')
  assert.is((seen[0] as Error).message, 'disk full')
  w.request()
  await sleep(30)
  assert.is(writes, 1, 'no write after close')
})

test.run()
