// The entitlement rule of a D-TA: whether it answers a request with a share. Pure (the D-TA's
// today and its lists come in as arguments); the node's M-Pin service applies it to every request
// and records the outcome (`mpin.issued` or `mpin.refused`), so replay never asks again.
//
// A share always goes to the request's beneficiary alone, sealed to its key: the requester never
// sees it unless it is the beneficiary. So the rule is about who may *receive* what, and who may
// make a D-TA spend work and log entries on someone's behalf:
//
//   1. Who may ask. The sender of the request is its beneficiary itself, or one of the D-TA's
//      trusted principals (operators' orchestrators, configured per D-TA) asking on its behalf.
//   2. Client secrets and time permits: the beneficiary owns the M-Pin id. An identity owns the id
//      that is its own identity CID (base32 text) and every id `<its CID>/<label>` (the users it
//      enrols and vouches for). Nobody else can obtain a share for an id in its namespace, so no
//      node can obtain another's client secret, whoever asks.
//   3. Server secrets: the beneficiary is one of the D-TA's authentication servers (configured per
//      D-TA). A server secret s·Q does not let its holder make client secrets, but together with a
//      stolen token it lets one test PINs offline, so it goes only to servers the operator chose.
//   4. Time permits: the date is within `permitWindow` days of the D-TA's today (default: the day
//      before to the day after, for clock skew and time zones). A D-TA that stops issuing permits
//      for an id revokes it at the next day.
import type { CID } from 'multiformats/cid'
import { DateOutOfRangeError, NotEntitledError } from './errors.ts'
import type { IssuanceRequest } from './types.ts'

export interface EntitlementPolicy {
  /** Identities that may ask on behalf of any beneficiary. */
  readonly principals: readonly CID[]
  /** Identities that may receive server-secret shares. */
  readonly authServers: readonly CID[]
  /** The D-TA's current day (days since the Unix epoch). */
  readonly today: number
  /** Days before and after `today` for which time permits are issued (default { before: 1, after: 1 }). */
  readonly permitWindow?: { readonly before: number, readonly after: number }
}

/** Days since the Unix epoch of a time in ms (Milagro's `today()`, UTC). */
export function dayOf (ms: number): number {
  return Math.floor(ms / 86_400_000)
}

/** Whether `id` is in `beneficiary`'s namespace: its CID, or its CID followed by `/` and a label. */
export function ownsId (beneficiary: CID, id: string): boolean {
  const own = beneficiary.toString()
  return id === own || (id.startsWith(own + '/') && id.length > own.length + 1)
}

// CID.equals narrows its argument's type; comparing the strings keeps both sides typed.
const same = (a: CID, b: CID): boolean => a.toString() === b.toString()
const has = (list: readonly CID[], c: CID): boolean => list.some((x) => same(x, c))

/** Throws NotEntitledError or DateOutOfRangeError unless the D-TA may answer `request` (see the file header). */
export function checkEntitlement (request: Pick<IssuanceRequest, 'from' | 'beneficiary' | 'issuance' | 'id' | 'date'>, policy: EntitlementPolicy): void {
  const { from, beneficiary } = request
  if (!same(from, beneficiary) && !has(policy.principals, from)) {
    throw new NotEntitledError(`${from.toString()} may not ask for ${beneficiary.toString()}: it is neither the beneficiary nor a principal this D-TA trusts`)
  }
  if (request.issuance === 'server-secret') {
    if (!has(policy.authServers, beneficiary)) throw new NotEntitledError(`${beneficiary.toString()} is not an authentication server of this D-TA`)
    return
  }
  const id = request.id ?? ''
  if (!ownsId(beneficiary, id)) throw new NotEntitledError(`M-Pin id '${id.slice(0, 80)}' is not in the namespace of ${beneficiary.toString()}`)
  if (request.issuance === 'time-permit') {
    const w = policy.permitWindow ?? { before: 1, after: 1 }
    const date = request.date ?? 0
    if (date < policy.today - w.before || date > policy.today + w.after) {
      throw new DateOutOfRangeError(`time permits are issued for days ${policy.today - w.before}..${policy.today + w.after}, not ${date}`)
    }
  }
}
