// Whole nodes running the M-Pin service (with custody, the REST API on a free loopback port and
// the node's crypto pool), for the M-Pin service and API tests. Homes live in temp directories;
// D-TAs are told which identities are their authentication servers and principals.
import { client1, client2, type CurveName, type MpinCurve } from '../../../crypto/index.ts'
import { loadHome } from '../../../node/home.ts'
import type { CID } from 'multiformats/cid'
import type { MpinInit, MpinService } from '../../../node/services/mpin.ts'
import type { IssuanceView } from '../../../protocol/mpin/queries.ts'
import type { IssuanceKind } from '../../../protocol/mpin/types.ts'
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

/**
 * One two-pass M-Pin login of the holder of `token` through `auth`'s service, with or without a
 * time permit: 'accepted' or the name of the refusal, and the date pass 1 answered with.
 */
export async function mpinLogin (
  auth: Pick<MpinService, 'pass1' | 'pass2'>, curve: MpinCurve, name: CurveName,
  holder: { readonly id: string, readonly hashedId: Uint8Array, readonly token: Uint8Array }, pin: number,
  permit?: { readonly date: number, readonly permit: Uint8Array }
): Promise<{ readonly outcome: string, readonly date: number | null }> {
  const c1 = client1(curve, { hashedId: holder.hashedId, pin, token: holder.token, ...(permit ?? {}) })
  const p1 = await auth.pass1({ curve: name, id: holder.id, ...(permit !== undefined ? { UT: c1.UT as Uint8Array } : { U: c1.U }) })
  const r = await auth.pass2(p1.challenge, client2(curve, c1.x, p1.y, c1.sec))
  return { outcome: r.accepted ? 'accepted' : r.error?.name ?? '?', date: p1.date }
}

/** An issuance is settled once it is no longer pending (complete, or refused). */
export const settled = (v: IssuanceView): boolean => v.status !== 'pending'

/** Asks `service` for an issuance from `dtas` and waits until it is settled. */
export async function issue (
  service: Pick<MpinService, 'requestIssuance' | 'waitFor'>, issuance: IssuanceKind, curve: CurveName, dtas: readonly CID[], signal: AbortSignal,
  extra: { id?: string, date?: number, beneficiary?: CID } = {}
): Promise<IssuanceView> {
  const v = await service.requestIssuance({ issuance, curve, dtas, ...extra })
  return await service.waitFor(v.id, settled, { signal })
}

/** What a login needs, issued at once by `dtas`: client secret and time permit to `client`, server secret to `server`. */
export async function issueForLogin (
  client: Pick<MpinService, 'requestIssuance' | 'waitFor'>, server: Pick<MpinService, 'requestIssuance' | 'waitFor'>,
  curve: CurveName, dtas: readonly CID[], signal: AbortSignal
): Promise<[clientSecret: IssuanceView, timePermit: IssuanceView, serverSecret: IssuanceView]> {
  return await Promise.all([
    issue(client, 'client-secret', curve, dtas, signal),
    issue(client, 'time-permit', curve, dtas, signal),
    issue(server, 'server-secret', curve, dtas, signal)
  ])
}
