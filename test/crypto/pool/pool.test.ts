// crypto/pool/pool.ts: lifecycle, M-Pin verification and issuance and Ed25519 batches through
// worker threads with their error types intact, bounded queue (QueueFullError), abort, and a
// worker that dies mid-task (WorkerCrashedError, then replaced). Workers are held busy with a
// SharedArrayBuffer lock the test releases, never with sleeps.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { CryptoPool } from '../../../crypto/pool/pool.ts'
import { loadCurve } from '../../../crypto/mpin/curves.ts'
import { hashId } from '../../../crypto/mpin/map.ts'
import { clientSecretShare, randomScalar, serverSecretShare, timePermitShare } from '../../../crypto/mpin/mpin.ts'
import { BadPinError } from '../../../crypto/mpin/errors.ts'
import { logins, signedItems } from './helpers.ts'

const testWorker = new URL('./fixtures/test-worker.ts', import.meta.url)

function lock (): { buffer: SharedArrayBuffer, release: () => void } {
  const buffer = new SharedArrayBuffer(4)
  return {
    buffer,
    release: () => {
      Atomics.store(new Int32Array(buffer), 0, 1)
      Atomics.notify(new Int32Array(buffer), 0)
    }
  }
}

const named = (name: string) => (err: Error): boolean => err.name === name

test('lifecycle: PoolStoppedError before start and after stop; start and stop are idempotent', async () => {
  const pool = new CryptoPool({ size: 2, curves: ['BN254'] })
  assert.is(pool.running, false)
  await rejects(pool.verifyBatch(signedItems(1)), named('PoolStoppedError'))
  await Promise.all([pool.start(), pool.start()])
  await pool.start()
  assert.is(pool.running, true)
  assert.is(pool.threads, 2)
  assert.equal(await pool.verifyBatch(signedItems(3)), [true, true, true])
  await pool.stop()
  await pool.stop()
  assert.is(pool.running, false)
  assert.is(pool.threads, 0)
  await rejects(pool.verifyBatch(signedItems(1)), named('PoolStoppedError'))
  assert.throws(() => new CryptoPool({ size: 0 }), RangeError)
  assert.throws(() => new CryptoPool({ maxQueue: -1 }), RangeError)
})

test('start() fails cleanly when the workers cannot load their module, and honours its signal', async () => {
  const broken = new CryptoPool({ size: 1, worker: new URL('./fixtures/does-not-exist.ts', import.meta.url) })
  await rejects(broken.start(), named('WorkerCrashedError'))
  assert.is(broken.running, false)
  assert.is(broken.threads, 0)
  const pool = new CryptoPool({ size: 1, curves: [] })
  await rejects(pool.start({ signal: AbortSignal.abort() }), named('AbortError'))
  assert.is(pool.running, false)
  await pool.start()
  assert.is(pool.running, true)
  await pool.stop()
})

test('M-Pin verification on both curves keeps its error types across threads', async () => {
  const pool = new CryptoPool({ size: 2 })
  await pool.start()
  try {
    for (const curve of ['BN254', 'BLS12-381'] as const) {
      for (const date of [0, 19999]) {
        const jobs = await logins(curve, 6, date)
        const [good, bad] = jobs
        if (good === undefined || bad === undefined) throw new Error('no jobs')
        await pool.mpinVerify(good)
        await rejects(pool.mpinVerify(bad), (err: Error) => err instanceof BadPinError && err.name === 'BadPinError')
        const results = await pool.mpinVerifyBatch(jobs)
        assert.equal(results.map((r) => r === null ? 'ok' : r.name), ['ok', 'BadPinError', 'ok', 'BadPinError', 'ok', 'BadPinError'])
        const V = good.V.slice()
        V[V.length - 1] = (V[V.length - 1] as number) ^ 1
        await rejects(pool.mpinVerify({ ...good, V }), named('InvalidPointError'))
        await rejects(pool.mpinVerify({ ...good, y: new Uint8Array(good.y.length) }), named('InvalidKeyError'))
      }
    }
    const [job] = await logins('BN254', 1)
    if (job === undefined) throw new Error('no job')
    await rejects(pool.mpinVerify({ ...job, curve: 'BN254CX' as 'BN254' }), named('TypeError'))
    assert.equal(await pool.mpinVerifyBatch([]), [])
  } finally {
    await pool.stop()
  }
})

