// Whole nodes running the safeguard service (with custody and the REST API on free loopback
// ports), for the safeguard and backup integration tests and the safeguard bench.
import type { CID } from 'multiformats/cid'
import type { SafeguardService } from '../../../node/services/safeguard.ts'
import type { DepositView } from '../../../protocol/safeguard/queries.ts'
import { openSecret, exportKeyPair } from '../../../node/services/safeguard-export.ts'
import { introduce, makeHome, startCustodyNode, stopAll, type CustodyNode } from './custody-harness.ts'
import type { ServicesInit } from '../../../node/services/compose.ts'

export { stopAll, type CustodyNode }

export function safeguardOf (n: CustodyNode): SafeguardService {
  const s = n.services.safeguard
  if (s === undefined) throw new Error('the safeguard service is not running')
  return s
}

/**
 * Starts nodes on fresh homes, every pair introduced. libp2p refuses more than 5 inbound
 * connections per second from one host (its `inboundConnectionThreshold`: every node here is
 * 127.0.0.1), resetting the socket (ECONNRESET): so the pairs alternate which side dials, keeping
 * each node's inbound count at about half its peers, and a refused dial is tried again.
 */
export async function startSafeguardNetwork (names: readonly string[], init: ServicesInit = {}): Promise<CustodyNode[]> {
  const signal = AbortSignal.timeout(60_000)
  const dirs = await Promise.all(names.map(makeHome))
  const nodes: CustodyNode[] = []
  try {
    for (const d of dirs) nodes.push(await startCustodyNode(d, init))
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        const [a, b] = (i + j) % 2 === 0 ? [i, j] : [j, i]
        await introduceRetrying(nodes[a] as CustodyNode, nodes[b] as CustodyNode, signal)
      }
    }
  } catch (err) {
    await stopAll(nodes)
    throw err
  }
  return nodes
}

export async function introduceRetrying (a: CustodyNode, b: CustodyNode, signal: AbortSignal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await introduce(a.node, b.node, signal)
      return
    } catch (err) {
      if (attempt >= 3 || signal.aborted) throw err
    }
  }
}

export const held = (v: DepositView): boolean => v.statuses.principal === 'held' || v.statuses.principal === 'release-requested' || v.statuses.principal === 'released'
export const recovered = (v: DepositView): boolean => v.recovered

/** The recovered secret of `deposit` at beneficiary `b`, through the sealed export. */
export async function exportedSecret (b: CustodyNode, deposit: CID): Promise<Uint8Array> {
  const kp = exportKeyPair()
  const e = await safeguardOf(b).exportSecret(deposit, kp.publicKey)
  return openSecret(kp.secretKey, deposit, e)
}
