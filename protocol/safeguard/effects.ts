// Effects of the safeguard reducer: what a role asks the node to do once a fact is durable. Each
// carries only CIDs, indexes and key-store handles (effects are stored in the log's outbox); the
// executor reads what else it needs from the state, and first asks the state whether the work is
// recorded already — then it does nothing (effects are idempotent per deposit).
//
//   safeguard.accept        fiduciary: generate a per-deposit transfer key in the key store and
//                           send its public key to the principal (`safeguard/accept`)
//   safeguard.deal          principal: seal share i (from the key store) to fiduciary i's transfer
//                           key and send it to that fiduciary alone (`safeguard/share`)
//   safeguard.send          send a message whose body the reducer computed (`safeguard/held`)
//   safeguard.release       fiduciary: once the deposit's delay has run on its clock, seal its
//                           share to the beneficiary alone (`safeguard/release`) and tell the
//                           principal (`safeguard/released`)
//   safeguard.combine       beneficiary: combine k checked shares, check the commitment, import
//                           the secret (`safeguard.recovered`)
//   safeguard.destroy       destroy key-store records no longer needed (a dealt share at the
//                           principal, a transfer key, shares once combined); a record already
//                           gone counts as destroyed
//   safeguard.revoke-share  fiduciary: destroy its share and transfer key, then confirm to the
//                           principal (`safeguard/destroyed`)
import type { CID } from 'multiformats/cid'
import type { IpldValue } from '../state/types.ts'
import type { SafeguardMessageType } from './types.ts'

export const SAFEGUARD_EFFECTS = {
  accept: 'safeguard.accept',
  deal: 'safeguard.deal',
  send: 'safeguard.send',
  release: 'safeguard.release',
  combine: 'safeguard.combine',
  destroy: 'safeguard.destroy',
  revokeShare: 'safeguard.revoke-share'
} as const
export type SafeguardEffectType = typeof SAFEGUARD_EFFECTS[keyof typeof SAFEGUARD_EFFECTS]

export type DepositEffect = {
  readonly type: typeof SAFEGUARD_EFFECTS.accept | typeof SAFEGUARD_EFFECTS.release | typeof SAFEGUARD_EFFECTS.combine | typeof SAFEGUARD_EFFECTS.revokeShare
  readonly deposit: CID
}

export type DealEffect = {
  readonly type: typeof SAFEGUARD_EFFECTS.deal
  readonly deposit: CID
  readonly index: number
}

export type SendEffect = {
  readonly type: typeof SAFEGUARD_EFFECTS.send
  readonly deposit: CID
  readonly message: SafeguardMessageType
  readonly to: readonly CID[]
  readonly prev: readonly CID[]
  readonly body: IpldValue
}

export type DestroyEffect = {
  readonly type: typeof SAFEGUARD_EFFECTS.destroy
  readonly deposit: CID
  readonly handles: readonly string[]
}

export type SafeguardEffect = DepositEffect | DealEffect | SendEffect | DestroyEffect

const TYPES = new Set<string>(Object.values(SAFEGUARD_EFFECTS))

export function isSafeguardEffect (effect: { readonly type: string }): effect is SafeguardEffect {
  return TYPES.has(effect.type)
}