test('share issuance in the pool equals in-process issuance, for all three kinds', async () => {
  const pool = new CryptoPool({ size: 2 })
  await pool.start()
  try {
    for (const curveName of ['BN254', 'BLS12-381'] as const) {
      const curve = await loadCurve(curveName)
      const share = randomScalar(curve)
      const hids = Array.from({ length: 5 }, (_, i) => hashId(curve, new TextEncoder().encode(`id-${i}`)))
      const issued = await pool.mpinIssueBatch(hids.map((hashedId) => ({ kind: 'client-secret' as const, curve: curveName, share, hashedId })))
      assert.equal(issued, hids.map((hid) => clientSecretShare(curve, share, hid)))
      assert.equal(await pool.mpinIssue({ kind: 'server-secret', curve: curveName, share }), serverSecretShare(curve, share))
      const hid = hids[0] as Uint8Array
      assert.equal(await pool.mpinIssue({ kind: 'time-permit', curve: curveName, share, hashedId: hid, date: 20001 }), timePermitShare(curve, share, 20001, hid))
      await rejects(pool.mpinIssue({ kind: 'server-secret', curve: curveName, share: new Uint8Array(3) }), named('InvalidKeyError'))
      await rejects(pool.mpinIssue({ kind: 'time-permit', curve: curveName, share, hashedId: hid, date: 0 }), named('RangeError'))
    }
  } finally {
    await pool.stop()
  }
})

test('concurrent single M-Pin jobs are coalesced, bounded, abortable, and drained by stop()', async () => {
  const pool = new CryptoPool({ size: 1, maxQueue: 8, curves: ['BN254'], worker: testWorker })
  await pool.start()
  const jobs = await logins('BN254', 8)
  const { buffer, release } = lock()
  const held = pool.run<string>('hold', buffer)
  const first = pool.mpinVerify(jobs[0]!)
  await new Promise<void>((resolve) => setImmediate(resolve))
  // The one lane is taken (its task queued behind the held worker); these wait in the coalescer.
  const answers = jobs.slice(1, 7).map(async (job) => await pool.mpinVerify(job).then(() => 'ok', (e: Error) => e.name))
  const controller = new AbortController()
  const aborted = pool.mpinVerify(jobs[7]!, { signal: controller.signal })
  assert.is(pool.pending, 7)
  await rejects(pool.mpinVerifyBatch(jobs.slice(0, 2)), named('QueueFullError'))
  controller.abort()
  await rejects(aborted, named('AbortError'))
  assert.is(pool.pending, 6)
  const stopping = pool.stop()
  release()
  assert.is(await held, 'released')
  await first
  assert.equal(await Promise.all(answers), ['BadPinError', 'ok', 'BadPinError', 'ok', 'BadPinError', 'ok'])
  await stopping
  assert.is(pool.threads, 0)
  assert.is(pool.crashes, 0)
})

test('Ed25519 batches are split across workers and come back in order', async () => {
  const pool = new CryptoPool({ size: 2, curves: [] })
  await pool.start()
  try {
    const items = signedItems(301)
    const expected = items.map((_, i) => i % 37 !== 5)
    const batch = items.map((it, i) => i % 37 === 5 ? { ...it, message: new TextEncoder().encode('forged') } : it)
    assert.equal(await pool.verifyBatch(batch), expected)
    assert.equal(await pool.verifyBatch([]), [])
  } finally {
    await pool.stop()
  }
})

test('on demand (idleTimeoutMs): no thread until a task needs one, then threads end after the idle time; a bad worker fails the task', async () => {
  assert.throws(() => new CryptoPool({ idleTimeoutMs: -1 }), RangeError)
  const pool = new CryptoPool({ size: 2, curves: [], idleTimeoutMs: 50 })
  await pool.start()
  try {
    assert.equal([pool.running, pool.threads, pool.idleTimeoutMs], [true, 0, 50])
    const items = signedItems(200)
    assert.equal(await pool.verifyBatch(items), items.map(() => true))
    assert.ok(pool.threads >= 1 && pool.threads <= 2, `threads while busy: ${pool.threads}`)
    const bound = AbortSignal.timeout(10_000)
    while (pool.threads > 0 && !bound.aborted) await new Promise((resolve) => setTimeout(resolve, 20))
    assert.is(pool.threads, 0, 'idle threads ended')
    assert.equal(await pool.verifyBatch(items.slice(0, 70)), items.slice(0, 70).map(() => true), 'and start again on the next task')
  } finally {
    await pool.stop()
  }
  assert.is(pool.threads, 0)
  const broken = new CryptoPool({ size: 1, idleTimeoutMs: 50, worker: new URL('./fixtures/does-not-exist.ts', import.meta.url) })
  await broken.start()
  try {
    await rejects(broken.verifyBatch(signedItems(70)), named('WorkerCrashedError'))
  } finally {
    await broken.stop()
  }
  await rejects(new CryptoPool({ size: 1, idleTimeoutMs: 50 }).start({ signal: AbortSignal.abort() }), named('AbortError'))
})

