// The state machine a full node folds its log with: the role reducers (custody, inbox) plus the
// M-Pin, safeguard and threshold-custody slices. The node, `milagro audit` and backup restore all use this one, so a
// replay computes exactly what the running node computed (and its checkpoints compare).
import type { Effect, StateMachine } from './state/effects.ts'
import { nodeMachine } from './state/machine.ts'
import { withMpin } from './mpin/machine.ts'
import { withSafeguard } from './safeguard/machine.ts'
import { withThreshold } from './threshold/machine.ts'

export function fullNodeMachine (): StateMachine<unknown, Effect> {
  return withThreshold(withSafeguard(withMpin(nodeMachine()))) as StateMachine<unknown, Effect>
}
