// What the REST routes of the order-like resources (custody orders, safeguarded deposits,
// threshold orders) have in common: a CID from a path or body field, the service behind the routes
// or a 503, the list query and its cursor pagination, and the `?wait=` convention of their show
// routes. Each resource keeps its own schemas, views and stages.
import { z } from 'zod'
import { CID } from 'multiformats/cid'
import { ServiceStoppedError } from '../services/errors.ts'
import { ValidationError } from './errors.ts'

/** `text` as a CID, or a ValidationError naming the field `what`. */
export function parseCid (text: string, what: string): CID {
  try {
    return CID.parse(text)
  } catch (err) {
    throw new ValidationError(`${what} is not a CID`, { cause: err })
  }
}

/** The service `get()` returns, or ServiceStoppedError (503) naming it: "the `name` service is not running". */
export function running<S> (get: () => S | undefined, name: string): () => S {
  return () => {
    const s = get()
    if (s === undefined) throw new ServiceStoppedError(`the ${name} service is not running`)
    return s
  }
}

/** The query of a list route: a page of `items` after `cursor` (the `next` of the previous page). */
export function listQuery (items: string) {
  return z.object({
    cursor: z.string().min(1).max(300).describe('the `next` of the previous page').optional(),
    limit: z.coerce.number().int().min(1).max(500).describe(`${items} per page (default 50)`).optional()
  }).strict()
}

/** The page a list query asks for, as the services take it (absent fields left out). */
export function pageOf (q: { readonly cursor?: string | undefined, readonly limit?: number | undefined }): { cursor?: string, limit?: number } {
  return { ...(q.cursor === undefined ? {} : { cursor: q.cursor }), ...(q.limit === undefined ? {} : { limit: q.limit }) }
}

export interface StageWait<V> {
  /** The view now. */
  readonly now: V
  /** Whether a view reached the stage asked for; undefined: no stage asked for. */
  readonly reached: ((view: V) => boolean) | undefined
  /** The service's waitFor: the view once `until` holds. */
  readonly waitFor: (until: (view: V) => boolean, options: { signal: AbortSignal }) => Promise<V>
  /** The view as it is when the wait times out. */
  readonly current: () => V
  /** Longest wait (ms, default 30 s). */
  readonly timeoutMs: number | undefined
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal
}

/**
 * The `?wait=` convention of the show routes: the view now when no stage is asked for or it is
 * reached; else the view once it reaches the stage, or — when the timeout passes first — the view
 * as it is then (not an error). A client that goes away ends the wait with its abort.
 */
export async function untilStage<V> (w: StageWait<V>): Promise<V> {
  const reached = w.reached
  if (reached === undefined || reached(w.now)) return w.now
  const bounded = AbortSignal.any([w.signal, AbortSignal.timeout(w.timeoutMs ?? 30_000)])
  try {
    return await w.waitFor(reached, { signal: bounded })
  } catch (err) {
    if (w.signal.aborted || (err as Error).name !== 'TimeoutError') throw err
    return w.current()
  }
}
