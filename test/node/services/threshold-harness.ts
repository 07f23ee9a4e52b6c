// Whole nodes running the threshold custody service (with the other services and the REST API on
// free loopback ports), for the threshold integration tests and the threshold bench.
import type { CID } from 'multiformats/cid'
import { openExport, exportKeyPair } from '../../../node/services/custody-export.ts'
import type { ThresholdService } from '../../../node/services/threshold.ts'
import type { ThresholdOrderView } from '../../../protocol/threshold/queries.ts'
import { introduceRetrying, startSafeguardNetwork, stopAll, type CustodyNode } from './safeguard-harness.ts'
import type { ServicesInit } from '../../../node/services/compose.ts'

export { stopAll, introduceRetrying, type CustodyNode }

export function thresholdOf (n: CustodyNode): ThresholdService {
  const s = n.services.threshold
  if (s === undefined) throw new Error('the threshold service is not running')
  return s
}

/** Nodes on fresh homes, every pair introduced (dialling sides alternate: see startSafeguardNetwork). */
export async function startThresholdNetwork (names: readonly string[], init: ServicesInit = {}): Promise<CustodyNode[]> {
  return await startSafeguardNetwork(names, { mpin: false, ...init })
}

export const published = (v: ThresholdOrderView): boolean => v.wallet !== null
export const redeemed = (v: ThresholdOrderView): boolean => v.redeemed
export const roundEnded = (round: number) => (v: ThresholdOrderView): boolean => v.history.some((h) => h.round === round && h.qualified !== null)

/** The exported key text of `order` (or of its child `child`) at beneficiary `b`, through the sealed export. */
export async function exportedKey (b: CustodyNode, order: CID, format: 'wif' | 'hex' = 'hex', child: number | null = null): Promise<string> {
  const kp = exportKeyPair()
  const e = await thresholdOf(b).exportKey(order, format, kp.publicKey, child)
  return new TextDecoder().decode(openExport(kp.secretKey, order, e))
}
