// What the runner records of each order, and what every scenario (custody, safeguard, M-Pin) is
// given to run one and to check them all at the end. The three timestamps between start and done
// mean the same step in each kind:
//
//              publishedMs                 releaseMs               redeemedMs
//   custody    address at the principal    release requested       wallet key at the beneficiary
//   safeguard  shares held (principal)     release requested       secret recovered (beneficiary)
//   mpin       client secret issued        secret exported         login accepted by the server
import type { Cluster } from './cluster.ts'
import type { Check } from './invariants.ts'
import type { PlannedOrder } from './plan.ts'

export interface OrderRecord {
  readonly index: number
  readonly kind: PlannedOrder['kind']
  readonly principal: number
  readonly beneficiary: number
  readonly fiduciaries: readonly number[]
  readonly network: string
  readonly threshold?: number
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

export function recordOf (o: PlannedOrder): OrderRecord {
  return {
    index: o.index,
    kind: o.kind,
    principal: o.principal,
    beneficiary: o.beneficiary,
    fiduciaries: o.fiduciaries,
    network: o.network,
    ...(o.threshold === undefined ? {} : { threshold: o.threshold })
  }
}

export const label = (r: OrderRecord): string => `${r.kind} order #${r.index}${r.id === undefined ? '' : ` (${r.id})`}`

/** The invariants the API checks feed (invariants.ts). */
export interface ApiChecks {
  readonly final: Check
  readonly unique: Check
  readonly keys: Check
}

/** Per run: the cluster, the clock, and what a scenario sets up once per node. */
export interface ScenarioContext {
  readonly cluster: Cluster
  /** ms since the run started */
  readonly now: () => number
  readonly plan: { readonly orders: readonly PlannedOrder[] }
  /** M-Pin: the authentication server's server-secret issuance, once per principal node. */
  readonly serverSecrets: Map<number, Promise<string>>
}

export interface ScenarioRunner {
  /** Work done once before the run starts (M-Pin: the authentication servers' server secrets). */
  prepare?: (ctx: ScenarioContext, signal: AbortSignal) => Promise<void>
  run (ctx: ScenarioContext, record: OrderRecord, signal: AbortSignal): Promise<void>
  /** Checks every order of this kind through the APIs (all nodes up, network quiet). */
  check (ctx: ScenarioContext, records: readonly OrderRecord[], checks: ApiChecks, signal: AbortSignal): Promise<void>
}

/**
 * orders-unique for one kind at one node: `listed` are the ids it lists; `expected` those of the
 * orders it is a party to; `created` every id the runner created of that kind.
 */
export function compareListing (check: Check, node: number, what: string, listed: readonly string[], expected: ReadonlyMap<string, string>, created: ReadonlySet<string>): void {
  check.checked++
  const seen = new Set<string>()
  for (const id of listed) {
    if (seen.has(id)) check.fail(`node${node} lists ${what} ${id} twice`)
    seen.add(id)
    if (!created.has(id)) check.fail(`node${node} lists ${what} ${id}, which no one created (a duplicate or a stray)`)
    else if (!expected.has(id)) check.fail(`node${node} lists ${what} ${id} but is not one of its parties`)
  }
  for (const [id, name] of expected) if (!seen.has(id)) check.fail(`${name} is lost at node${node}`)
}
