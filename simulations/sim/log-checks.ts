// The invariants checked on the node homes after a clean stop: logs-audit and envelopes-agree
// (see invariants.ts). Each home is opened the way `milagro audit` opens it (read-only in spirit),
// audited with the state machine the nodes fold (so checkpoints are compared, not skipped), then
// its envelope entries are read: for `envelope.sent` and `envelope.received`, the linked block's
// bytes, hashed, and the envelope's sender and recipients.
import { toHex, sha256 } from '../../crypto/index.ts'
import { nodeServices, silentLogger } from '../../node/index.ts'
import { decodeEnvelope, LOG_KINDS } from '../../protocol/index.ts'
import { audit, blockMatches, describeProblem, listEntries, logExtent } from '../../storage/index.ts'
import { envelopeVerifier, identityResolver, openHomeStores } from '../../node/commands/log-home.ts'
import type { Cluster } from './cluster.ts'
import { Check, type InvariantResult } from './invariants.ts'

interface Held {
  /** sha-256 of the bytes this node holds, hex. */
  readonly digest: string
  readonly sent: number
  readonly received: number
}

interface Seen {
  readonly sender: string
  readonly recipients: readonly string[]
  readonly type: string
  readonly holders: Map<number, Held>
}

export async function checkLogs (cluster: Cluster, signal: AbortSignal): Promise<InvariantResult[]> {
  const audited = new Check('logs-audit')
  const agree = new Check('envelopes-agree')
  const envelopes = new Map<string, Seen>()
  const byIdentity = new Map(cluster.nodes.map((n) => [n.identity, n.index]))

  // Two homes at a time: an audit is CPU-bound (signature checks), the listing I/O-bound.
  let next = 0
  await Promise.all(Array.from({ length: Math.min(2, cluster.nodes.length) }, async () => {
    while (next < cluster.nodes.length) {
      const n = cluster.nodes[next++] as Cluster['nodes'][number]
      signal.throwIfAborted()
      const home = n.home.paths.dir
      audited.checked++
      let stores: Awaited<ReturnType<typeof openHomeStores>> | undefined
      try {
        stores = await openHomeStores(home)
        const resolve = identityResolver(stores, home)
        const report = await audit(stores, {
          machine: nodeServices(n.home, silentLogger(), { api: false }).options.machine,
          resolveSigningKey: async (cid) => (await resolve(cid)).doc.signingKey,
          verifyEnvelope: envelopeVerifier(resolve),
          signal
        })
        if (!report.ok) audited.fail(`node${n.index}: ${report.problem === undefined ? 'audit failed' : describeProblem(report.problem)}`)
        // A node that is party to an order has entries; one that no order names (a large network
        // with few orders) has written nothing, and its empty log is what it should hold.
        else if (report.entries === 0 && cluster.isParty(n.index)) audited.fail(`node${n.index}: the log is empty, though it is party to an order`)

        const { head, lastIndexed } = await logExtent(stores)
        const last = Math.max(head?.seq ?? -1, lastIndexed)
        const counts = new Map<string, { sent: number, received: number, digest: string }>()
        for await (const item of listEntries(stores, { from: 0, to: last, signal })) {
          const e = item.entry
          if (e === undefined || e.link === undefined) continue
          if (e.kind !== LOG_KINDS.envelopeSent && e.kind !== LOG_KINDS.envelopeReceived) continue
          const cid = e.link.toString()
          let c = counts.get(cid)
          if (c === undefined) {
            const [bytes] = await stores.blockstore.getBlocks([e.link])
            if (bytes === undefined) { agree.fail(`node${n.index}: envelope ${cid} is in its log but not in its block store`); continue }
            if (!blockMatches(e.link, bytes)) agree.fail(`node${n.index}: the bytes it holds for envelope ${cid} do not hash to that CID`)
            c = { sent: 0, received: 0, digest: toHex(sha256(bytes)) }
            counts.set(cid, c)
            if (!envelopes.has(cid)) {
              try {
                const env = decodeEnvelope(bytes)
                envelopes.set(cid, { sender: env.header.sender.toString(), recipients: env.header.recipients.map((r) => r.toString()), type: env.header.type, holders: new Map() })
              } catch (err) {
                agree.fail(`node${n.index}: envelope ${cid} does not decode: ${(err as Error).message}`)
                continue
              }
            }
          }
          if (e.kind === LOG_KINDS.envelopeSent) c.sent++
          else c.received++
        }
        for (const [cid, c] of counts) envelopes.get(cid)?.holders.set(n.index, { digest: c.digest, sent: c.sent, received: c.received })
      } catch (err) {
        audited.fail(`node${n.index}: its log could not be audited: ${(err as Error).name}: ${(err as Error).message}`)
      } finally {
        await stores?.stop()
      }
    }
  }))

  for (const [cid, e] of envelopes) {
    agree.checked++
    const digests = new Set([...e.holders.values()].map((h) => h.digest))
    if (digests.size > 1) agree.fail(`envelope ${cid} (${e.type}): peers hold different bytes under the same CID`)
    const sender = byIdentity.get(e.sender)
    for (const [node, h] of e.holders) {
      if (h.sent > 1 || h.received > 1) agree.fail(`envelope ${cid} (${e.type}) is recorded ${h.sent + h.received} times in node${node}'s log`)
      if (h.sent > 0 && node !== sender) agree.fail(`envelope ${cid} (${e.type}) is recorded as sent by node${node}, but node${sender ?? '?'} signed it`)
      if (h.received > 0 && sender !== undefined && e.holders.get(sender)?.sent !== 1) agree.fail(`envelope ${cid} (${e.type}) was received by node${node}, but node${sender} has no record of sending it`)
    }
    if (sender === undefined || e.holders.get(sender)?.sent !== 1) continue
    for (const r of e.recipients) {
      const node = byIdentity.get(r)
      if (node === undefined || node === sender) continue
      if (e.holders.get(node)?.received !== 1) agree.fail(`envelope ${cid} (${e.type}) sent by node${sender} never reached node${node}: it is not in that recipient's log`)
    }
  }
  return [audited.result(), agree.result()]
}
