// Effects of the custody reducers: what a role asks the node to do once a fact is durable. Each
// carries only public values and key-store handles (effects are stored in the log's outbox).
//
//   custody.generate-share  generate a fresh secp256k1 share in the key store and prove possession
//                           of it; the node records a `custody.share` fact
//   custody.send            seal `body` as a `message` envelope of the order to `to`, append it
//                           with the fact it establishes, deliver it
//   custody.release-share   seal the share behind `handle` (in the key store) to the beneficiary
//                           and send it as `custody/release` to the beneficiary alone
//
// Executors are idempotent per order: a share already recorded is not generated again, a message
// already recorded is not sent again (state.ts `envelopes`), a share already released is not
// released again.
import type { CID } from 'multiformats/cid'
import type { CustodyRole } from '../../crypto/index.ts'
import type { IpldValue } from '../state/types.ts'
import type { PartyRole } from './state.ts'
import type { CustodyMessageType } from './types.ts'

export const CUSTODY_EFFECTS = {
  generateShare: 'custody.generate-share',
  send: 'custody.send',
  releaseShare: 'custody.release-share'
} as const
export type CustodyEffectType = typeof CUSTODY_EFFECTS[keyof typeof CUSTODY_EFFECTS]

export type GenerateShareEffect = {
  readonly type: typeof CUSTODY_EFFECTS.generateShare
  readonly order: CID
  readonly role: CustodyRole
}

export type SendEffect = {
  readonly type: typeof CUSTODY_EFFECTS.send
  /** The role that sends (its slice records the message once sent). */
  readonly role: PartyRole
  readonly order: CID
  readonly message: CustodyMessageType
  /** Recipients' identity CIDs, without duplicates. */
  readonly to: readonly CID[]
  /** The envelopes this one answers. */
  readonly prev: readonly CID[]
  readonly body: IpldValue
}

export type ReleaseShareEffect = {
  readonly type: typeof CUSTODY_EFFECTS.releaseShare
  readonly order: CID
  readonly handle: string
  readonly publicKey: Uint8Array
  readonly beneficiary: CID
  /** The release request this answers. */
  readonly prev: readonly CID[]
}

export type CustodyEffect = GenerateShareEffect | SendEffect | ReleaseShareEffect

const TYPES = new Set<string>(Object.values(CUSTODY_EFFECTS))

export function isCustodyEffect (effect: { readonly type: string }): effect is CustodyEffect {
  return TYPES.has(effect.type)
}

/** `cids` without repeats, first occurrence first (an envelope names each recipient once). */
export function distinct (cids: readonly CID[]): CID[] {
  const seen = new Set<string>()
  const out: CID[] = []
  for (const c of cids) {
    const id = c.toString()
    if (!seen.has(id)) { seen.add(id); out.push(c) }
  }
  return out
}

export function sendEffect (role: PartyRole, order: CID, message: CustodyMessageType, to: readonly CID[], prev: readonly CID[], body: IpldValue): SendEffect {
  return { type: CUSTODY_EFFECTS.send, role, order, message, to: distinct(to), prev: distinct(prev), body }
}
