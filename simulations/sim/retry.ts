// Calls on a node's REST API that survive the node going down: wait until it is up, call, and on
// a failure that says "not now" (connection refused or reset, a 5xx answer, an order this node
// has not heard of yet) wait for the node to change or a short while, then call again. Everything
// routed through here must be idempotent (reads, long-polls, release requests).
import { ApiCallError, ApiUnreachableError, type ApiClient } from '../../node/index.ts'
import type { Cluster } from './cluster.ts'

const UNKNOWN_YET = new Set(['UnknownOrderError', 'UnknownDepositError', 'UnknownIssuanceError'])

/** Whether a failed API call may simply be repeated later. */
export function retryable (err: unknown): boolean {
  const e = err as Error
  // refused, reset, or the node died while answering (node/api/client.ts)
  if (e instanceof ApiUnreachableError) return true
  // 404 for an order this node has not heard of yet (its first envelope is still on its way)
  if (e instanceof ApiCallError) return e.status >= 500 || (e.status === 404 && UNKNOWN_YET.has(e.remoteName))
  return false
}

export async function retrying<T> (cluster: Cluster, i: number, fn: (api: ApiClient) => Promise<T>, signal: AbortSignal): Promise<T> {
  const n = cluster.node(i)
  for (;;) {
    signal.throwIfAborted()
    const api = n.up ? n.api : undefined
    if (api === undefined) {
      await n.nextChange(signal)
      continue
    }
    try {
      return await fn(api)
    } catch (err) {
      if (signal.aborted) throw signal.reason
      if (!retryable(err)) throw err
      await n.nextChange(signal, 250)
    }
  }
}
