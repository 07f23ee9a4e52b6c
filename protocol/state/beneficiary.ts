// Beneficiary reducer: the role that receives released secrets and combines them. Its state is the
// orders naming this node as beneficiary, keyed by order id; the custody rules are in
// protocol/custody/beneficiary.ts. Pure: no clock, no I/O.
import { reduceBeneficiaryCustody } from '../custody/reduce.ts'
import type { BeneficiaryCustody } from '../custody/state.ts'
import { emptyOrders } from '../custody/order-map.ts'
import type { Effect, Reducer } from './effects.ts'

export type BeneficiaryState = BeneficiaryCustody

export const beneficiaryInitial: BeneficiaryState = { orders: emptyOrders() }

export const beneficiary: Reducer<BeneficiaryState, Effect> = reduceBeneficiaryCustody
