// The outcome of the safeguard rules for one fact about one deposit. Pure values: the reducer
// applies them, and the node's safeguard service asks the same rules before it records a received
// message, so that what it refuses is refused for the reason the reducer would give.
import type { CID } from 'multiformats/cid'
import type { SafeguardEffect } from './effects.ts'
import type { SafeguardError } from './errors.ts'
import type { DepositRecord } from './state.ts'

export type Decision =
  /** The fact is taken: the deposit's new record and the effects it asks for. */
  | { readonly outcome: 'apply', readonly record: DepositRecord, readonly effects: readonly SafeguardEffect[] }
  /** The fact is refused; the state stays as it is. */
  | { readonly outcome: 'refuse', readonly error: SafeguardError }

export function apply (record: DepositRecord, effects: readonly SafeguardEffect[] = []): Decision {
  return { outcome: 'apply', record, effects }
}

export function refuse (error: SafeguardError): Decision {
  return { outcome: 'refuse', error }
}

export interface RuleOptions {
  /**
   * The service's check before it imports a sealed share (`safeguard.share` at a fiduciary,
   * `safeguard.release` at the beneficiary): judge the fact as if its handle were present (it is
   * only filled in once the share is imported).
   */
  readonly beforeImport?: boolean
}

export function same (a: CID, b: CID): boolean {
  return a.equals(b)
}

/** Short form of an identity or deposit CID for error messages. */
export function short (cid: CID): string {
  const s = cid.toString()
  return s.length > 16 ? `…${s.slice(-10)}` : s
}

/** A copy of `list` with `value` at `i`. */
export function setAt<T> (list: readonly T[], i: number, value: T): T[] {
  const out = [...list]
  out[i] = value
  return out
}
