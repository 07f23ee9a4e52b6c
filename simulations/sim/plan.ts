// The plan of a simulation, derived from its options and seed alone: which node plays which role,
// the parties and network of every order, and the fault schedule. Two runs with the same options
// and seed get the same plan; only timing (what the faults happen to interrupt) differs.
//
// Roles: a seeded shuffle of the nodes; the first `fiduciaries` are fiduciaries, the rest are
// split between principals (the larger half) and beneficiaries. Each order takes a principal and
// a beneficiary, and its fiduciaries by kind:
//   custody    one fiduciary
//   safeguard  n of them (1..3) with a threshold k (1..n), and a secret (seeded bytes) to deposit
//   mpin       every fiduciary, as the D-TAs: the beneficiary is the M-Pin client and the
//              principal the authentication server, whose server secret comes from the same D-TAs
//
// Faults are triggered by order progress, not by the clock: fault i fires when order `atOrder`
// starts (`--duration` paces order starts, so it also places the faults in time). Kinds cycle
// through the requested list; each fault holds for `durationMs`, then heals:
//   kill       SIGKILL of one node's process; restarted on the same home and port afterwards
//   restart    clean stop (SIGTERM) of one node; started again afterwards
//   partition  the nodes of `nodes` and all the others refuse each other's connections
//   delay      every envelope batch reaching one node waits `delayMs` before it is received
import { BITCOIN_NETWORKS, type BitcoinNetwork } from '../../crypto/index.ts'
import { SimOptionsError } from './errors.ts'
import { SeededRandom } from './random.ts'

export const SCENARIOS = ['custody', 'safeguard', 'mpin', 'mixed'] as const
export type Scenario = typeof SCENARIOS[number]
/** The kinds of work an order can be; `mixed` draws among the available ones. */
export type OrderKind = Exclude<Scenario, 'mixed'>
export const FAULT_KINDS = ['kill', 'restart', 'partition', 'delay'] as const
export type FaultKind = typeof FAULT_KINDS[number]
export type Role = 'principal' | 'beneficiary' | 'fiduciary'

export interface SimOptions {
  readonly nodes: number
  readonly fiduciaries: number
  readonly orders: number
  readonly scenario: Scenario
  readonly faults: readonly FaultKind[]
  /** How many faults to inject; default one per listed kind. */
  readonly faultCount?: number
  readonly seed: number
  /** Spread order starts evenly over this many ms (default: start them as fast as `concurrency` allows). */
  readonly durationMs?: number
  /** Orders in flight at once. */
  readonly concurrency: number
  /** An order not final after this long counts as not completed. */
  readonly orderTimeoutMs: number
}

export const DEFAULTS = { fiduciaries: 1, orders: 20, concurrency: 16, orderTimeoutMs: 120_000 } as const

export interface PlannedOrder {
  readonly index: number
  readonly kind: OrderKind
  readonly principal: number
  readonly beneficiary: number
  /** custody: one; safeguard: n; mpin: every fiduciary (the D-TAs). */
  readonly fiduciaries: readonly number[]
  /** custody: the wallet's network. */
  readonly network: BitcoinNetwork
  /** safeguard: shares needed to recover. */
  readonly threshold?: number
  /** safeguard: the secret deposited, hex (seeded test data). */
  readonly secret?: string
}

export interface PlannedFault {
  readonly index: number
  readonly kind: FaultKind
  /** Fires when this order starts. */
  readonly atOrder: number
  readonly durationMs: number
  /** kill, restart, delay: the one target; partition: one side (the other side is every other node). */
  readonly nodes: readonly number[]
  readonly delayMs?: number
}

export interface Plan {
  readonly seed: number
  readonly roles: readonly Role[]
  readonly orders: readonly PlannedOrder[]
  readonly faults: readonly PlannedFault[]
}

/** Checks options a user typed; throws SimOptionsError naming the first bad one. */
export function checkOptions (o: SimOptions, available: readonly OrderKind[]): void {
  const int = (v: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isSafeInteger(v) || v < min || v > max) throw new SimOptionsError(`${name} must be an integer from ${min} to ${max} (got ${v})`)
  }
  int(o.nodes, '--nodes', 3, 256)
  int(o.fiduciaries, '--fiduciaries', 1, o.nodes - 2)
  int(o.orders, '--orders', 1, 1_000_000)
  int(o.concurrency, '--concurrency', 1, 10_000)
  int(o.orderTimeoutMs, '--order-timeout', 1_000)
  int(o.seed, '--seed', 0, 2 ** 32 - 1)
  if (o.faultCount !== undefined) int(o.faultCount, '--fault-count', 0, 1_000)
  if (o.durationMs !== undefined) int(o.durationMs, '--duration', 1)
  if (!(SCENARIOS as readonly string[]).includes(o.scenario)) throw new SimOptionsError(`--scenario must be one of ${SCENARIOS.join(', ')} (got ${o.scenario})`)
  for (const f of o.faults) if (!(FAULT_KINDS as readonly string[]).includes(f)) throw new SimOptionsError(`--faults takes ${FAULT_KINDS.join(', ')} (got ${f})`)
  if ((o.faultCount ?? 0) > 0 && o.faults.length === 0) throw new SimOptionsError('--fault-count needs --faults')
  if (o.scenario !== 'mixed' && !available.includes(o.scenario)) {
    throw new SimOptionsError(`scenario '${o.scenario}' needs a service these nodes do not run yet (available: ${available.join(', ')})`)
  }
}

