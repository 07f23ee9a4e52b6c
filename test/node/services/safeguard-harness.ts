// Whole nodes running the safeguard service (with custody and the REST API on free loopback
// ports), for the safeguard and backup integration tests and the safeguard bench.
import type { CID } from 'multiformats/cid'
import type { SafeguardService } from '../../../node/services/safeguard.ts'
import type { DepositView } from '../../../protocol/safeguard/queries.ts'
import { openSecret, exportKeyPair } from '../../../node/services/safeguard-export.ts'
import { startNetwork, stopAll, type CustodyNode } from './custody-harness.ts'
import type { ServicesInit } from '../../../node/services/compose.ts'

export { stopAll, type CustodyNode }

export function safeguardOf (n: CustodyNode): SafeguardService {
  const s = n.services.safeguard
  if (s === undefined) throw new Error('the safeguard service is not running')
  return s
}

/** Starts nodes on fresh homes, every pair introduced. */
export async function startSafeguardNetwork (names: readonly string[], init: ServicesInit = {}): Promise<CustodyNode[]> {
  return await startNetwork(names, init, AbortSignal.timeout(60_000))
}

export const held = (v: DepositView): boolean => v.statuses.principal === 'held' || v.statuses.principal === 'release-requested' || v.statuses.principal === 'released'
export const recovered = (v: DepositView): boolean => v.recovered

/** The recovered secret of `deposit` at beneficiary `b`, through the sealed export. */
export async function exportedSecret (b: CustodyNode, deposit: CID): Promise<Uint8Array> {
  const kp = exportKeyPair()
  const e = await safeguardOf(b).exportSecret(deposit, kp.publicKey)
  return openSecret(kp.secretKey, deposit, e)
}
