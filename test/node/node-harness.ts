// Helpers for whole-node tests: homes in temp directories, nodes on loopback with fast timers,
// log inspection, and a child-process node for crash tests (node-child.ts). Every node and child
// started here is registered with ../teardown.ts as it is created, so that it is stopped at the
// end of the file even when the test that started it failed before its own teardown knew of it.
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { on, once } from 'node:events'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { LOG_KINDS } from '../../protocol/state/types.ts'
import { initHome, loadHome } from '../../node/home.ts'
import { createNode, type MilagroNode, type NodeOptions } from '../../node/node.ts'
import { silentLogger } from '../../node/logger.ts'
import { track } from '../teardown.ts'

export const FAST: NodeOptions = {
  heartbeatIntervalMs: 100,
  directory: { announceIntervalMs: 1_000, fetchTimeoutMs: 3_000 },
  dispatcher: { initialBackoffMs: 50, maxBackoffMs: 500 },
  inbound: { resolveTimeoutMs: 1_000 }
}

export async function makeHome (name: string): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), `milagro-node-${name}-`)), 'home')
  await initHome(dir, { name, listen: ['/ip4/127.0.0.1/tcp/0'] })
  return dir
}

export async function startNode (dir: string, options: NodeOptions = {}): Promise<MilagroNode> {
  const node = createNode(await loadHome(dir), { logger: silentLogger(), ...FAST, ...options })
  trackNode(node, dir)
  await node.start()
  return node
}

/** Registers `node` to be stopped at the end of the test file (../teardown.ts), before it starts. */
export function trackNode (node: MilagroNode, dir: string): void {
  track(`node ${dir}`, async () => { await node.stop() })
}

/** The first TCP listen address of a running node. */
export function addrOf (node: MilagroNode): string {
  const a = node.libp2p.getMultiaddrs().find((m) => m.toString().includes('/tcp/'))
  if (a === undefined) throw new Error('node has no TCP address')
  return a.toString()
}

/** Same address without the /p2p suffix, e.g. to listen on it again after a restart. */
export function listenAddrOf (node: MilagroNode): string {
  return addrOf(node).replace(/\/p2p\/.*$/, '')
}

/** CIDs linked by the log's entries of `kind`, in log order. */
export async function logLinks (node: MilagroNode, kind: string = LOG_KINDS.envelopeReceived): Promise<string[]> {
  const head = node.log.head
  const out: string[] = []
  if (head === undefined) return out
  for (let seq = 0; seq <= head.seq; seq++) {
    const e = await node.log.get(seq)
    if (e.kind === kind && e.link !== undefined) out.push(e.link.toString())
  }
  return out
}

/** Waits until `node` has received `n` envelopes in this run. */
export async function receivedCount (node: MilagroNode, n: number, signal: AbortSignal): Promise<void> {
  if (node.parts.inbound.stats().received >= n) return
  for await (const _ of on(node, 'envelope:received', { signal })) {
    if (node.parts.inbound.stats().received >= n) return
  }
}

/** Connects a and b and waits until each has the other's identity in its directory. */
export async function introduce (a: MilagroNode, b: MilagroNode, signal: AbortSignal): Promise<void> {
  const knows = async (x: MilagroNode, y: MilagroNode): Promise<void> => {
    // Listening before the check: an addition made while the check awaits is not missed (it was,
    // and the introduction then waited for an event already gone until its signal ended it).
    const added = on(x.directory, 'identity:added', { signal })
    try {
      if ((await x.directory.get(y.identity.cid))?.bound === true) return
      for await (const [entry] of added) {
        if ((entry as { identity: { cid: { equals: (c: unknown) => boolean } } }).identity.cid.equals(y.identity.cid)) return
      }
    } finally {
      await added.return?.()
    }
  }
  const waits = Promise.all([knows(a, b), knows(b, a)])
  // Handled at once: the waits can end (with the signal) while the dial is still in flight, and an
  // unhandled rejection would end the process there and then, skipping every teardown.
  waits.catch(() => {})
  // The connect error, if any, is the one to report; the waits then end with the signal.
  await a.connect(addrOf(b), { signal })
  await waits
}

export async function stopNodes (nodes: ReadonlyArray<MilagroNode | undefined>): Promise<void> {
  const results = await Promise.allSettled(nodes.map(async (n) => { await n?.stop() }))
  const failed = results.find((r) => r.status === 'rejected')
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
}

/** A node in a child process (node-child.ts), driven over stdin/stdout JSON lines. */
export interface ChildNode {
  readonly process: ChildProcessWithoutNullStreams
  /** Resolves with the first message whose key is `key` (bounded by `signal`). */
  next <T = unknown>(key: string, signal: AbortSignal): Promise<T>
  /** Every `sent` CID reported so far. */
  readonly sent: string[]
  command (line: string): void
  kill (signal: NodeJS.Signals): Promise<void>
}

const CHILD = fileURLToPath(new URL('./node-child.ts', import.meta.url))

/** SIGKILLs `child` if it is still running; resolves once it has exited. */
export async function killChild (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}

export function spawnChild (home: string, args: readonly string[] = []): ChildNode {
  const child = spawn(process.execPath, [CHILD, '--home', home, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  const untrack = track(`child node ${home}`, async () => { await killChild(child) })
  child.once('exit', untrack)
  const messages: Array<Record<string, unknown>> = []
  const waiters = new Set<() => void>()
  const sent: string[] = []
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<void>((resolve) => { child.once('exit', () => { resolve(); for (const w of waiters) w() }) })
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg: Record<string, unknown>
    try {
      msg = JSON.parse(line) as Record<string, unknown>
    } catch {
      return // not a protocol line
    }
    if (typeof msg.sent === 'string') sent.push(msg.sent)
    messages.push(msg)
    for (const w of waiters) w()
  })
  return {
    process: child,
    sent,
    async next<T> (key: string, signal: AbortSignal): Promise<T> {
      return await new Promise<T>((resolve, reject) => {
        const check = (): void => {
          const i = messages.findIndex((m) => key in m)
          if (i !== -1) {
            const [m] = messages.splice(i, 1)
            cleanup()
            resolve((m as Record<string, unknown>)[key] as T)
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup()
            reject(new Error(`child exited (${child.exitCode ?? child.signalCode}) before '${key}': ${stderr}`))
          }
        }
        const onAbort = (): void => { cleanup(); reject(new Error(`timed out waiting for '${key}' from the child; stderr: ${stderr}`)) }
        const cleanup = (): void => { waiters.delete(check); signal.removeEventListener('abort', onAbort) }
        waiters.add(check)
        signal.addEventListener('abort', onAbort, { once: true })
        check()
      })
    },
    command (line: string) { child.stdin.write(line + '\n') },
    async kill (sig: NodeJS.Signals) {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig)
      await exited
    }
  }
}
