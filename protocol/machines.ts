// The state machine a full node folds its log with: the role reducers (custody, inbox) plus the
// M-Pin and safeguard slices. The node, `milagro audit` and backup restore all use this one, so a
// replay computes exactly what the running node computed (and its checkpoints compare).
import type { Effect, StateMachine } from './state/effects.ts'
import { nodeMachine } from './state/machine.ts'
import { withMpin } from './mpin/machine.ts'
import { withSafeguard } from './safeguard/machine.ts'

export function fullNodeMachine (): StateMachine<unknown, Effect> {
  return withSafeguard(withMpin(nodeMachine())) as StateMachine<unknown, Effect>
}
