// Effects of the threshold reducer: what a role asks the node to do once a fact is durable. Each
// carries only CIDs, indexes, public values and key-store handles (effects are stored in the log's
// outbox); the executor reads what else it needs from the state, and first asks the state whether
// the work is recorded already — then it does nothing (effects are idempotent per order).
//
//   threshold.accept          fiduciary: make the round's transfer key (if it receives) and tell
//                             the principal it takes part (`threshold/accept`)
//   threshold.beneficiary-key beneficiary: generate its share of the wallet key in the key store,
//                             prove possession, send the public key (`threshold/beneficiary-key`)
//   threshold.send            send a message whose body the reducer computed (start, verdict,
//                             failed, held, redeemed)
//   threshold.deal            dealer: deal a fresh polynomial for the round, seal each receiver's
//                             signed share to its transfer key, send the dealing (`threshold/deal`)
//   threshold.qualify         principal: combine the qualified dealers' commitments into the new
//                             epoch's and send them (`threshold/qualified`)
//   threshold.combine         holder: open its shares of the qualified dealings, add them (to its
//                             old share for a refresh), check, import (`threshold.share`)
//   threshold.address         principal: W = B + Y, its addresses and chain code (`threshold/address`)
//   threshold.release         holder: seal its share to the beneficiary alone (`threshold/release`)
//   threshold.redeem          beneficiary: interpolate t checked shares, add its key, check W, import
//   threshold.destroy         destroy key-store records no longer needed (transfer keys, old
//                             shares, released shares once combined); one already gone counts
//   threshold.timeout         at `due` (ms, the node's clock), record that the phase ran out of time
import type { CID } from 'multiformats/cid'
import type { IpldValue } from '../state/types.ts'
import type { Phase, ThresholdMessageType } from './types.ts'

export const THRESHOLD_EFFECTS = {
  accept: 'threshold.accept',
  beneficiaryKey: 'threshold.beneficiary-key',
  send: 'threshold.send',
  deal: 'threshold.deal',
  qualify: 'threshold.qualify',
  combine: 'threshold.combine',
  address: 'threshold.address',
  release: 'threshold.release',
  redeem: 'threshold.redeem',
  destroy: 'threshold.destroy',
  timeout: 'threshold.timeout'
} as const
export type ThresholdEffectType = typeof THRESHOLD_EFFECTS[keyof typeof THRESHOLD_EFFECTS]

export type OrderEffect = {
  readonly type: typeof THRESHOLD_EFFECTS.beneficiaryKey | typeof THRESHOLD_EFFECTS.address | typeof THRESHOLD_EFFECTS.release | typeof THRESHOLD_EFFECTS.redeem
  readonly order: CID
}

export type RoundEffect = {
  readonly type: typeof THRESHOLD_EFFECTS.accept | typeof THRESHOLD_EFFECTS.deal | typeof THRESHOLD_EFFECTS.combine
  readonly order: CID
  readonly round: number
}

export type QualifyEffect = {
  readonly type: typeof THRESHOLD_EFFECTS.qualify
  readonly order: CID
  readonly round: number
  readonly qualified: readonly number[]
  readonly deals: readonly CID[]
  readonly holders: readonly number[]
}

export type SendEffect = {
  readonly type: typeof THRESHOLD_EFFECTS.send
  readonly order: CID
  readonly message: ThresholdMessageType
  readonly to: readonly CID[]
  readonly prev: readonly CID[]
  readonly body: IpldValue
}

export type DestroyEffect = {
  readonly type: typeof THRESHOLD_EFFECTS.destroy
  readonly order: CID
  readonly handles: readonly string[]
}

export type TimeoutEffect = {
  readonly type: typeof THRESHOLD_EFFECTS.timeout
  readonly order: CID
  readonly round: number
  readonly phase: Phase
  readonly due: number
}

export type ThresholdEffect = OrderEffect | RoundEffect | QualifyEffect | SendEffect | DestroyEffect | TimeoutEffect

const TYPES = new Set<string>(Object.values(THRESHOLD_EFFECTS))

export function isThresholdEffect (effect: { readonly type: string }): effect is ThresholdEffect {
  return TYPES.has(effect.type)
}

/** `cids` without repeats and without `self`, first occurrence first. */
export function othersOf (cids: readonly CID[], self: CID): CID[] {
  const out: CID[] = []
  for (const c of cids) if (!c.equals(self) && !out.some((o) => o.equals(c))) out.push(c)
  return out
}

export function sendEffect (order: CID, message: ThresholdMessageType, to: readonly CID[], prev: readonly CID[], body: IpldValue): SendEffect {
  return { type: THRESHOLD_EFFECTS.send, order, message, to, prev, body }
}
