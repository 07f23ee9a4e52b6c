// The crash harness: the custody flow across three node processes (principal, beneficiary,
// fiduciary: crash-child.ts), each killed with SIGKILL at named crash points (storage/crash-point.ts)
// while orders run, restarted on the same home, and then checked offline:
//   - every order completes (principal and beneficiary 'redeemed', fiduciary 'released');
//   - no envelope is lost: each envelope in a sender's log (`envelope.sent`) is in the log of each
//     of its recipients (`envelope.received`) exactly once, and nothing is received that no log sent;
//   - no message is duplicated: per order, a node sends each message type at most once, and no
//     node refused a custody message (`custody.rejected`);
//   - every log audits clean from genesis (storage/audit.ts: signatures, chain, clocks, linked
//     envelopes, checkpoints recomputed).
// A plan lists (role, point, n): kill that node the n-th time it reaches the point after being
// armed. Each round arms at most one point per node (so up to three die in one round), runs one
// order end to end through the REST API (driving through the deaths and restarts), then disarms
// whatever did not fire. A point counts as covered only if the child reported dying there.
import { rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ApiClient, type OrderJson } from '../../node/api/client.ts'
import { readApiToken } from '../../node/api/token.ts'
import { envelopeVerifier, identityResolver, openHomeStores } from '../../node/commands/log-home.ts'
import { decodeEnvelope } from '../../protocol/envelope.ts'
import { fullNodeMachine } from '../../protocol/index.ts'
import { LOG_KINDS } from '../../protocol/state/types.ts'
import { audit } from '../../storage/audit.ts'
import { describeProblem } from '../../storage/errors.ts'
import { listEntries } from '../../storage/inspect.ts'
import { makeHome } from '../node/node-harness.ts'
import { NodeProcess, type Ready } from './child.ts'

export const ROLES = ['principal', 'beneficiary', 'fiduciary'] as const
export type Role = typeof ROLES[number]

/**
 * Crash points every node passes through in the flow (log group commits, delivery both ways).
 * `log.mark-done` is not among them: no effect of the custody flow is marked done on its own any
 * more — those the custody service looks ahead are never stored (StateMachine.settled), and a
 * received envelope's open effect leaves the outbox in its judgement's group commit (append's
 * `done`), so the window between doing the work and marking it done is gone for them.
 */
export const COMMON_POINTS = [
  'log.blocks', 'log.commit', 'log.checkpoint',
  'envelope.sent-appended', 'envelope.received-appended',
  'delivery.before-ack', 'delivery.after-ack',
  'dispatch.before-send', 'dispatch.acked', 'dispatch.removed'
] as const

export const CRASH_POINTS: Readonly<Record<Role, readonly string[]>> = {
  principal: COMMON_POINTS,
  beneficiary: [...COMMON_POINTS, 'custody.share-generated'],
  fiduciary: [...COMMON_POINTS, 'custody.share-generated', 'custody.share-sealed']
}

export interface CrashTarget { readonly role: Role, readonly point: string, readonly n?: number }

/** Every point of every role, first hit. */
export function fullPlan (): CrashTarget[] {
  return ROLES.flatMap((role) => CRASH_POINTS[role].map((point) => ({ role, point })))
}

const label = (t: CrashTarget): string => `${t.role}/${t.point}:${t.n ?? 1}`

export interface AuditSummary { readonly ok: boolean, readonly entries: number, readonly envelopes: number, readonly checkpoints: number, readonly problem?: string }

export interface CrashReport {
  readonly planned: number
  /** `role/point:n` of every armed point the node died at. */
  readonly covered: readonly string[]
  /** Armed points the flow never reached. */
  readonly missed: readonly string[]
  readonly orders: number
  readonly incomplete: readonly string[]
  /** Envelope deliveries missing from a recipient's log, plus orders that did not complete. */
  readonly lost: number
  /** Envelopes in a log twice, messages sent twice for one order, custody messages refused. */
  readonly duplicates: number
  readonly audits: Readonly<Record<Role, AuditSummary>>
  readonly problems: readonly string[]
}

export interface CrashOptions {
  readonly signal?: AbortSignal
  /** Checkpoint marker every N entries (default 5, so that the flow crosses checkpoints). */
  readonly checkpointEvery?: number
  readonly progress?: (line: string) => void
  /** Also report each death and restart through `progress`. */
  readonly verbose?: boolean
}

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url))

