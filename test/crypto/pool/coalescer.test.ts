// crypto/pool/coalescer.ts with a fake task runner whose tasks the test finishes by hand:
// jobs batch up while lanes are busy, the queue is bounded, aborts and task failures reach
// exactly the right callers, and idle() / rejectWaiting() behave.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { Coalescer } from '../../../crypto/pool/coalescer.ts'

interface Task { jobs: number[], finish: () => void, fail: (err: Error) => void }

function harness (lanes: number, maxPending = 100, maxBatch = 100): { c: Coalescer<number, string>, tasks: Task[] } {
  const tasks: Task[] = []
  const c = new Coalescer<number, string>({
    lanes: () => lanes,
    maxPending,
    maxBatch,
    run: async (jobs) => await new Promise<string[]>((resolve, reject) => {
      tasks.push({ jobs, finish: () => resolve(jobs.map((j) => `r${j}`)), fail: reject })
    })
  })
  return { c, tasks }
}

const tick = async (): Promise<void> => { await new Promise<void>((resolve) => setImmediate(resolve)) }

test('jobs of one tick share the free lanes; later jobs wait and leave together', async () => {
  const { c, tasks } = harness(2)
  const first = [1, 2, 3, 4, 5].map(async (j) => await c.submit(j))
  await tick()
  assert.equal(tasks.map((t) => t.jobs), [[1, 2, 3], [4, 5]])
  const later = [6, 7, 8, 9].map(async (j) => await c.submit(j))
  await tick()
  assert.is(tasks.length, 2)
  assert.is(c.pending, 4)
  assert.is(c.inflight, 2)
  tasks[0]?.finish()
  assert.equal(await Promise.all(first.slice(0, 3)), ['r1', 'r2', 'r3'])
  await tick()
  assert.equal(tasks[2]?.jobs, [6, 7, 8, 9])
  tasks[1]?.finish()
  tasks[2]?.finish()
  assert.equal(await Promise.all([...first, ...later]), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9'])
  await c.idle()
  assert.is(c.inflight, 0)
})

test('maxBatch caps a task; a single job at low load leaves alone', async () => {
  const { c, tasks } = harness(1, 100, 3)
  const all = [1, 2, 3, 4, 5].map(async (j) => await c.submit(j))
  await tick()
  assert.equal(tasks.map((t) => t.jobs), [[1, 2, 3]])
  tasks[0]?.finish()
  await tick()
  assert.equal(tasks[1]?.jobs, [4, 5])
  tasks[1]?.finish()
  await Promise.all(all)
  const alone = c.submit(6)
  await tick()
  assert.equal(tasks[2]?.jobs, [6])
  tasks[2]?.finish()
  assert.is(await alone, 'r6')
})

test('bounded: past maxPending, submit and submitAll reject with QueueFullError and queue nothing', async () => {
  const { c, tasks } = harness(1, 3)
  const running = c.submit(0)
  await tick()
  const waiting = [1, 2, 3].map(async (j) => await c.submit(j))
  await rejects(c.submit(4), (e: Error) => e.name === 'QueueFullError')
  await rejects(c.submitAll([5]), (e: Error) => e.name === 'QueueFullError')
  assert.is(c.pending, 3)
  tasks[0]?.finish()
  await running
  await tick()
  tasks[1]?.finish()
  assert.equal(await Promise.all(waiting), ['r1', 'r2', 'r3'])
  const { c: c2 } = harness(1, 3)
  await rejects(c2.submitAll([1, 2, 3, 4]), (e: Error) => e.name === 'QueueFullError')
  assert.is(c2.pending, 0)
})

test('abort: a waiting job is dropped, a dispatched one rejects at once and its result is discarded', async () => {
  const { c, tasks } = harness(1)
  const a = new AbortController()
  const dispatched = c.submit(1, a.signal)
  await tick()
  const b = new AbortController()
  const waiting = c.submit(2, b.signal)
  const other = c.submit(3)
  b.abort(new Error('gone'))
  await rejects(waiting, /gone/)
  assert.is(c.pending, 1)
  a.abort()
  await rejects(dispatched, (e: Error) => e.name === 'AbortError')
  tasks[0]?.finish()
  await tick()
  assert.equal(tasks[1]?.jobs, [3])
  tasks[1]?.finish()
  assert.is(await other, 'r3')
  await rejects(c.submit(4, AbortSignal.abort()), (e: Error) => e.name === 'AbortError')
})

test('a failed task rejects exactly its jobs; rejectWaiting empties the queue; idle() resolves', async () => {
  const { c, tasks } = harness(1)
  const batch1 = c.submit(1)
  await tick()
  const batch2 = [2, 3].map(async (j) => await c.submit(j))
  tasks[0]?.fail(new Error('worker died'))
  await rejects(batch1, /worker died/)
  await tick()
  assert.equal(tasks[1]?.jobs, [2, 3])
  const stuck = c.submit(4)
  let idle = false
  const idling = c.idle().then(() => { idle = true })
  c.rejectWaiting(new Error('stopping'))
  await rejects(stuck, /stopping/)
  assert.is(idle, false)
  tasks[1]?.finish()
  assert.equal(await Promise.all(batch2), ['r2', 'r3'])
  await idling
  assert.is(idle, true)
})

test.run()
