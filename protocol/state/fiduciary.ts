// Fiduciary reducer: the role that generates or holds secret material and releases it only to the
// entitled beneficiary. Its state is the orders naming this node as fiduciary, keyed by order id;
// the custody rules (commitment, release authorization) are in protocol/custody/fiduciary.ts.
// Pure: no clock, no I/O; facts carry public parts and key-store handles only, never a secret.
import { reduceFiduciaryCustody } from '../custody/reduce.ts'
import type { FiduciaryCustody } from '../custody/state.ts'
import { emptyOrders } from '../custody/order-map.ts'
import type { Effect, Reducer } from './effects.ts'

export type FiduciaryState = FiduciaryCustody

export const fiduciaryInitial: FiduciaryState = { orders: emptyOrders() }

export const fiduciary: Reducer<FiduciaryState, Effect> = reduceFiduciaryCustody