class Network {
  readonly homes: Record<Role, string>
  readonly #env: Record<string, string>
  readonly procs = {} as Record<Role, NodeProcess>
  readonly ready = {} as Record<Role, Ready>
  readonly apis = {} as Record<Role, ApiClient>
  readonly #up = {} as Record<Role, Promise<void>>
  readonly deaths: Array<{ role: Role, at: string | undefined }> = []
  readonly problems: string[] = []
  #closing = false
  readonly #signal: AbortSignal

  readonly #say: (line: string) => void

  constructor (homes: Record<Role, string>, env: Record<string, string>, signal: AbortSignal, say: (line: string) => void = () => {}) {
    this.homes = homes
    this.#env = env
    this.#signal = signal
    this.#say = say
  }

  async start (): Promise<void> {
    await this.#spawn('fiduciary')
    await this.#spawn('beneficiary')
    await this.#spawn('principal')
    await Promise.all(ROLES.map(async (r) => { await this.procs[r].knows(ROLES.filter((o) => o !== r).map((o) => this.ready[o].identity), this.#signal) }))
  }

  async #spawn (role: Role): Promise<void> {
    const bootstrap = ROLES.filter((r) => r !== role && this.ready[r] !== undefined).flatMap((r) => ['--bootstrap', this.ready[r].addr])
    // A restarted node listens where it did before, so the others' redials find it.
    const listen = this.ready[role] === undefined ? [] : ['--listen', this.ready[role].addr.replace(/\/p2p\/.*$/, '')]
    const p = new NodeProcess(CHILD, this.homes[role], [...bootstrap, ...listen], this.#env)
    this.procs[role] = p
    const t0 = performance.now()
    const up = (async () => {
      const ready = await p.next<Ready>('ready', this.#signal)
      this.#say(`  ${role} up in ${Math.round(performance.now() - t0)} ms`)
      this.ready[role] = ready
      this.apis[role] = new ApiClient({ url: ready.api, token: await readApiToken(`${this.homes[role]}/api-token`) })
    })()
    this.#up[role] = up
    void p.exited.then((exit) => {
      if (this.#closing) return
      if (exit.signal !== 'SIGKILL') this.problems.push(`${role} exited unexpectedly (${exit.code ?? exit.signal}): ${p.stderr.slice(-2000)}`)
      this.deaths.push({ role, at: p.crashedAt })
      this.#say(`  ${role} died at ${p.crashedAt ?? `exit ${exit.code ?? exit.signal}`}`)
      if (!this.#signal.aborted) void this.#spawn(role)
    })
    await up
  }

  /** Resolves once `role`'s current process is up (after a restart, the new one). */
  async up (role: Role): Promise<NodeProcess> {
    for (;;) {
      this.#signal.throwIfAborted()
      const p = this.procs[role]
      await this.#up[role]
      if (this.procs[role] === p) return p
    }
  }

  /** Calls the REST API of `role`, through deaths and restarts of that node. */
  async call<T> (role: Role, fn: (api: ApiClient) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const p = await this.up(role)
      try {
        return await fn(this.apis[role])
      } catch (err) {
        if ((err as Error).name === 'ApiCallError' || attempt > 50) throw err
        // The connection failed: the node is dying (or dead). Wait for its exit, bounded.
        await Promise.race([p.exited, new Promise((resolve) => { AbortSignal.timeout(1_000).addEventListener('abort', resolve) })])
      }
    }
  }

  async arm (role: Role, spec: string | null): Promise<void> {
    const p = await this.up(role)
    p.command(spec === null ? 'disarm' : `arm ${spec}`)
    await p.next('armed', this.#signal).catch(() => {}) // it may die at once; the death is recorded
  }

  async close (): Promise<void> {
    this.#closing = true
    await Promise.all(ROLES.map(async (r) => { await this.procs[r]?.stop() }))
  }
}

async function waitStage (net: Network, role: Role, id: string, done: (o: OrderJson) => boolean, signal: AbortSignal): Promise<OrderJson> {
  const stage = role === 'fiduciary' ? 'released' : role === 'principal' ? 'redeemed' : 'redeemed'
  for (;;) {
    signal.throwIfAborted()
    const o = await net.call(role, async (api) => await api.order(id, { stage, timeoutMs: 5_000 }).catch((err: Error & { remoteName?: string }) => {
      // The order may not have reached this node yet (its envelope is in flight, or the node restarted).
      if (err.remoteName === 'UnknownOrderError') return undefined
      throw err
    }))
    if (o !== undefined && done(o)) return o
    if (o === undefined) await new Promise((resolve) => { AbortSignal.timeout(200).addEventListener('abort', resolve) })
  }
}

/** Drives one order from creation to redemption at every node, through crashes. */
async function runOrder (net: Network, known: Set<string>, signal: AbortSignal): Promise<string[]> {
  const ids = { beneficiary: net.ready.beneficiary.identity, fiduciary: net.ready.fiduciary.identity }
  let created: string[]
  try {
    await net.up('principal')
    created = [(await net.apis.principal.createOrder(ids)).id]
  } catch (err) {
    if ((err as Error).name === 'ApiCallError') throw err
    // The principal died during the call: the order may or may not be in its log.
    const page = await net.call('principal', async (api) => await api.listOrders({ limit: 500 }))
    created = page.orders.map((o) => o.id).filter((id) => !known.has(id))
    if (created.length === 0) created = [(await net.call('principal', async (api) => await api.createOrder(ids))).id]
  }
  for (const id of created) {
    known.add(id)
    await waitStage(net, 'principal', id, (o) => o.wallet !== null, signal)
    await net.call('principal', async (api) => await api.release(id))
    await Promise.all([
      waitStage(net, 'principal', id, (o) => o.status.principal === 'redeemed', signal),
      waitStage(net, 'beneficiary', id, (o) => o.status.beneficiary === 'redeemed' && o.keyAvailable, signal),
      waitStage(net, 'fiduciary', id, (o) => o.status.fiduciary === 'released', signal)
    ])
  }
  return created
}

interface LogView {
  readonly sent: Map<string, { readonly recipients: readonly string[], readonly thread: string, readonly type: string }>
  readonly received: string[]
  readonly rejected: number
}

async function readLog (home: string): Promise<{ view: LogView, audit: AuditSummary }> {
  const stores = await openHomeStores(home)
  try {
    const sent = new Map<string, { recipients: string[], thread: string, type: string }>()
    const received: string[] = []
    let rejected = 0
    for await (const row of listEntries(stores, { from: 0 })) {
      const e = row.entry
      if (e === undefined) throw new Error(`${home}: seq ${row.seq} unreadable: ${row.error ?? ''}`)
      if (e.kind === 'custody.rejected') rejected++
      if (e.link === undefined) continue
      if (e.kind === LOG_KINDS.envelopeReceived) received.push(e.link.toString())
      if (e.kind === LOG_KINDS.envelopeSent) {
        const [bytes] = await stores.blockstore.getBlocks([e.link])
        if (bytes === undefined) throw new Error(`${home}: envelope ${e.link.toString()} of seq ${e.seq} is missing`)
        const env = decodeEnvelope(bytes)
        sent.set(env.cid.toString(), { recipients: env.header.recipients.map(String), thread: (env.header.thread ?? env.cid).toString(), type: env.header.type })
      }
    }
    const resolveIdentity = identityResolver(stores, home)
    const report = await audit(stores, {
      machine: fullNodeMachine(),
      resolveSigningKey: async (cid) => (await resolveIdentity(cid)).doc.signingKey,
      verifyEnvelope: envelopeVerifier(resolveIdentity)
    })
    return {
      view: { sent, received, rejected },
      audit: { ok: report.ok, entries: report.entries, envelopes: report.envelopes, checkpoints: report.checkpoints.compared, ...(report.problem === undefined ? {} : { problem: describeProblem(report.problem) }) }
    }
  } finally {
    await stores.stop()
  }
}

/** Runs `plan` and checks the three logs; the homes are removed afterwards. */
export async function runCrashHarness (plan: readonly CrashTarget[], options: CrashOptions = {}): Promise<CrashReport> {
  const signal = options.signal ?? AbortSignal.timeout(600_000)
  const say = options.progress ?? (() => {})
  const dirs = await Promise.all(ROLES.map(async (r) => await makeHome(`crash-${r}`)))
  const homes = { principal: dirs[0], beneficiary: dirs[1], fiduciary: dirs[2] } as Record<Role, string>
  const net = new Network(homes, { MILAGRO_STORAGE_CHECKPOINT_EVERY: String(options.checkpointEvery ?? 5) }, signal, options.verbose === true ? say : undefined)
  const covered: string[] = []
  const missed: string[] = []
  const orders = new Set<string>()
  const incomplete: string[] = []
  const problems: string[] = []
  try {
    await net.start()
    // Rounds: at most one armed point per node.
    const queues = ROLES.map((r) => plan.filter((t) => t.role === r))
    const rounds = Math.max(0, ...queues.map((q) => q.length))
    for (let i = 0; i < rounds; i++) {
      const targets = queues.map((q) => q[i]).filter((t): t is CrashTarget => t !== undefined)
      const deathsBefore = net.deaths.length
      await Promise.all(targets.map(async (t) => { await net.arm(t.role, `${t.point}:${t.n ?? 1}`) }))
      const started = performance.now()
      await runOrder(net, orders, signal)
      await Promise.all(targets.map(async (t) => { if (net.procs[t.role].running) await net.arm(t.role, null) }))
      const deaths = net.deaths.slice(deathsBefore)
      for (const t of targets) {
        const died = deaths.some((d) => d.role === t.role && d.at === `${t.point}:${t.n ?? 1}`)
        ;(died ? covered : missed).push(label(t))
      }
      say(`round ${i + 1}/${rounds}: ${targets.map((t) => `${label(t)} ${deaths.some((d) => d.role === t.role && d.at === `${t.point}:${t.n ?? 1}`) ? 'killed' : 'not reached'}`).join(', ')} (${Math.round(performance.now() - started)} ms)`)
    }
    // Completion as each node sees it, then a clean stop.
    for (const id of orders) {
      const views = await Promise.all(ROLES.map(async (r) => await net.call(r, async (api) => await api.order(id))))
      const [p, b, f] = views as [OrderJson, OrderJson, OrderJson]
      if (p.status.principal !== 'redeemed' || b.status.beneficiary !== 'redeemed' || !b.keyAvailable || f.status.fiduciary !== 'released') incomplete.push(id)
    }
    for (const d of net.deaths) if (d.at === undefined) problems.push(`${d.role} died without reaching a crash point`)
    problems.push(...net.problems)
  } finally {
    await net.close()
  }
  try {
    const logs = {} as Record<Role, LogView>
    const audits = {} as Record<Role, AuditSummary>
    for (const r of ROLES) {
      const { view, audit: a } = await readLog(homes[r])
      logs[r] = view
      audits[r] = a
      if (!a.ok) problems.push(`${r}'s log does not audit: ${a.problem ?? ''}`)
    }
    const identityRole = new Map(ROLES.map((r) => [net.ready[r].identity, r]))
    let lost = incomplete.length
    let duplicates = 0
    const allSent = new Set<string>()
    for (const r of ROLES) {
      const log = logs[r]
      const seen = new Map<string, number>()
      for (const c of log.received) seen.set(c, (seen.get(c) ?? 0) + 1)
      for (const [cid, n] of seen) if (n > 1) { duplicates += n - 1; problems.push(`${r} received ${cid} ${n} times`) }
      const perMessage = new Map<string, number>()
      for (const [cid, s] of log.sent) {
        allSent.add(cid)
        const key = `${s.thread} ${s.type}`
        perMessage.set(key, (perMessage.get(key) ?? 0) + 1)
        for (const to of s.recipients) {
          const role = identityRole.get(to)
          if (role === undefined || role === r) continue
          if (!logs[role].received.includes(cid)) { lost++; problems.push(`${s.type} ${cid} from ${r} never reached ${role}`) }
        }
      }
      for (const [key, n] of perMessage) if (n > 1) { duplicates += n - 1; problems.push(`${r} sent ${key} ${n} times`) }
      if (log.rejected > 0) { duplicates += log.rejected; problems.push(`${r} refused ${log.rejected} custody message(s)`) }
    }
    for (const r of ROLES) for (const cid of logs[r].received) if (!allSent.has(cid)) problems.push(`${r} received ${cid}, which no log sent`)
    return { planned: plan.length, covered, missed, orders: orders.size, incomplete, lost, duplicates, audits, problems }
  } finally {
    await Promise.all(ROLES.map(async (r) => { await rm(dirname(homes[r]), { recursive: true, force: true }) }))
  }
}
