// Public surface of simulations/.
export { runSim, AVAILABLE_KINDS, SCENARIO_RUNNERS, type RunOptions, type Progress, type Phase } from './sim/runner.ts'
export {
  makePlan, checkOptions, counterparts, SCENARIOS, FAULT_KINDS, DEFAULTS,
  type SimOptions, type Plan, type PlannedOrder, type PlannedFault, type Scenario, type FaultKind, type OrderKind
} from './sim/plan.ts'
export { writeReport, renderReport } from './sim/report-html.ts'
export { faultLabel } from './sim/report-svg.ts'
export { failureReasons, type SimResult, type Percentiles } from './sim/result.ts'
export { INVARIANTS, type InvariantName, type InvariantResult } from './sim/invariants.ts'
export * from './sim/errors.ts'
export { MODES, type NodeMode } from './sim/cluster.ts'
