// A worker thread of the simulation's process that runs some of its nodes (threaded.ts drives
// it): nodes started as in a child process (sim-node.ts), all on one crypto pool of this thread.
// Messages from the parent: { op: 'start', id, home, init } | { op: 'control', id, rid, request }
// | { op: 'stop', id } | { op: 'close' }. To the parent: { ev: 'ready', id, ready } | { ev:
// 'failed', id, error } | { ev: 'identity', id, cid } | { ev: 'reply', rid, ok, result | error } |
// { ev: 'stopped', id } | { ev: 'closed' }.
import { parentPort, workerData } from 'node:worker_threads'
import { CryptoPool } from '../../crypto/index.ts'
import { loadHome } from '../../node/home.ts'
import type { ControlRequest } from './control.ts'
import { startSimNode, type SimNodeInit, type StartedSimNode } from './sim-node.ts'

export interface ThreadData {
  readonly poolSize: number
  readonly poolIdleTimeoutMs: number
}

export type ThreadInit = Omit<SimNodeInit, 'sharedPool' | 'poolSize' | 'poolIdleTimeoutMs' | 'signal'>

export type ToThread =
  | { readonly op: 'start', readonly id: number, readonly home: string, readonly init: ThreadInit }
  | { readonly op: 'control', readonly id: number, readonly rid: number, readonly request: ControlRequest }
  | { readonly op: 'stop', readonly id: number }
  | { readonly op: 'close' }

export type FromThread =
  | { readonly ev: 'ready', readonly id: number, readonly ready: StartedSimNode['ready'] }
  | { readonly ev: 'failed', readonly id: number, readonly error: string }
  | { readonly ev: 'identity', readonly id: number, readonly cid: string }
  | { readonly ev: 'reply', readonly rid: number, readonly ok: boolean, readonly result?: unknown, readonly error?: string }
  | { readonly ev: 'stopped', readonly id: number }
  | { readonly ev: 'closed' }

const port = parentPort
if (port === null) throw new TypeError('thread-worker.ts runs in a worker thread')
const data = workerData as ThreadData
const pool = new CryptoPool({ size: data.poolSize, curves: [], idleTimeoutMs: data.poolIdleTimeoutMs })
const nodes = new Map<number, Promise<StartedSimNode>>()
const post = (msg: FromThread): void => { port.postMessage(msg) }
const describe = (err: unknown): string => `${(err as Error).name}: ${(err as Error).message}`

async function stop (id: number): Promise<void> {
  const started = nodes.get(id)
  nodes.delete(id)
  const node = await started?.catch(() => undefined)
  await node?.node.stop()
}

port.on('message', (msg: ToThread) => {
  switch (msg.op) {
    case 'start': {
      const started = (async () => await startSimNode(await loadHome(msg.home), { ...msg.init, sharedPool: pool }, (cid) => { post({ ev: 'identity', id: msg.id, cid }) }))()
      nodes.set(msg.id, started)
      started.then((s) => { post({ ev: 'ready', id: msg.id, ready: s.ready }) }, (err: unknown) => {
        nodes.delete(msg.id)
        post({ ev: 'failed', id: msg.id, error: describe(err) })
      })
      return
    }
    case 'control': {
      const started = nodes.get(msg.id)
      void (async () => {
        if (started === undefined) throw new Error(`control ${msg.request.cmd}: the node is stopped`)
        return await (await started).control(msg.request)
      })().then((result) => { post({ ev: 'reply', rid: msg.rid, ok: true, result }) }, (err: unknown) => {
        post({ ev: 'reply', rid: msg.rid, ok: false, error: describe(err) })
      })
      return
    }
    case 'stop':
      // A node's stop logs and passes over what fails inside it; the parent only needs to know it is done.
      void stop(msg.id).catch(() => {}).then(() => { post({ ev: 'stopped', id: msg.id }) })
      return
    case 'close':
      void Promise.allSettled([...nodes.keys()].map(async (id) => {
        await stop(id).catch(() => {})
        post({ ev: 'stopped', id })
      })).then(async () => { await pool.stop() }).catch(() => {}).then(() => {
        post({ ev: 'closed' })
        port.close()
      })
  }
})
