// node/node.ts stop(): a network-facing step that never finishes (here a service whose stop hangs,
// as one waiting on an unreachable peer would) is cut at its time bound, logged, and the node
// still closes its log and stores — it can be opened again at once, and its log is intact.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import pino from 'pino'
import { Writable } from 'node:stream'
import type { MilagroNode } from '../../node/node.ts'
import { makeHome, startNode, stopNodes } from './node-harness.ts'

test('a service whose stop never resolves does not keep the node from stopping', async () => {
  const dir = await makeHome('stop-hang')
  const lines: string[] = []
  const logger = pino({ level: 'error' }, new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } }))
  let node: MilagroNode | undefined
  let again: MilagroNode | undefined
  try {
    node = await startNode(dir, { logger, stopStepTimeoutMs: 300, services: [() => ({ start: async () => {}, stop: async () => await new Promise<void>(() => {}) })] })
    await node.send([node.identity.cid], 'test/before-stop', { n: 1 })
    const head = node.log.head
    const t0 = performance.now()
    const bound = new Promise<never>((_resolve, reject) => { setTimeout(() => { reject(new Error('node.stop() did not return within 10 s')) }, 10_000).unref() })
    await Promise.race([node.stop(), bound])
    const ms = performance.now() - t0
    assert.is(node.started, false)
    assert.ok(ms < 5_000, `stop took ${Math.round(ms)} ms`)
    assert.ok(lines.some((l) => l.includes('stopping service failed') && l.includes('did not finish within 300 ms')), lines.join('\n'))
    // The stores were closed: the same home opens again, with the same head.
    again = await startNode(dir)
    assert.is(again.log.head?.cid.toString(), head?.cid.toString())
  } finally {
    await stopNodes([again])
    await rm(dirname(dir), { recursive: true, force: true })
  }
})

test.run()
