// Whole nodes running the M-Pin service (with custody, the REST API on a free loopback port and
// the node's crypto pool), for the M-Pin service and API tests. Homes live in temp directories;
// D-TAs are told which identities are their authentication servers and principals.
import { loadHome } from '../../../node/home.ts'
import type { CID } from 'multiformats/cid'
import type { MpinInit } from '../../../node/services/mpin.ts'
import type { MpinService } from '../../../node/services/mpin.ts'
import { introduce, makeHome, startCustodyNode, stopAll, type CustodyNode } from './custody-harness.ts'

export { filesContaining, stopAll } from './custody-harness.ts'

export interface MpinNode extends CustodyNode {
  readonly mpin: MpinService
}

/** Small pools: the tests run several nodes on a few cores. */
export const TEST_POOL = { pool: { size: 1 } }

export async function startMpinNode (dir: string, init: MpinInit = {}): Promise<MpinNode> {
  const n = await startCustodyNode(dir, { mpin: init }, TEST_POOL)
  const mpin = n.services.mpin
  if (mpin === undefined) throw new Error('the M-Pin service did not start')
  return { ...n, mpin }
}

/** Fresh homes for `names`, and their identity CIDs (known before any node starts). */
export async function makeHomes (names: readonly string[]): Promise<Array<{ dir: string, cid: CID }>> {
  return await Promise.all(names.map(async (name) => {
    const dir = await makeHome(name)
    return { dir, cid: (await loadHome(dir)).keys.identity.cid }
  }))
}

/** Starts one node per home with its own M-Pin settings, and introduces every pair. */
export async function startMpinNetwork (homes: ReadonlyArray<{ dir: string, init?: MpinInit }>, signal = AbortSignal.timeout(60_000)): Promise<MpinNode[]> {
  const nodes: MpinNode[] = []
  try {
    for (const h of homes) nodes.push(await startMpinNode(h.dir, h.init))
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) await introduce((nodes[i] as MpinNode).node, (nodes[j] as MpinNode).node, signal)
    }
    return nodes
  } catch (err) {
    await stopAll(nodes)
    throw err
  }
}
