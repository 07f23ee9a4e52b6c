// The outcome of a role's rules for one fact about one order. Pure values: the reducers apply
// them, and the node's custody service asks the same rules before it records a received message,
// so that what it refuses is refused for the reason the reducers would give.
import type { CID } from 'multiformats/cid'
import { equalBytes } from '../../crypto/index.ts'
import type { CustodyEffect } from './effects.ts'
import type { CustodyError } from './errors.ts'

export type Decision<O> =
  /** The role takes the fact: the order's new record and the effects it asks for. */
  | { readonly outcome: 'apply', readonly order: O, readonly effects: readonly CustodyEffect[] }
  /** The fact is for this role, and the role refuses it; the state stays as it is. */
  | { readonly outcome: 'refuse', readonly error: CustodyError }
  /** The fact is none of this role's business (another role, or another node's order). */
  | { readonly outcome: 'ignore' }

export const IGNORE: Decision<never> = Object.freeze({ outcome: 'ignore' })

export function apply<O> (order: O, effects: readonly CustodyEffect[] = []): Decision<O> {
  return { outcome: 'apply', order, effects }
}

/**
 * A refusal. `error` may be given as a function, called the first time the error is read: most
 * refusals are never read (a role refusing a fact about an order it does not hold, while another
 * role of the node takes it), and building an Error — its stack trace above all — was a measurable
 * part of folding each fact.
 */
export function refuse (error: CustodyError | (() => CustodyError)): Decision<never> {
  if (typeof error !== 'function') return { outcome: 'refuse', error }
  let built: CustodyError | undefined
  return { outcome: 'refuse', get error () { return (built ??= error()) } }
}

export interface RuleOptions {
  /**
   * The service's check before it imports a released share: judge a `custody.release` fact as if
   * its `imported` handles were present (they are only filled in once the share is imported).
   */
  readonly beforeImport?: boolean
}

export function same (a: CID, b: CID): boolean {
  return a.equals(b)
}

export function sameKey (a: Uint8Array, b: Uint8Array): boolean {
  return equalBytes(a, b)
}

/** Short form of an identity or order CID for error messages. */
export function short (cid: CID): string {
  const s = cid.toString()
  return s.length > 16 ? `…${s.slice(-10)}` : s
}
