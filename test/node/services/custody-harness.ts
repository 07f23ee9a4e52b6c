// Whole nodes running the custody service (and the REST API on a free loopback port), for the
// custody integration tests and the custody bench. Homes live in temp directories. Each node is
// registered with ../../teardown.ts as it is created (stopped at the end of the file if a failed
// test left it running).
import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { loadHome } from '../../../node/home.ts'
import { silentLogger } from '../../../node/logger.ts'
import { createNode, type MilagroNode, type NodeOptions } from '../../../node/node.ts'
import { nodeServices, type Services, type ServicesInit } from '../../../node/services/compose.ts'
import type { CustodyService } from '../../../node/services/custody.ts'
import { FAST, introduce, makeHome, trackNode } from '../node-harness.ts'

export { makeHome, introduce }

export interface CustodyNode {
  readonly dir: string
  readonly node: MilagroNode
  readonly services: Services
  readonly custody: CustodyService
}

export async function startCustodyNode (dir: string, init: ServicesInit = {}, options: NodeOptions = {}): Promise<CustodyNode> {
  const home = await loadHome(dir)
  const logger = silentLogger()
  const { options: serviceOptions, services } = nodeServices(home, logger, { api: { host: '127.0.0.1', port: 0 }, ...init })
  const node = createNode(home, { logger, ...FAST, ...serviceOptions, ...options })
  trackNode(node, dir)
  await node.start()
  const custody = services.custody
  if (custody === undefined) throw new Error('custody service did not start')
  return { dir, node, services, custody }
}

/**
 * Starts nodes on fresh homes and introduces every pair. If a start or an introduction fails, the
 * nodes already started are stopped (and their homes removed) before the error is thrown: the
 * caller never got them, so its own teardown cannot.
 */
export async function startNetwork (names: readonly string[], init: ServicesInit = {}, signal = AbortSignal.timeout(20_000)): Promise<CustodyNode[]> {
  const dirs = await Promise.all(names.map(makeHome))
  const starts = await Promise.allSettled(dirs.map(async (d) => await startCustodyNode(d, init)))
  const nodes = starts.flatMap((s) => s.status === 'fulfilled' ? [s.value] : [])
  try {
    const failed = starts.find((s) => s.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) await introduce((nodes[i] as CustodyNode).node, (nodes[j] as CustodyNode).node, signal)
    }
  } catch (err) {
    await stopAll(nodes).catch(() => {}) // the start or introduction error is the one to report
    await Promise.all(dirs.map(async (d) => { await rm(dirname(d), { recursive: true, force: true }) }))
    throw err
  }
  return nodes
}

export async function stopAll (nodes: ReadonlyArray<CustodyNode | undefined>, options: { remove?: boolean } = {}): Promise<void> {
  const results = await Promise.allSettled(nodes.map(async (n) => { await n?.node.stop() }))
  if (options.remove !== false) await Promise.all(nodes.map(async (n) => { if (n !== undefined) await rm(dirname(n.dir), { recursive: true, force: true }) }))
  const failed = results.find((r) => r.status === 'rejected')
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
}

/** Every regular file under `dir`, recursively. */
export async function filesUnder (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const name of await readdir(dir)) {
    const path = join(dir, name)
    const s = await stat(path)
    if (s.isDirectory()) out.push(...await filesUnder(path))
    else if (s.isFile()) out.push(path)
  }
  return out
}

/** Files under `dir` containing `needle` in any of its encodings (raw bytes, hex, base64, base64url). */
export async function filesContaining (dir: string, secret: Uint8Array): Promise<string[]> {
  const b = Buffer.from(secret)
  const needles = [b, Buffer.from(b.toString('hex')), Buffer.from(b.toString('hex').toUpperCase()), Buffer.from(b.toString('base64').slice(0, 40)), Buffer.from(b.toString('base64url').slice(0, 40))]
  const hits: string[] = []
  for (const f of await filesUnder(dir)) {
    const content = await readFile(f)
    if (needles.some((n) => content.includes(n))) hits.push(f)
  }
  return hits
}
