// Read-only questions about the custody slices, for the node's custody service (idempotency of
// its effect executors, what an envelope already established) and its API (one view of an order
// across the roles this node plays in it). Pure functions of the state.
import type { CID } from 'multiformats/cid'
import type { CustodyRole } from '../../crypto/index.ts'
import { short } from './decision.ts'
import { OrderStateError, UnknownOrderError, type CustodyError } from './errors.ts'
import { entriesOf, getOrder } from './order-map.ts'
import { decidePrincipal } from './principal.ts'
import type {
  BeneficiaryOrder, CustodyState, FiduciaryOrder, OrderTerms, OwnShare, PartyRole, PrincipalOrder, Wallet
} from './state.ts'
import { CUSTODY_FACTS, CUSTODY_MESSAGES, type CustodyMessageType, type ImportedShares } from './types.ts'
import { CUSTODY_EFFECTS, type CustodyEffect } from './effects.ts'

type AnyOrder = PrincipalOrder | FiduciaryOrder | BeneficiaryOrder

export function roleOrder (state: CustodyState, role: 'principal', id: CID | string): PrincipalOrder | undefined
export function roleOrder (state: CustodyState, role: 'fiduciary', id: CID | string): FiduciaryOrder | undefined
export function roleOrder (state: CustodyState, role: 'beneficiary', id: CID | string): BeneficiaryOrder | undefined
export function roleOrder (state: CustodyState, role: PartyRole, id: CID | string): AnyOrder | undefined
export function roleOrder (state: CustodyState, role: PartyRole, id: CID | string): AnyOrder | undefined {
  return getOrder<AnyOrder>(state[role].orders, id.toString())
}

/**
 * Whether `state` already records the work of custody effect `e` (its executor then does nothing):
 * the share generated, the message sent, the released share sealed and sent.
 */
export function custodyEffectSettled (state: CustodyState, e: CustodyEffect): boolean {
  switch (e.type) {
    case CUSTODY_EFFECTS.generateShare: return ownShare(state, e.order, e.role) !== null
    case CUSTODY_EFFECTS.send: return recordedEnvelope(state, e.role, e.order, e.message) !== undefined
    case CUSTODY_EFFECTS.releaseShare: return recordedEnvelope(state, 'fiduciary', e.order, CUSTODY_MESSAGES.release) !== undefined
  }
}

/** The envelope of `message` that `role` recorded for `order`, if any (sent or received). */
export function recordedEnvelope (state: CustodyState, role: PartyRole, order: CID | string, message: CustodyMessageType): CID | undefined {
  return roleOrder(state, role, order)?.envelopes[message]
}

/** True if some role already recorded this envelope as the order's message of its type. */
export function isRecorded (state: CustodyState, envelope: { readonly cid: CID, readonly header: { readonly type: string, readonly thread: CID | null } }): boolean {
  const order = (envelope.header.thread ?? envelope.cid).toString()
  const type = envelope.header.type as CustodyMessageType
  for (const role of ['principal', 'fiduciary', 'beneficiary'] as const) {
    const e = roleOrder(state, role, order)?.envelopes[type]
    if (e !== undefined && e.equals(envelope.cid)) return true
  }
  return false
}

/** The share this node generated for `order` in `role`, if recorded. */
export function ownShare (state: CustodyState, order: CID | string, role: CustodyRole): OwnShare | null {
  return (role === 'fiduciary' ? roleOrder(state, 'fiduciary', order) : roleOrder(state, 'beneficiary', order))?.share ?? null
}

/**
 * Whether the principal may request the release of `order` now: null if so, else the reason
 * (UnknownOrderError, OrderStateError, DuplicateMessageError, …) — the principal's rules, asked
 * with the request it would send.
 */
export function checkReleaseRequest (state: CustodyState, order: CID, self: CID): CustodyError | null {
  const o = roleOrder(state, 'principal', order)
  if (o === undefined) return new UnknownOrderError(`order ${short(order)} is not an order of this principal`)
  if (o.wallet === null) return new OrderStateError(`order ${short(order)} has no published address yet`)
  const d = decidePrincipal(o, {
    kind: CUSTODY_FACTS.releaseRequest, order, envelope: order, from: self, time: o.updated, beneficiary: o.beneficiary, walletKey: o.wallet.walletKey
  }, self)
  return d.outcome === 'refuse' ? d.error : null
}

export interface OrderView {
  readonly id: CID
  /** The roles this node plays in the order. */
  readonly roles: readonly PartyRole[]
  /** Status in each role this node plays. */
  readonly statuses: { readonly principal?: string, readonly fiduciary?: string, readonly beneficiary?: string }
  readonly terms: OrderTerms
  readonly beneficiaryKey: Uint8Array | null
  readonly fiduciaryKey: Uint8Array | null
  readonly wallet: Wallet | null
  /** Key-store handles of the beneficiary's released and combined keys (beneficiary only). */
  readonly imported: ImportedShares | null
  /** Every envelope of the order this node recorded, by message type. */
  readonly envelopes: { readonly [type: string]: CID }
  readonly updated: number
}

/** One view of `order` across the roles this node plays in it; undefined if it plays none. */
export function orderView (state: CustodyState, order: CID | string): OrderView | undefined {
  const id = order.toString()
  const p = roleOrder(state, 'principal', id)
  const f = roleOrder(state, 'fiduciary', id)
  const b = roleOrder(state, 'beneficiary', id)
  const first = p ?? b ?? f
  if (first === undefined) return undefined
  const roles: PartyRole[] = []
  if (p !== undefined) roles.push('principal')
  if (f !== undefined) roles.push('fiduciary')
  if (b !== undefined) roles.push('beneficiary')
  const envelopes: Record<string, CID> = {}
  for (const o of [f, b, p]) if (o !== undefined) Object.assign(envelopes, o.envelopes)
  const orderCid = first.envelopes[CUSTODY_MESSAGES.order] as CID
  return {
    id: orderCid,
    roles,
    statuses: {
      ...(p !== undefined ? { principal: p.status } : {}),
      ...(f !== undefined ? { fiduciary: f.status } : {}),
      ...(b !== undefined ? { beneficiary: b.status } : {})
    },
    terms: { principal: first.principal, beneficiary: first.beneficiary, fiduciary: first.fiduciary, network: first.network, created: first.created },
    beneficiaryKey: p?.beneficiaryKey?.publicKey ?? b?.share?.publicKey ?? null,
    fiduciaryKey: p?.fiduciaryKey?.publicKey ?? f?.share?.publicKey ?? b?.fiduciaryKey ?? null,
    wallet: p?.wallet ?? b?.wallet ?? f?.wallet ?? null,
    imported: b?.imported ?? null,
    envelopes,
    updated: Math.max(p?.updated ?? 0, f?.updated ?? 0, b?.updated ?? 0)
  }
}

/** Every order id this node knows in any role, oldest first (created, then id): a stable order for pagination. */
export function orderIds (state: CustodyState): string[] {
  const created = new Map<string, number>()
  for (const role of ['principal', 'fiduciary', 'beneficiary'] as const) {
    for (const [id, o] of entriesOf<AnyOrder>(state[role].orders)) if (!created.has(id)) created.set(id, o.created)
  }
  return [...created.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([id]) => id)
}
