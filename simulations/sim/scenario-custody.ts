// One custody order driven through the REST API as its three operators would: the principal
// creates it and waits for the address, asks for the release, and the order is done when the
// beneficiary has redeemed (holds w with w·G = W), the principal has heard so, and the fiduciary
// has released. Every step but the creation is retried across faults (retry.ts); the creation
// holds its node up (cluster.ts) so it is never repeated.
import type { OrderJson } from '../../node/index.ts'
import type { Cluster } from './cluster.ts'
import type { PlannedOrder } from './plan.ts'
import { retrying } from './retry.ts'

export interface OrderRecord {
  readonly index: number
  readonly kind: PlannedOrder['kind']
  readonly principal: number
  readonly beneficiary: number
  readonly fiduciary: number
  readonly network: string
  id?: string
  /** ms since the run started */
  startedMs?: number
  createdMs?: number
  publishedMs?: number
  releaseMs?: number
  redeemedMs?: number
  doneMs?: number
  error?: string
}

export type Stage = 'published' | 'principal-redeemed' | 'beneficiary-redeemed' | 'fiduciary-released'

export function atStage (o: OrderJson, stage: Stage): boolean {
  switch (stage) {
    case 'published': return o.wallet !== null
    case 'principal-redeemed': return o.status.principal === 'redeemed'
    case 'beneficiary-redeemed': return o.status.beneficiary === 'redeemed'
    case 'fiduciary-released': return o.status.fiduciary === 'released'
  }
}

const WAIT: Readonly<Record<Stage, 'published' | 'released' | 'redeemed'>> = {
  published: 'published', 'principal-redeemed': 'redeemed', 'beneficiary-redeemed': 'redeemed', 'fiduciary-released': 'released'
}

/** Long-polls node i until order `id` reaches `stage` there. */
export async function until (cluster: Cluster, i: number, id: string, stage: Stage, signal: AbortSignal): Promise<OrderJson> {
  for (;;) {
    const o = await retrying(cluster, i, async (api) => await api.order(id, { stage: WAIT[stage], timeoutMs: 5_000 }, { signal }), signal)
    if (atStage(o, stage)) return o
  }
}

export async function runCustodyOrder (cluster: Cluster, record: OrderRecord, now: () => number, signal: AbortSignal): Promise<void> {
  const { principal: p, beneficiary: b, fiduciary: f } = record
  record.startedMs = now()
  const created = await cluster.hold(p, async (api) => await api.createOrder({
    beneficiary: cluster.node(b).identity,
    fiduciary: cluster.node(f).identity,
    network: record.network
  }), signal)
  const id = created.id
  record.id = id
  record.createdMs = now()
  await until(cluster, p, id, 'published', signal)
  record.publishedMs = now()
  await retrying(cluster, p, async (api) => await api.release(id), signal)
  record.releaseMs = now()
  await Promise.all([
    until(cluster, b, id, 'beneficiary-redeemed', signal).then(() => { record.redeemedMs = now() }),
    until(cluster, p, id, 'principal-redeemed', signal),
    until(cluster, f, id, 'fiduciary-released', signal)
  ])
  record.doneMs = now()
}