/** The plan for `options`; `available` lists the order kinds the nodes can run. */
export function makePlan (options: SimOptions, available: readonly OrderKind[]): Plan {
  checkOptions(options, available)
  const rng = new SeededRandom(options.seed)
  const shuffled = rng.shuffle(Array.from({ length: options.nodes }, (_, i) => i))
  const roles: Role[] = new Array<Role>(options.nodes)
  const rest = options.nodes - options.fiduciaries
  const principals = Math.ceil(rest / 2)
  shuffled.forEach((node, i) => {
    roles[node] = i < options.fiduciaries ? 'fiduciary' : i < options.fiduciaries + principals ? 'principal' : 'beneficiary'
  })
  const having = (role: Role): number[] => roles.flatMap((r, i) => r === role ? [i] : [])
  const P = having('principal')
  const B = having('beneficiary')
  const F = having('fiduciary')
  const kinds: readonly OrderKind[] = options.scenario === 'mixed' ? available : [options.scenario]

  const orders: PlannedOrder[] = Array.from({ length: options.orders }, (_, index) => {
    const kind = rng.pick(kinds)
    const principal = rng.pick(P)
    const beneficiary = rng.pick(B)
    const fiduciary = rng.pick(F)
    const network = rng.pick(BITCOIN_NETWORKS)
    switch (kind) {
      case 'custody':
        return { index, kind, principal, beneficiary, fiduciaries: [fiduciary], network }
      case 'safeguard': {
        const n = rng.int(1, Math.min(3, F.length))
        const secret = Array.from({ length: 32 }, () => rng.int(0, 255).toString(16).padStart(2, '0')).join('')
        return { index, kind, principal, beneficiary, fiduciaries: rng.shuffle(F).slice(0, n).sort((a, b) => a - b), network, threshold: rng.int(1, n), secret }
      }
      case 'mpin':
        return { index, kind, principal, beneficiary, fiduciaries: F, network }
    }
  })

  const count = options.faultCount ?? options.faults.length
  const first = Math.floor(options.orders * 0.1)
  const last = Math.max(first, Math.floor(options.orders * 0.7))
  const faults: PlannedFault[] = []
  for (let i = 0; i < count; i++) {
    const kind = options.faults[i % options.faults.length] as FaultKind
    const atOrder = rng.int(first, last)
    switch (kind) {
      case 'kill':
        faults.push({ index: i, kind, atOrder, durationMs: rng.int(1_000, 3_000), nodes: [rng.int(0, options.nodes - 1)] })
        break
      case 'restart':
        faults.push({ index: i, kind, atOrder, durationMs: rng.int(500, 2_000), nodes: [rng.int(0, options.nodes - 1)] })
        break
      case 'partition': {
        const side = rng.shuffle(Array.from({ length: options.nodes }, (_, n) => n)).slice(0, rng.int(1, Math.floor(options.nodes / 2)))
        faults.push({ index: i, kind, atOrder, durationMs: rng.int(2_000, 5_000), nodes: side.sort((a, b) => a - b) })
        break
      }
      case 'delay':
        faults.push({ index: i, kind, atOrder, durationMs: rng.int(2_000, 5_000), nodes: [rng.int(0, options.nodes - 1)], delayMs: rng.int(100, 400) })
        break
    }
  }
  faults.sort((a, b) => a.atOrder - b.atOrder || a.index - b.index)
  return { seed: options.seed, roles, orders, faults: faults.map((f, index) => ({ ...f, index })) }
}

/** Nodes each node shares an order with (they must know each other before the orders start). */
export function counterparts (plan: Plan): ReadonlyArray<ReadonlySet<number>> {
  const sets = plan.roles.map(() => new Set<number>())
  for (const o of plan.orders) {
    const parties = [o.principal, o.beneficiary, ...o.fiduciaries]
    for (const a of parties) for (const b of parties) if (a !== b) sets[a]?.add(b)
  }
  return sets
}
