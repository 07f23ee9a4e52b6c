import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { pino } from 'pino'
import type { KeyedEffect } from '../../../protocol/state/effects.ts'
import { NotDueError, NotYetError, Scheduler, type SchedulerInit } from '../../../node/services/service-base-scheduler.ts'

const entry = CID.createV1(0x71, await sha256.digest(new TextEncoder().encode('entry')))
const effect = (key: string, type = 'test.work'): KeyedEffect => ({ key, seq: 1, entry, effect: { type } })

/** A pino logger whose lines land in `lines` (parsed). */
function capture (): { logger: SchedulerInit['logger'], lines: Array<{ level: number, msg: string, key?: string }> } {
  const lines: Array<{ level: number, msg: string, key?: string }> = []
  return { logger: pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s)) } }), lines }
}

/** Resolves when `check()` holds, checked after each turn of the event loop (one at least); rejects when `signal` aborts. */
async function until (check: () => boolean, signal = AbortSignal.timeout(5_000)): Promise<void> {
  do {
    signal.throwIfAborted()
    await new Promise((resolve) => setImmediate(resolve))
  } while (!check())
}

const made: Scheduler[] = []
test.after.each(() => { for (const s of made.splice(0)) s.stop() }) // also after a failed assertion: no timer left behind

function scheduler (run: SchedulerInit['run'], init: Partial<SchedulerInit> = {}): { s: Scheduler, done: string[], lines: ReturnType<typeof capture>['lines'] } {
  const done: string[] = []
  const { logger, lines } = capture()
  const s = new Scheduler({
    name: 'test',
    logger,
    accepts: (k) => k.effect.type === 'test.work',
    run,
    markDone: async (keys) => { done.push(...keys) },
    now: Date.now,
    retryMs: 60_000,
    parkTtlMs: undefined,
    maxParked: Number.POSITIVE_INFINITY,
    ...init
  })
  s.start()
  made.push(s)
  return { s, done, lines }
}

test('an effect runs once at a time, is marked done when handled, not when it is not the service\'s, and effects of other services are not run', async () => {
  const runs: string[] = []
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const { s, done } = scheduler(async (k) => { runs.push(k.key); await gate; return k.key !== 'theirs' })
  s.schedule(effect('a'))
  s.schedule(effect('a')) // in flight: not run twice
  s.schedule(effect('theirs'))
  s.schedule(effect('x', 'other.work'))
  release()
  await until(() => done.length === 1)
  await s.settled()
  assert.equal(runs, ['a', 'theirs'])
  assert.equal(done, ['a'])
  s.stop()
})

test('a failed effect is logged and retried with backoff; NotDueError runs it again at its due time without a warning', async () => {
  let attempts = 0
  const { s, done, lines } = scheduler(async () => {
    attempts++
    if (attempts === 1) throw new Error('disk full')
    return true
  }, { retryMs: 5 })
  s.schedule(effect('retry'))
  await until(() => done.includes('retry'))
  assert.is(attempts, 2)
  const warn = lines.filter((l) => l.level === 40)
  assert.is(warn.length, 1)
  assert.is(warn[0]?.msg, 'test effect failed; will retry')
  assert.is(warn[0]?.key, 'retry')

  const start = Date.now()
  let dueRuns = 0
  const due = start + 40
  const t = scheduler(async () => {
    dueRuns++
    if (Date.now() < due) throw new NotDueError(due)
    return true
  })
  try {
    t.s.schedule(effect('later'))
    await until(() => t.done.includes('later'))
    assert.ok(Date.now() >= due, 'not run before it is due')
    // Once at first, then at the due time (a timer may fire a millisecond early by the wall clock: once more then).
    assert.ok(dueRuns >= 2 && dueRuns <= 3, `ran ${dueRuns} times`)
    assert.is(t.lines.length, 0, 'a due time is not a failure')
  } finally {
    s.stop()
    t.s.stop()
  }
})

test('without a park time, a message that came too early waits for its subject, however long; unpark runs it again', async () => {
  let ready = false
  const finals: boolean[] = []
  const { s, done, lines } = scheduler(async (_k, final) => {
    finals.push(final)
    if (!ready) throw new NotYetError('order-1')
    return true
  })
  s.schedule(effect('early'))
  await until(() => finals.length === 1)
  assert.equal(finals, [false])
  assert.is(lines.length, 0, 'parked, not retried (a retry is logged)')
  s.unpark('order-2')
  assert.equal(finals, [false], 'another subject moving does not run it')
  ready = true
  s.unpark('order-1')
  await until(() => done.includes('early'))
  assert.equal(finals, [false, false])
  assert.is(lines.length, 0, 'parking is not a failure')
  s.stop()
})

test('with a park time, a parked message runs final once the time is out, and at once when parking is full', async () => {
  const finals: Array<[string, boolean]> = []
  const { s, done } = scheduler(async (k, final) => {
    finals.push([k.key, final])
    if (!final) throw new NotYetError(`subject-${k.key}`)
    return true
  }, { parkTtlMs: 1_000, maxParked: 1 })
  try {
    const parked = Date.now()
    s.schedule(effect('first'))
    await until(() => finals.length === 1)
    s.schedule(effect('second')) // parking is full: final at once
    await until(() => done.includes('second'))
    assert.equal(finals, [['first', false], ['second', false], ['second', true]])
    await until(() => done.includes('first'))
    assert.equal(finals.slice(3), [['first', true]])
    assert.ok(Date.now() - parked >= 990, 'final after the park time')
  } finally {
    s.stop()
  }
})

test('without a park time, a message that finds parking full is retried like a failure', async () => {
  let runs = 0
  const { s, lines } = scheduler(async () => {
    runs++
    throw new NotYetError('order-1')
  }, { maxParked: 1 })
  s.schedule(effect('one'))
  s.schedule(effect('two'))
  await until(() => runs === 2 && lines.length === 1)
  assert.is(lines[0]?.msg, 'test effect failed; will retry')
  assert.is(lines[0]?.key, 'two')
  s.stop()
})

test('stop drops timers and parked messages, and nothing is scheduled after it', async () => {
  let runs = 0
  const { s } = scheduler(async () => {
    runs++
    throw new NotYetError('order-1')
  })
  s.schedule(effect('parked'))
  await until(() => runs === 1)
  s.stop()
  s.unpark('order-1')
  s.schedule(effect('late'))
  await new Promise((resolve) => setImmediate(resolve))
  assert.is(runs, 1)
})

test.run()
