import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { z } from 'zod'
import { listQuery, pageOf, parseCid, running, untilStage, type StageWait } from '../../../node/api/routes-common.ts'

const CID_TEXT = 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'

test('parseCid: a CID, or a ValidationError naming the field', () => {
  assert.is(parseCid(CID_TEXT, 'id').toString(), CID_TEXT)
  assert.throws(() => parseCid('bafynot-a-cid', 'fiduciaries[2]'), (err: Error) => err.name === 'ValidationError' && err.message === 'fiduciaries[2] is not a CID')
})

test('running: the service, or ServiceStoppedError naming it', () => {
  let service: { readonly n: number } | undefined
  const get = running(() => service, 'safeguard')
  assert.throws(() => get(), (err: Error) => err.name === 'ServiceStoppedError' && err.message === 'the safeguard service is not running')
  service = { n: 1 }
  assert.is(get(), service)
})

test('listQuery and pageOf: cursor and a coerced limit of 1..500, nothing else; absent fields left out', () => {
  const q = listQuery('deposits')
  assert.equal(q.parse({ cursor: 'abc', limit: '5' }), { cursor: 'abc', limit: 5 })
  assert.equal(q.parse({}), {})
  for (const bad of [{ limit: '0' }, { limit: '501' }, { limit: '1.5' }, { cursor: '' }, { page: 2 }]) assert.is(q.safeParse(bad).success, false, JSON.stringify(bad))
  assert.is((z.toJSONSchema(q) as { properties?: Record<string, { description?: string }> }).properties?.limit?.description, 'deposits per page (default 50)')
  assert.equal(pageOf({}), {})
  assert.equal(pageOf({ cursor: 'abc' }), { cursor: 'abc' })
  assert.equal(pageOf({ limit: 7 }), { limit: 7 })
})

/** A view that changes when `set` is called; waitFor resolves on a matching set, rejects with its signal's reason. */
function views (initial: string): { wait: Omit<StageWait<string>, 'reached' | 'timeoutMs' | 'signal'>, set: (v: string) => void, waits: () => number } {
  let current = initial
  let waits = 0
  const listeners = new Set<() => void>()
  return {
    wait: {
      now: initial,
      current: () => current,
      waitFor: async (until, { signal }) => {
        waits++
        if (until(current)) return current
        return await new Promise<string>((resolve, reject) => {
          const check = (): void => { if (until(current)) { listeners.delete(check); resolve(current) } }
          listeners.add(check)
          signal.addEventListener('abort', () => { listeners.delete(check); reject(signal.reason) }, { once: true })
        })
      }
    },
    set: (v) => { current = v; for (const l of [...listeners]) l() },
    waits: () => waits
  }
}

test('untilStage: now without a stage or once reached; later when it is reached; the view then when the timeout passes', async () => {
  const client = new AbortController()
  const a = views('published')
  assert.is(await untilStage({ ...a.wait, reached: undefined, timeoutMs: undefined, signal: client.signal }), 'published')
  assert.is(await untilStage({ ...a.wait, reached: (v) => v === 'published', timeoutMs: undefined, signal: client.signal }), 'published')
  assert.is(a.waits(), 0, 'no wait when the stage is reached')

  const b = views('published')
  const later = untilStage({ ...b.wait, reached: (v) => v === 'redeemed', timeoutMs: 10_000, signal: client.signal })
  b.set('released')
  b.set('redeemed')
  assert.is(await later, 'redeemed')

  const c = views('published')
  const timedOut = untilStage({ ...c.wait, reached: (v) => v === 'redeemed', timeoutMs: 20, signal: client.signal })
  c.set('released')
  const alive = setInterval(() => {}, 1_000) // AbortSignal.timeout's timer does not hold the process open (the server does)
  try {
    assert.is(await timedOut, 'released', 'the view as it is when the timeout passes, not an error')
  } finally {
    clearInterval(alive)
  }
})

test('untilStage: a client that goes away ends the wait with its abort; other errors are thrown', async () => {
  const client = new AbortController()
  const a = views('published')
  const waiting = untilStage({ ...a.wait, reached: (v) => v === 'redeemed', timeoutMs: 60_000, signal: client.signal })
  client.abort(new DOMException('gone', 'AbortError'))
  await rejects(waiting, { name: 'AbortError', message: 'gone' })

  const failing = untilStage({ now: 'x', current: () => 'x', reached: () => false, waitFor: async () => { throw new Error('log closed') }, timeoutMs: 60_000, signal: new AbortController().signal })
  await rejects(failing, { message: 'log closed' })
})

test.run()
