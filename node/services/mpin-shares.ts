// The M-Pin service's share arithmetic, on the node's crypto pool (crypto/pool: pairings and
// scalar multiplications run in worker threads, never on the event loop's thread).
//
//   masterScalar      the key store's 32-byte scalar as Milagro's MODBYTES-long scalar
//   sharePoint        the hash whose mapit point a share multiplies: H(id), or mhashit(date, H(id))
//                     for a time permit (so a permit share is a client-secret share of that hash)
//   issueShare        sᵢ·A, sᵢ·AT or sᵢ·Q from the master share behind a key-store handle
//   checkShare        a beneficiary's check that a D-TA's share is its master share applied to the
//                     request: for G1, e(C, Q) = e(A, Pᵢ) with Pᵢ = sᵢ·Q the D-TA's commitment —
//                     one pool verification of the M-Pin equation e(V, Q)·e(y·A + U, Pᵢ) = 1 with
//                     y = 2, U = (r − 1)·A = −A and V = −C; for G2, the share is the commitment.
//                     Either way the points are fully validated (on the curve, in the subgroup).
//
// Secrets: the master share is unwrapped by `keystore.use` for one job and the padded copy made
// here is zeroed when the job returns; the worker's structured-clone copy cannot be zeroed from
// here (see the README's Security section).
import {
  assertG2, BadPinError, curveParams, equalBytes, hashId, InvalidPointError, mhashit, wipe,
  type CryptoPool, type CurveName, type KeyStore, type MpinCurve, type SecretKind
} from '../../crypto/index.ts'
import { ShareMismatchError } from '../../protocol/mpin/errors.ts'
import type { IssuanceKind } from '../../protocol/mpin/types.ts'

/** The key-store kind of a master-secret share on each curve. */
export const MASTER_KIND: Readonly<Record<CurveName, SecretKind>> = { BN254: 'bn254-scalar', 'BLS12-381': 'bls12-381-scalar' }

type Options = { signal?: AbortSignal }

const encoder = new TextEncoder()

/** A 32-byte big-endian scalar left-padded to the curve's MODBYTES (a new buffer: the caller wipes it). */
export function masterScalar (curve: CurveName, secret: Uint8Array): Uint8Array {
  const pfs = curveParams[curve].pfs
  if (secret.length > pfs) throw new RangeError(`a ${curve} scalar has at most ${pfs} bytes`)
  const out = new Uint8Array(pfs)
  out.set(secret, pfs - secret.length)
  return out
}

/** H(id) (client secret), or mhashit(date, H(id)) (time permit): the hash mapped to the share's point. */
export function sharePoint (curve: MpinCurve, issuance: Exclude<IssuanceKind, 'server-secret'>, id: string, date: number | null): Uint8Array {
  const h = hashId(curve, encoder.encode(id))
  return issuance === 'time-permit' ? mhashit(curve, date ?? 0, h) : h
}

function bigOf (bytes: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'))
}

function bytesOf (n: bigint, length: number): Uint8Array {
  return Uint8Array.from(Buffer.from(n.toString(16).padStart(length * 2, '0'), 'hex'))
}

/** −P for a Milagro G1 octet 0x04 ‖ x ‖ y: 0x04 ‖ x ‖ (p − y). Validity is the verifier's job. */
function negateG1 (curve: CurveName, point: Uint8Array): Uint8Array {
  const { pfs, p } = curveParams[curve]
  const y = bigOf(point.subarray(1 + pfs))
  if (y >= p) throw new InvalidPointError('share: coordinate not reduced mod p')
  const out = Uint8Array.from(point)
  out.set(bytesOf(y === 0n ? 0n : p - y, pfs), 1 + pfs)
  return out
}

/** sᵢ·point (or sᵢ·Q for a server secret) from the master share behind `handle`. */
export async function issueShare (
  c: { readonly keystore: KeyStore, readonly pool: CryptoPool },
  handle: string,
  request: { readonly issuance: IssuanceKind, readonly curve: CurveName, readonly hashed: Uint8Array | null, readonly date: number | null },
  options: Options = {}
): Promise<Uint8Array> {
  return await c.keystore.use(handle, async (secret) => {
    const share = masterScalar(request.curve, secret)
    try {
      const { curve } = request
      if (request.issuance === 'server-secret') return await c.pool.mpinIssue({ kind: 'server-secret', curve, share }, options)
      const hashedId = request.hashed as Uint8Array
      if (request.issuance === 'client-secret') return await c.pool.mpinIssue({ kind: 'client-secret', curve, share, hashedId }, options)
      return await c.pool.mpinIssue({ kind: 'time-permit', curve, share, hashedId, date: request.date as number }, options)
    } finally {
      wipe(share)
    }
  }, options)
}

/**
 * Throws ShareMismatchError unless `share` is the D-TA's master share applied to the request's
 * point (`hashed`: sharePoint's hash, or null for a server secret), InvalidPointError for a point
 * that is not on the curve or not in the subgroup.
 */
export async function checkShare (
  pool: CryptoPool,
  curve: MpinCurve,
  share: { readonly issuance: IssuanceKind, readonly share: Uint8Array, readonly commitment: Uint8Array, readonly hashed: Uint8Array | null },
  options: Options = {}
): Promise<void> {
  const name = curve.name
  if (share.issuance === 'server-secret') {
    assertG2(curve, share.commitment, 'commitment')
    if (!equalBytes(share.share, share.commitment)) throw new ShareMismatchError('a server-secret share must be the D-TA\'s commitment sᵢ·Q')
    return
  }
  const hashedId = share.hashed as Uint8Array
  const { r, pfs } = curveParams[name]
  const minusOne = bytesOf(r - 1n, pfs)
  const minusA = await pool.mpinIssue({ kind: 'client-secret', curve: name, share: minusOne, hashedId }, options)
  try {
    await pool.mpinVerify({ curve: name, serverSecret: share.commitment, hashedId, U: minusA, y: bytesOf(2n, pfs), V: negateG1(name, share.share) }, options)
  } catch (err) {
    if (err instanceof BadPinError || (err as Error).name === 'BadPinError') {
      throw new ShareMismatchError('the share is not the D-TA\'s master share applied to this request (e(share, Q) ≠ e(point, sᵢ·Q))', { cause: err })
    }
    throw err
  }
}
