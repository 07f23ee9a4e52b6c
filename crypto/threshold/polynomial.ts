// Evaluation of secret polynomials f(x) = a₀ + a₁x + … + a_{t−1}x^{t−1} mod n and of their public
// counterparts, the commitment polynomials F(x) = C₀ + x·C₁ + … + x^{t−1}·C_{t−1} with C_k = a_k·G,
// so that F(i) = f(i)·G. Both by Horner's rule. The public evaluation multiplies points by the
// small public index only (multiplyUnsafe on public data; ≤ 17-bit scalars).
import { Fn } from './scalar.ts'
import { ZERO, type Point } from './point.ts'

/** f(x) mod n for coefficients a₀..a_{t−1}. */
export function evaluatePolynomial (coefficients: readonly bigint[], x: bigint): bigint {
  let acc = 0n
  for (let k = coefficients.length - 1; k >= 0; k--) acc = Fn.add(Fn.mul(acc, x), coefficients[k]!)
  return acc
}

/**
 * Σ_k x^(k+offset)·points[k]: with offset 0 the list is C₀..C_{t−1}; with offset 1 it is a refresh
 * list C₁..C_{t−1} whose C₀ (infinity) is omitted. Infinity for an empty list.
 */
export function evaluateCommitmentPoints (points: readonly Point[], x: bigint, offset: 0 | 1): Point {
  let acc = ZERO
  for (let k = points.length - 1; k >= 0; k--) acc = acc.multiplyUnsafe(x).add(points[k]!)
  return offset === 1 ? acc.multiplyUnsafe(x) : acc
}

/** Coefficient-wise sum of commitment lists (lists may differ in length); entries may be infinity. */
export function addCommitmentPoints (target: Point[], points: readonly Point[], offset: 0 | 1): void {
  points.forEach((p, k) => {
    const at = k + offset
    while (target.length <= at) target.push(ZERO)
    target[at] = target[at]!.add(p)
  })
}
