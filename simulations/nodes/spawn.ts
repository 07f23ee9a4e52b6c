// Drives custody-child.ts processes: spawn on a home, read its JSON lines, wait for a message,
// send a control request (control.ts) and wait for its reply, stop it cleanly or kill it. A
// NodeHost (host.ts) for simulations.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ControlRequest } from './control.ts'
import type { DownHow, NodeHost, Ready } from './host.ts'

export type { Ready } from './host.ts'

const CHILD = fileURLToPath(new URL('./custody-child.ts', import.meta.url))

export interface CustodyChildOptions {
  /** Node flags for the child (e.g. V8 heap limits), before the script. */
  readonly execArgv?: readonly string[]
}

export class CustodyChild implements NodeHost {
  readonly process: ChildProcessWithoutNullStreams
  readonly home: string
  readonly identities = new Set<string>()
  readonly #messages: Array<Record<string, unknown>> = []
  readonly #waiters = new Set<() => void>()
  #stderr = ''
  #requests = 0
  readonly #exited: Promise<void>

  readonly killable = true

  constructor (home: string, args: readonly string[] = [], options: CustodyChildOptions = {}) {
    this.home = home
    this.process = spawn(process.execPath, [...(options.execArgv ?? []), CHILD, '--home', home, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.process.stderr.on('data', (d: Buffer) => { this.#stderr += d.toString() })
    // A write to a child that was just killed fails with EPIPE; its exit is what callers observe.
    this.process.stdin.on('error', () => {})
    this.#exited = new Promise((resolve) => { this.process.once('exit', () => { resolve(); for (const w of this.#waiters) w() }) })
    createInterface({ input: this.process.stdout }).on('line', (line) => {
      let msg: Record<string, unknown>
      try {
        msg = JSON.parse(line) as Record<string, unknown>
      } catch {
        return
      }
      if (typeof msg.identity === 'string') this.identities.add(msg.identity)
      this.#messages.push(msg)
      for (const w of this.#waiters) w()
    })
  }

  get pid (): number | undefined {
    return this.process.pid
  }

  async ready (signal: AbortSignal): Promise<Ready> {
    return await this.next<Ready>('ready', signal)
  }

  onDown (listener: (how: DownHow) => void): void {
    this.process.once('exit', (code, sig) => {
      listener(sig === 'SIGKILL' ? 'killed' : sig === 'SIGTERM' || code === 0 ? 'stopped' : 'exited')
    })
  }

  /** Resolves with the first message that has `key` (bounded by `signal`). */
  async next<T> (key: string, signal: AbortSignal): Promise<T> {
    return await this.#until(() => {
      const i = this.#messages.findIndex((m) => key in m)
      return i === -1 ? undefined : (this.#messages.splice(i, 1)[0] as Record<string, unknown>)[key] as T
    }, `'${key}'`, signal)
  }

  /** Resolves once the child's directory knows every identity in `cids`. */
  async knows (cids: readonly string[], signal: AbortSignal): Promise<void> {
    await this.#until(() => cids.every((c) => this.identities.has(c)) ? true : undefined, `identities ${cids.join(', ')}`, signal)
  }

  /** Sends a control request and resolves with its result (rejects with the child's error text). */
  async control<T = unknown> (request: ControlRequest, signal: AbortSignal): Promise<T> {
    const id = ++this.#requests
    this.process.stdin.write(JSON.stringify({ id, ...request }) + '\n')
    const reply = await this.#until(() => {
      const i = this.#messages.findIndex((m) => (m.reply as { id?: unknown } | undefined)?.id === id)
      return i === -1 ? undefined : (this.#messages.splice(i, 1)[0] as { reply: { ok: boolean, result?: unknown, error?: string } }).reply
    }, `the reply to ${request.cmd}`, signal)
    if (!reply.ok) throw new Error(`control ${request.cmd} failed in the child: ${reply.error ?? ''}`)
    return reply.result as T
  }

  /** Whether the process has exited. */
  get exited (): boolean {
    return this.process.exitCode !== null || this.process.signalCode !== null
  }

  async #until<T> (found: () => T | undefined, what: string, signal: AbortSignal): Promise<T> {
    return await new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const v = found()
        if (v !== undefined) { cleanup(); resolve(v); return }
        if (this.process.exitCode !== null || this.process.signalCode !== null) { cleanup(); reject(new Error(`child exited before ${what}: ${this.#stderr}`)) }
      }
      const onAbort = (): void => { cleanup(); reject(new Error(`timed out waiting for ${what}; stderr: ${this.#stderr}`)) }
      const cleanup = (): void => { this.#waiters.delete(check); signal.removeEventListener('abort', onAbort) }
      this.#waiters.add(check)
      signal.addEventListener('abort', onAbort, { once: true })
      check()
    })
  }

  async stop (signal = AbortSignal.timeout(20_000)): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return
    this.process.stdin.write('stop\n')
    await Promise.race([this.#exited, new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(new Error('child did not stop')) }, { once: true }) })]).catch(async () => { await this.kill('SIGKILL') })
  }

  async kill (sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(sig)
    await this.#exited
  }
}
