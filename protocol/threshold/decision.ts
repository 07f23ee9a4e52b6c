// The outcome of the threshold rules for one fact about one order. Pure values: the reducer applies
// them, and the node's threshold service asks the same rules before it records a received message,
// so that what it refuses is refused for the reason the reducer would give.
import type { CID } from 'multiformats/cid'
import type { ThresholdEffect } from './effects.ts'
import type { ThresholdCustodyError } from './errors.ts'
import type { OrderRecord } from './state.ts'

export type Decision =
  /** The fact is taken: the order's new record and the effects it asks for. */
  | { readonly outcome: 'apply', readonly record: OrderRecord, readonly effects: readonly ThresholdEffect[] }
  /** The fact is refused; the state stays as it is. */
  | { readonly outcome: 'refuse', readonly error: ThresholdCustodyError }

export function apply (record: OrderRecord, effects: readonly ThresholdEffect[] = []): Decision {
  return { outcome: 'apply', record, effects }
}

export function refuse (error: ThresholdCustodyError): Decision {
  return { outcome: 'refuse', error }
}

export interface RuleOptions {
  /**
   * The service's check before it does the secret work a received message asks for (open a
   * dealt share, import a released one): judge the fact as if that work's result were present.
   */
  readonly beforeImport?: boolean
}

export function same (a: CID, b: CID): boolean {
  return a.equals(b)
}

/** Short form of an identity or order CID for error messages. */
export function short (cid: CID): string {
  const s = cid.toString()
  return s.length > 16 ? `…${s.slice(-10)}` : s
}
