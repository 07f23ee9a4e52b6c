// The node's state machine: the inbox and the three role reducers over their slices of one state.
// Bump NODE_STATE_VERSION whenever a reducer changes what it computes from the same entries, so
// that nodes ignore checkpoints written by the previous code and replay from genesis.
//   1  skeleton counters
//   2  custody orders per role (protocol/custody/), inbox with `envelope.open` effects
//   3  custody orders in bucketed maps (protocol/custody/order-map.ts)
//   4  bucket keys prefixed with '_' (order-map.ts)
import { beneficiary, beneficiaryInitial } from './beneficiary.ts'
import type { Effect, StateMachine } from './effects.ts'
import { fiduciary, fiduciaryInitial } from './fiduciary.ts'
import { combineReducers, createMachine, type CombinedState } from './fold.ts'
import { inbox, inboxInitial } from './inbox.ts'
import { isCustodyEffect } from '../custody/effects.ts'
import { custodyEffectSettled, orderIds } from '../custody/queries.ts'
import { principal, principalInitial } from './principal.ts'

export const NODE_STATE_VERSION = 4

const reducers = { inbox, principal, fiduciary, beneficiary }

export type NodeState = CombinedState<typeof reducers>

export const nodeInitialState: NodeState = { inbox: inboxInitial, principal: principalInitial, fiduciary: fiduciaryInitial, beneficiary: beneficiaryInitial }

export function nodeMachine (): StateMachine<NodeState, Effect> {
  return createMachine({
    version: NODE_STATE_VERSION,
    initial: nodeInitialState,
    reducer: combineReducers(reducers),
    // The custody service appends a fact with the work its effects ask for (custody.ts, #commit).
    settled: (state, effect) => isCustodyEffect(effect) && custodyEffectSettled(state, effect)
  })
}

/** Figures for `milagro audit`'s summary. */
export function summarize (state: NodeState): { readonly orders: number } {
  return { orders: orderIds(state).length }
}
