// Principal reducer: the role that asks fiduciaries to issue or safeguard secrets for a
// beneficiary. Its state is the orders this node created, keyed by order id; the custody rules are
// in protocol/custody/principal.ts. Pure: no clock, no I/O.
import { reducePrincipalCustody } from '../custody/reduce.ts'
import type { PrincipalCustody } from '../custody/state.ts'
import { emptyOrders } from '../custody/order-map.ts'
import type { Effect, Reducer } from './effects.ts'

export type PrincipalState = PrincipalCustody

export const principalInitial: PrincipalState = { orders: emptyOrders() }

export const principal: Reducer<PrincipalState, Effect> = reducePrincipalCustody
