// For the `milagro trace` tests: a custody order run to redemption on three real nodes over
// loopback TCP, the nodes stopped with every envelope delivered and judged, and what each log
// holds read while they ran (to compare the trace with); plus a snapshot of a directory tree, to
// show a trace changes nothing.
import { createHash } from 'node:crypto'
import { readFile, rm, stat } from 'node:fs/promises'
import { basename, dirname, relative } from 'node:path'
import { CID } from 'multiformats/cid'
import type { MilagroNode } from '../../../node/node.ts'
import type { OrderView } from '../../../protocol/custody/index.ts'
import { LOG_KINDS } from '../../../protocol/state/types.ts'
import { receivedCount } from '../node-harness.ts'
import { filesUnder, startNetwork, stopAll, type CustodyNode } from '../services/custody-harness.ts'

export interface LoggedAt { readonly seq: number, readonly clock: number, readonly kind: string }

export interface StoppedFlow {
  readonly order: CID
  /** principal, beneficiary, fiduciary homes. */
  readonly dirs: readonly [string, string, string]
  readonly names: readonly [string, string, string]
  readonly identities: readonly [string, string, string]
  /** Per node: envelope CID → its envelope.sent / envelope.received entry. */
  readonly envelopeEntries: ReadonlyArray<ReadonlyMap<string, LoggedAt>>
  /** Per node: envelope CID → kinds of the fact entries whose body names it as `envelope`. */
  readonly facts: ReadonlyArray<ReadonlyMap<string, readonly string[]>>
  remove (): Promise<void>
}

async function entries (node: MilagroNode): Promise<Array<{ seq: number, clock: number, kind: string, link?: CID, body?: unknown }>> {
  const out = []
  const head = node.log.head
  for (let seq = 0; head !== undefined && seq <= head.seq; seq++) out.push(await node.log.get(seq))
  return out
}

/** Resolves once every envelope `node` received has a fact naming it (the node judged it). */
async function judgedAll (node: MilagroNode, signal: AbortSignal): Promise<void> {
  for (;;) {
    const all = await entries(node)
    const judged = new Set(all.flatMap((e) => {
      const c = CID.asCID((e.body as { envelope?: unknown } | undefined)?.envelope)
      return c === null ? [] : [c.toString()]
    }))
    if (all.every((e) => e.kind !== LOG_KINDS.envelopeReceived || judged.has(String(e.link)))) return
    await new Promise<void>((resolve, reject) => {
      const done = (): void => { node.log.removeEventListener('log:append', done); signal.removeEventListener('abort', fail); resolve() }
      const fail = (): void => { node.log.removeEventListener('log:append', done); reject(signal.reason) }
      node.log.addEventListener('log:append', done)
      signal.addEventListener('abort', fail, { once: true })
    })
  }
}

const redeemed = (v: OrderView): boolean => v.statuses.principal === 'redeemed' || v.statuses.beneficiary === 'redeemed'

export async function stoppedCustodyFlow (tag: string): Promise<StoppedFlow> {
  const nodes = await startNetwork([`${tag}-principal`, `${tag}-beneficiary`, `${tag}-fiduciary`])
  const remove = async (): Promise<void> => {
    await stopAll(nodes)
  }
  try {
    const [P, B, F] = nodes as [CustodyNode, CustodyNode, CustodyNode]
    const signal = AbortSignal.timeout(30_000)
    const order = (await P.custody.createOrder({ beneficiary: B.node.identity.cid, fiduciary: F.node.identity.cid, network: 'regtest' })).id
    await P.custody.waitFor(order, (v) => v.wallet !== null, { signal })
    await P.custody.requestRelease(order)
    await Promise.all([P.custody.waitFor(order, redeemed, { signal }), B.custody.waitFor(order, redeemed, { signal })])
    // Every envelope delivered: P gets both keys, released, redeemed; B and F the order, the
    // address, and the release / the release request. Then every one judged.
    await Promise.all([receivedCount(P.node, 4, signal), receivedCount(B.node, 3, signal), receivedCount(F.node, 3, signal)])
    await Promise.all(nodes.map(async (n) => { await judgedAll(n.node, signal) }))
    const envelopeEntries: Array<Map<string, LoggedAt>> = []
    const facts: Array<Map<string, string[]>> = []
    for (const n of nodes) {
      const env = new Map<string, LoggedAt>()
      const fx = new Map<string, string[]>()
      for (const e of await entries(n.node)) {
        if ((e.kind === LOG_KINDS.envelopeSent || e.kind === LOG_KINDS.envelopeReceived) && e.link !== undefined) env.set(e.link.toString(), { seq: e.seq, clock: e.clock, kind: e.kind })
        const c = CID.asCID((e.body as { envelope?: unknown } | undefined)?.envelope)
        if (c !== null) fx.set(c.toString(), [...(fx.get(c.toString()) ?? []), e.kind])
      }
      envelopeEntries.push(env)
      facts.push(fx)
    }
    await stopAll(nodes, { remove: false })
    return {
      order,
      dirs: [P.dir, B.dir, F.dir],
      names: [P.node.home.config.name, B.node.home.config.name, F.node.home.config.name],
      identities: [P.node.identity.cid.toString(), B.node.identity.cid.toString(), F.node.identity.cid.toString()],
      envelopeEntries,
      facts,
      remove
    }
  } catch (err) {
    await remove().catch(() => {}) // the flow's error is the one to report
    throw err
  }
}

/**
 * Every file and directory under `dir`: path, size, mode, mtime and SHA-256 of the content — but
 * for LevelDB's LOCK files, which are not read: closing any descriptor of a file drops every POSIX
 * lock the process holds on it, so reading a LOCK would unlock a database this process has open.
 */
export async function snapshotTree (dir: string): Promise<string[]> {
  const lines: string[] = []
  const top = await stat(dir)
  lines.push(`. dir ${top.mode.toString(8)} ${top.mtimeMs}`)
  for (const file of await filesUnder(dir)) {
    const f = await stat(file)
    const d = await stat(dirname(file))
    const sha = basename(file) === 'LOCK' ? '-' : createHash('sha256').update(await readFile(file)).digest('hex')
    lines.push(`${relative(dir, file)} ${f.size} ${f.mode.toString(8)} ${f.mtimeMs} ${sha}`, `${relative(dir, dirname(file))}/ dir ${d.mode.toString(8)} ${d.mtimeMs}`)
  }
  return [...new Set(lines)].sort()
}

/** Removes a home made by makeHome (its temp parent directory). */
export async function removeHome (dir: string): Promise<void> {
  await rm(dirname(dir), { recursive: true, force: true })
}
