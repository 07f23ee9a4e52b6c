// A node in a child process, driven over JSON lines (crash-child.ts): wait for a message, send a
// command, see how it ended (exit code or signal) and what it wrote on stderr. Each process is
// registered with ../teardown.ts as it is spawned: SIGKILLed at the end of the test file if a
// failed test left it running.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'
import { track } from '../teardown.ts'

export interface Ready {
  readonly identity: string
  readonly peerId: string
  readonly addr: string
  readonly api: string
}

export interface Exit { readonly code: number | null, readonly signal: NodeJS.Signals | null }

export class NodeProcess {
  readonly process: ChildProcessWithoutNullStreams
  readonly home: string
  readonly identities = new Set<string>()
  readonly exited: Promise<Exit>
  readonly #messages: Array<Record<string, unknown>> = []
  readonly #waiters = new Set<() => void>()
  #stderr = ''

  constructor (script: string, home: string, args: readonly string[] = [], env: Readonly<Record<string, string>> = {}) {
    this.home = home
    this.process = spawn(process.execPath, [script, '--home', home, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    this.process.stderr.on('data', (d: Buffer) => { this.#stderr += d.toString() })
    this.process.stdin.on('error', () => {}) // a command written as the child dies
    const untrack = track(`child process ${script} --home ${home}`, async () => { await this.kill('SIGKILL') })
    this.process.once('exit', untrack)
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => { resolve({ code, signal }); for (const w of this.#waiters) w() })
    })
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

  get stderr (): string {
    return this.#stderr
  }

  get running (): boolean {
    return this.process.exitCode === null && this.process.signalCode === null
  }

  /** The crash point the child reported before dying (storage/crash-point.ts), if any. */
  get crashedAt (): string | undefined {
    return /crash-point (\S+)/.exec(this.#stderr)?.[1]
  }

  command (line: string): void {
    if (this.running) this.process.stdin.write(line + '\n')
  }

  /** Resolves with the first message that has `key` (bounded by `signal`). */
  async next<T> (key: string, signal: AbortSignal): Promise<T> {
    return await this.#until(() => {
      const i = this.#messages.findIndex((m) => key in m)
      return i === -1 ? undefined : { v: (this.#messages.splice(i, 1)[0] as Record<string, unknown>)[key] as T }
    }, `'${key}'`, signal).then((r) => r.v)
  }

  /** Resolves once the child's directory knows every identity in `cids`. */
  async knows (cids: readonly string[], signal: AbortSignal): Promise<void> {
    await this.#until(() => cids.every((c) => this.identities.has(c)) ? true : undefined, `identities ${cids.join(', ')}`, signal)
  }

  async #until<T> (found: () => T | undefined, what: string, signal: AbortSignal): Promise<T> {
    return await new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const v = found()
        if (v !== undefined) { cleanup(); resolve(v); return }
        if (!this.running) { cleanup(); reject(new Error(`child exited before ${what}: ${this.#stderr}`)) }
      }
      const onAbort = (): void => { cleanup(); reject(new Error(`timed out waiting for ${what}; stderr: ${this.#stderr}`)) }
      const cleanup = (): void => { this.#waiters.delete(check); signal.removeEventListener('abort', onAbort) }
      this.#waiters.add(check)
      signal.addEventListener('abort', onAbort, { once: true })
      check()
    })
  }

  /** Clean stop (stdin `stop`); SIGKILL if it has not exited within 20 s. */
  async stop (): Promise<Exit> {
    if (!this.running) return await this.exited
    this.command('stop')
    const timer = setTimeout(() => { this.process.kill('SIGKILL') }, 20_000)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  async kill (sig: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.running) this.process.kill(sig)
    return await this.exited
  }
}
