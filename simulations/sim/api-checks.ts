// The invariants checked through the nodes' REST APIs while every node is up and the network is
// quiet — orders-final, orders-unique, keys-match-addresses (invariants.ts) — each scenario
// checking its own orders (scenario-*.ts), after one check across them all: no two orders the
// runner created got the same id.
import { Check, type InvariantResult } from './invariants.ts'
import { label, type OrderRecord, type ScenarioContext, type ScenarioRunner } from './orders.ts'
import type { OrderKind } from './plan.ts'

export async function checkThroughApis (ctx: ScenarioContext, scenarios: Readonly<Record<OrderKind, ScenarioRunner>>, records: readonly OrderRecord[], signal: AbortSignal): Promise<InvariantResult[]> {
  const checks = { final: new Check('orders-final'), unique: new Check('orders-unique'), keys: new Check('keys-match-addresses') }
  const ids = new Map<string, OrderRecord>()
  for (const r of records) {
    if (r.id === undefined) continue
    const other = ids.get(r.id)
    if (other !== undefined) checks.unique.fail(`${label(r)} has the same id as ${label(other)}`)
    ids.set(r.id, r)
  }
  for (const kind of Object.keys(scenarios) as OrderKind[]) {
    const mine = records.filter((r) => r.kind === kind)
    if (mine.length > 0) await (scenarios[kind] as ScenarioRunner).check(ctx, mine, checks, signal)
  }
  return [checks.final.result(), checks.unique.result(), checks.keys.result()]
}
