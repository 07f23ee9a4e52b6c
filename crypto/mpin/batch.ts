// Batch server verification: many M-Pin logins against one server secret s·Q, with one
// 2-pair multi-pairing for the whole batch instead of one per login.
//
// Each login i passes when Dᵢ = e(Vᵢ, Q)·e(Pᵢ, sQ) = 1, with Pᵢ = yᵢ·A'ᵢ + U'ᵢ (mpin.ts). The
// small-exponent batch test (M. Bellare, J. Garay, T. Rabin, "Fast Batch Verification for Modular
// Exponentiation and Digital Signatures", EUROCRYPT 1998; for pairing equations see A. L. Ferrara,
// M. Green, S. Hohenberger, M. Ø. Pedersen, "Practical Short Signature Batch Verification",
// CT-RSA 2009) draws fresh random 128-bit rᵢ after all inputs are fixed and checks
//     e(Σ rᵢ·Vᵢ, Q) · e(Σ (rᵢ·yᵢ)·A'ᵢ + rᵢ·U'ᵢ, sQ) = Π Dᵢ^rᵢ = 1
// with two multi-scalar multiplications. Every Vᵢ, U'ᵢ, A'ᵢ is in the prime-order group (codec.ts
// checks it), so if some Dⱼ ≠ 1 the product is 1 for at most one value of rⱼ mod r: a batch with
// an invalid login passes with probability ≤ 2⁻¹²⁷. A failing batch is split in halves until the
// failing logins are isolated, each confirmed by the single-login check: the result per login is
// exactly what serverVerify would say (null = accepted, BadPinError, or the decoding error).
// Cost (BN254, 128 logins, one thread): a valid batch ~0.2 ms per login against ~1.5 ms one by
// one; groups of ≤ 8 that fail are checked login by login, which keeps a batch made entirely of
// invalid logins (the worst an attacker can force) at about 1.0–1.6× the one-by-one price.
import { randomBytes } from 'node:crypto'
import { BadPinError } from './errors.ts'
import { pairingCheck, parseLogin, prepared } from './mpin.ts'
import type { ParsedLogin, PreparedServerSecret, ServerVerifyInput } from './mpin.ts'
import type { MpinCurve } from './curves.ts'
import type { Fr } from 'mcl-wasm'

export type BatchVerifyInput = Omit<ServerVerifyInput, 'serverSecret'>

/** null: accepted; otherwise the error serverVerify would have thrown for this login. */
export type BatchVerifyResult = Error | null

interface Indexed extends ParsedLogin {
  readonly index: number
}

/** At or below this size the halves of a failing group are checked login by login (cheaper than bisecting further). */
const SINGLES = 8

/** Fresh random scalars in [2¹²⁷, 2¹²⁸): never zero, so no login escapes the check. */
function randomExponents (curve: MpinCurve, n: number): Fr[] {
  const bytes = randomBytes(16 * n)
  return Array.from({ length: n }, (_, i) => {
    bytes[16 * i] = (bytes[16 * i] as number) | 0x80
    const r = new curve.mcl.Fr()
    r.setStr(bytes.subarray(16 * i, 16 * (i + 1)).toString('hex'), 16)
    return r
  })
}

function checkOneByOne (curve: MpinCurve, secret: PreparedServerSecret, group: readonly Indexed[], results: BatchVerifyResult[]): void {
  const { mcl } = curve
  for (const p of group) {
    results[p.index] = pairingCheck(curve, secret, p.V, mcl.add(mcl.mul(p.base, p.y), p.commitment)) ? null : new BadPinError()
  }
}

/** The weighted batch equation for `group`, with fresh exponents. */
function batchPasses (curve: MpinCurve, secret: PreparedServerSecret, group: readonly Indexed[]): boolean {
  const { mcl } = curve
  const r = randomExponents(curve, group.length)
  const left = mcl.mulVec(group.map((p) => p.V), r)
  const right = mcl.mulVec(
    [...group.map((p) => p.base), ...group.map((p) => p.commitment)],
    [...group.map((p, i) => mcl.mul(r[i] as Fr, p.y)), ...r]
  )
  return pairingCheck(curve, secret, left, right)
}

function check (curve: MpinCurve, secret: PreparedServerSecret, group: readonly Indexed[], results: BatchVerifyResult[]): void {
  if (group.length === 0) return
  if (group.length === 1) {
    checkOneByOne(curve, secret, group, results)
    return
  }
  if (batchPasses(curve, secret, group)) {
    for (const p of group) results[p.index] = null
    return
  }
  const half = Math.ceil(group.length / 2)
  for (const part of [group.slice(0, half), group.slice(half)]) {
    if (part.length <= SINGLES) checkOneByOne(curve, secret, part, results)
    else check(curve, secret, part, results)
  }
}

/**
 * Verifies logins that share one server secret; one result per input, in order, each equal to
 * what serverVerify would decide for that login alone.
 */
export function serverVerifyBatch (
  curve: MpinCurve,
  serverSecret: Uint8Array | PreparedServerSecret,
  inputs: readonly BatchVerifyInput[]
): BatchVerifyResult[] {
  const results: BatchVerifyResult[] = new Array<BatchVerifyResult>(inputs.length).fill(null)
  if (inputs.length === 0) return results
  const { secret, owned } = prepared(curve, serverSecret)
  try {
    const parsed: Indexed[] = []
    inputs.forEach((input, i) => {
      try {
        parsed.push({ ...parseLogin(curve, input), index: i })
      } catch (err) {
        results[i] = err instanceof Error ? err : new Error(String(err))
      }
    })
    check(curve, secret, parsed, results)
    return results
  } finally {
    if (owned) secret.destroy()
  }
}
