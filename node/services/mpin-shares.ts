// The M-Pin service's share arithmetic, on the node's crypto pool (crypto/pool: pairings and
// scalar multiplications run in worker threads, never on the event loop's thread).
//
//   masterScalar      the key store's 32-byte scalar as Milagro's MODBYTES-long scalar
//   hashedIdOf        H(id), Milagro's HASH_ID of the id's UTF-8 bytes
//   issueShare        sᵢ·A, sᵢ·AT or sᵢ·Q from the master share behind a key-store handle (A and
//                     AT are mapped from H(id) and the date by crypto/mpin, as Milagro does)
//   validateShare     a received share is a point of the right group (on the curve, in the
//                     prime-order subgroup, not infinity). Nothing more can be checked by the
//                     beneficiary: see protocol/mpin/types.ts on why no D-TA publishes sᵢ·Q.
//
// Secrets: the master share is unwrapped by `keystore.use` for one job and the padded copy made
// here is zeroed when the job returns; the worker's structured-clone copy cannot be zeroed from
// here (see the README's Security section).
import {
  assertG1, assertG2, curveParams, hashId, wipe, type CryptoPool, type CurveName, type KeyStore, type MpinCurve, type SecretKind
} from '../../crypto/index.ts'
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

/** H(id): Milagro's HASH_ID of the M-Pin id's UTF-8 bytes. */
export function hashedIdOf (curve: MpinCurve, id: string): Uint8Array {
  return hashId(curve, encoder.encode(id))
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

/** Throws InvalidPointError unless `share` is a point of the prime-order subgroup (G1, or G2 for a server secret). */
export function validateShare (curve: MpinCurve, issuance: IssuanceKind, share: Uint8Array): void {
  if (issuance === 'server-secret') assertG2(curve, share, 'share')
  else assertG1(curve, share, 'share')
}
