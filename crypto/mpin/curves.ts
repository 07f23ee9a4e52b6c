// Curve contexts for M-Pin: a dedicated mcl-wasm instance per curve (see mcl-instance.ts), set up
// with Milagro's generators rather than mcl's. Point validation (on-curve, prime-order subgroup)
// is done by codec.ts on every G1/G2 that is parsed.
//
// `loadCurve(name)` is memoised per process (per worker thread): initialising mcl costs tens of
// milliseconds and a few MB of WebAssembly memory, and a loaded context is never mutated afterwards.
import { loadMclInstance } from './mcl-instance.ts'
import type { Mcl } from './mcl-instance.ts'
import { curveParams } from './params.ts'
import type { CurveName, CurveParams } from './params.ts'
import type { G1, G2, PrecomputedG2 } from 'mcl-wasm'

/** A loaded curve. The mcl objects are shared and must never be mutated in place. */
export interface MpinCurve {
  readonly name: CurveName
  readonly params: CurveParams
  /** The private mcl-wasm instance serving this curve. */
  readonly mcl: Mcl
  /** Milagro's G1 generator. */
  readonly g1: G1
  /** Milagro's fixed G2 generator Q, against which server secrets s·Q are issued. */
  readonly q: G2
  /** Miller-loop precomputation for Q (the verifier pairs V with Q every time). */
  readonly qPrecomputed: PrecomputedG2
  /** Field modulus as big-endian bytes of length pfs, for range checks. */
  readonly pBytes: Uint8Array
  /** Group order as big-endian bytes of length pfs, for range checks. */
  readonly rBytes: Uint8Array
}

const loaded = new Map<CurveName, Promise<MpinCurve>>()

export function bigToBytes (n: bigint, length: number): Uint8Array {
  const hex = n.toString(16).padStart(length * 2, '0')
  if (hex.length !== length * 2) throw new RangeError(`integer does not fit in ${length} bytes`)
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

function hex (n: bigint): string {
  return n.toString(16)
}

async function create (name: CurveName): Promise<MpinCurve> {
  const params = curveParams[name]
  const mcl = await loadMclInstance(name === 'BN254' ? 'BN254' : 'BLS12_381')
  if (mcl.curveType !== (name === 'BN254' ? mcl.BN254 : mcl.BLS12_381)) throw new Error(`mcl did not initialise ${name}`)
  // Loading checks only that a point is on the curve; codec.ts then runs the subgroup check once,
  // and only where a cofactor exists (mcl would otherwise repeat it in setStr and isValid).
  mcl.verifyOrderG1(false)
  mcl.verifyOrderG2(false)
  const g1 = new mcl.G1()
  g1.setStr(`1 ${hex(params.g1.x)} ${hex(params.g1.y)}`, 16)
  const q = new mcl.G2()
  q.setStr(`1 ${hex(params.g2.xa)} ${hex(params.g2.xb)} ${hex(params.g2.ya)} ${hex(params.g2.yb)}`, 16)
  if (!g1.isValid() || !g1.isValidOrder() || !q.isValid() || !q.isValidOrder()) {
    throw new Error(`Milagro generators are not valid points of mcl's ${name}`)
  }
  return {
    name,
    params,
    mcl,
    g1,
    q,
    qPrecomputed: new mcl.PrecomputedG2(q),
    pBytes: bigToBytes(params.p, params.pfs),
    rBytes: bigToBytes(params.r, params.pfs)
  }
}

/** Loads (once per thread) the curve context for `name`. */
export async function loadCurve (name: CurveName): Promise<MpinCurve> {
  let curve = loaded.get(name)
  if (curve === undefined) {
    curve = create(name)
    loaded.set(name, curve)
    curve.catch(() => loaded.delete(name))
  }
  return await curve
}
