// Job and result shapes exchanged between the pool (main thread) and its workers. Everything
// here crosses a structured clone: plain objects and Uint8Arrays only. Workers never throw for a
// job's own failure (a structured clone would drop the error's class); they return an Outcome,
// and the pool turns it back into the typed error in the caller's thread.
import { InvalidKeyError, InvalidPointError } from '../errors.ts'
import { BadPinError } from '../mpin/errors.ts'
import type { CurveName } from '../mpin/params.ts'

export interface MpinVerifyJob {
  readonly curve: CurveName
  readonly serverSecret: Uint8Array
  readonly hashedId: Uint8Array
  /** Time-permit date; 0 or absent without time permits. */
  readonly date?: number
  readonly U?: Uint8Array
  readonly UT?: Uint8Array
  readonly y: Uint8Array
  readonly V: Uint8Array
}

/** Share issuance by a D-TA holding master-secret share `share`. */
export type MpinIssueJob =
  | { readonly kind: 'server-secret', readonly curve: CurveName, readonly share: Uint8Array }
  | { readonly kind: 'client-secret', readonly curve: CurveName, readonly share: Uint8Array, readonly hashedId: Uint8Array }
  | { readonly kind: 'time-permit', readonly curve: CurveName, readonly share: Uint8Array, readonly hashedId: Uint8Array, readonly date: number }

export interface Failure { readonly ok: false, readonly name: string, readonly message: string }

export type Outcome<T> = { readonly ok: true, readonly value: T } | Failure

export function failure (err: unknown): Failure {
  const e = err instanceof Error ? err : new Error(String(err))
  return { ok: false, name: e.name, message: e.message }
}

/** Rebuilds the typed error a worker reported. */
export function toError (outcome: Pick<Failure, 'name' | 'message'>): Error {
  switch (outcome.name) {
    case 'BadPinError': return new BadPinError(outcome.message)
    case 'InvalidPointError': return new InvalidPointError(outcome.message)
    case 'InvalidKeyError': return new InvalidKeyError(outcome.message)
    case 'RangeError': return new RangeError(outcome.message)
    case 'TypeError': return new TypeError(outcome.message)
    default: {
      const err = new Error(outcome.message)
      err.name = outcome.name
      return err
    }
  }
}