test('bounded queue: the submission past maxQueue is QueueFullError, the rest complete', async () => {
  const pool = new CryptoPool({ size: 1, maxQueue: 2, curves: [], worker: testWorker })
  await pool.start()
  try {
    const { buffer, release } = lock()
    const held = pool.run<string>('hold', buffer)
    const queued = [pool.verifyBatch(signedItems(2)), pool.verifyBatch(signedItems(1))]
    assert.is(pool.queueSize, 2)
    await rejects(pool.verifyBatch(signedItems(1)), named('QueueFullError'))
    release()
    assert.is(await held, 'released')
    assert.equal(await Promise.all(queued), [[true, true], [true]])
    assert.is(pool.queueSize, 0)
    assert.is(pool.crashes, 0)
  } finally {
    await pool.stop()
  }
})

test('abort: a queued task is dropped with AbortError and the worker stays', async () => {
  const pool = new CryptoPool({ size: 1, curves: [], worker: testWorker })
  await pool.start()
  try {
    const { buffer, release } = lock()
    const held = pool.run<string>('hold', buffer)
    const controller = new AbortController()
    const queued = pool.verifyBatch(signedItems(1), { signal: controller.signal })
    controller.abort()
    await rejects(queued, named('AbortError'))
    await rejects(pool.verifyBatch(signedItems(1), { signal: AbortSignal.abort() }), named('AbortError'))
    release()
    assert.is(await held, 'released')
    assert.is(pool.crashes, 0)
    assert.equal(await pool.verifyBatch(signedItems(1)), [true])
  } finally {
    await pool.stop()
  }
})

test('a worker that exits mid-task fails that task with WorkerCrashedError and is replaced', async () => {
  const pool = new CryptoPool({ size: 2, curves: ['BN254'], worker: testWorker })
  await pool.start()
  try {
    const { buffer, release } = lock()
    const held = pool.run<string>('hold', buffer)
    await rejects(pool.run('exit', 7), (err: Error) => err.name === 'WorkerCrashedError' && /code: 7/.test(err.message))
    assert.is(pool.crashes, 1)
    // The other worker was unaffected; the pool is back to full size and serves M-Pin jobs.
    release()
    assert.is(await held, 'released')
    assert.is(pool.threads, 2)
    const jobs = await logins('BN254', 4)
    const results = await pool.mpinVerifyBatch(jobs)
    assert.equal(results.map((r) => r === null ? 'ok' : r.name), ['ok', 'BadPinError', 'ok', 'BadPinError'])
    // Crash both, in turn: still two workers afterwards.
    await rejects(pool.run('exit', 1), named('WorkerCrashedError'))
    await rejects(pool.run('exit', 2), named('WorkerCrashedError'))
    assert.is(pool.crashes, 3)
    assert.equal(await pool.verifyBatch(signedItems(200)), new Array(200).fill(true))
    assert.is(pool.threads, 2)
  } finally {
    await pool.stop()
  }
})

test('stop() refuses new work and waits for running and queued tasks', async () => {
  const pool = new CryptoPool({ size: 1, curves: [], worker: testWorker })
  await pool.start()
  const { buffer, release } = lock()
  const held = pool.run<string>('hold', buffer)
  const queued = pool.verifyBatch(signedItems(2))
  let stopped = false
  const stopping = pool.stop().then(() => { stopped = true })
  assert.is(pool.running, false)
  await rejects(pool.verifyBatch(signedItems(1)), named('PoolStoppedError'))
  assert.is(stopped, false)
  release()
  assert.is(await held, 'released')
  assert.equal(await queued, [true, true])
  await stopping
  assert.is(pool.threads, 0)
  assert.is(pool.crashes, 0)
  // The pool can be started again.
  await pool.start()
  assert.equal(await pool.verifyBatch(signedItems(1)), [true])
  await pool.stop()
})

test('stop({ signal }) gives up waiting: running and queued tasks reject with PoolStoppedError', async () => {
  const pool = new CryptoPool({ size: 1, curves: [], worker: testWorker })
  await pool.start()
  const { buffer } = lock()
  const held = pool.run<string>('hold', buffer)
  const queued = pool.verifyBatch(signedItems(1))
  const controller = new AbortController()
  const stopping = pool.stop({ signal: controller.signal })
  const outcomes = [rejects(held, named('PoolStoppedError')), rejects(queued, named('PoolStoppedError'))]
  controller.abort()
  await stopping
  await Promise.all(outcomes)
  assert.is(pool.threads, 0)
  assert.is(pool.crashes, 0)
})

test.run()
