// The authentication-server role of the M-Pin service: two-pass M-Pin (M. Scott, "M-Pin: A
// Multi-Factor Zero Knowledge Authentication Protocol"; Milagro's MPIN_SERVER_1 / MPIN_SERVER_2)
// against the server secret s·Q this node holds (the sum of the D-TAs' shares, protocol/mpin).
//
//   pass 1   the client sends its M-Pin id and U = x·A (no time permit) or UT = x·(A + AT) (with
//            one); the server checks the point, draws its challenge y, and keeps the login
//            pending (mpin-challenges.ts: bounded, expiring, usable once). With a time permit the
//            date is the server's today, never the client's: a permit for another day fails.
//   pass 2   the client sends V = −(x + y)·(its secret); the server takes the pending login (a
//            replay, an expired or unknown challenge is a typed error) and checks
//            e(V, Q)·e(y·A' + U', s·Q) = 1 in the crypto pool. Accepted, or rejected with the
//            typed reason (BadPinError: wrong PIN, wrong token, wrong identity, wrong date, a V
//            for another challenge — the pairing cannot tell them apart).
//
// The server secret is read from the key store once per handle and kept in memory (and in the
// pool workers' caches) while the service runs: a verification must not cost a key-store read.
// Nothing here is written to the log: pending challenges live in memory only.
import {
  assertG1, BadPinError, hashId, randomScalar, wipe, type CryptoPool, type CurveName, type KeyStore, type MpinCurve
} from '../../crypto/index.ts'
import { dayOf } from '../../protocol/mpin/entitlement.ts'
import { isMpinId } from '../../protocol/mpin/messages.ts'
import { serverSecretOf } from '../../protocol/mpin/queries.ts'
import type { MpinState } from '../../protocol/mpin/state.ts'
import type { Logger } from '../logger.ts'
import { InvalidRequestError } from './errors.ts'
import { ChallengeStore } from './mpin-challenges.ts'
import { NoServerSecretError, TimePermitRequiredError } from './mpin-errors.ts'

type Options = { signal?: AbortSignal }

export interface AuthComponents {
  readonly pool: CryptoPool
  readonly keystore: KeyStore
  readonly state: () => MpinState
  readonly curve: (name: CurveName) => Promise<MpinCurve>
  readonly logger: Logger
}

export interface AuthInit {
  /** 'optional' (default): logins with or without a time permit; 'required': only with one. */
  readonly timePermits?: 'optional' | 'required'
  /** Lifetime of a pass-1 challenge (ms); default 30 s. */
  readonly challengeTtlMs?: number
  /** Challenges remembered at once; default 100,000. */
  readonly maxChallenges?: number
  readonly now: () => number
}

export interface Pass1Input {
  readonly curve: CurveName
  /** The M-Pin id (UTF-8 text, as the client hashed it). */
  readonly id: string
  readonly U?: Uint8Array
  readonly UT?: Uint8Array
}

export interface Pass1Result {
  readonly challenge: string
  /** The challenge y (a scalar, Milagro's encoding). */
  readonly y: Uint8Array
  /** When the challenge expires (ms since the epoch). */
  readonly expires: number
  /** The time-permit date the login is checked against; null without a time permit. */
  readonly date: number | null
}

export interface Pass2Result {
  readonly accepted: boolean
  readonly id: string
  readonly curve: CurveName
  readonly date: number | null
  /** Why it was rejected (BadPinError); null when accepted. */
  readonly error: { readonly name: string, readonly message: string } | null
}

interface Pending {
  readonly curve: CurveName
  readonly id: string
  readonly hashedId: Uint8Array
  readonly date: number
  readonly U?: Uint8Array
  readonly UT?: Uint8Array
  readonly y: Uint8Array
  /** Key-store handle of the server secret the login is checked against. */
  readonly server: string
}

export class AuthServer {
  readonly #c: AuthComponents
  readonly #timePermits: 'optional' | 'required'
  readonly #now: () => number
  readonly #challenges: ChallengeStore<Pending>
  readonly #secrets = new Map<string, Promise<Uint8Array>>()

  constructor (components: AuthComponents, init: AuthInit) {
    this.#c = components
    this.#timePermits = init.timePermits ?? 'optional'
    this.#now = init.now
    this.#challenges = new ChallengeStore({ now: init.now, ...(init.challengeTtlMs === undefined ? {} : { ttlMs: init.challengeTtlMs }), ...(init.maxChallenges === undefined ? {} : { max: init.maxChallenges }) })
  }

  /** Pending and recently answered challenges remembered now. */
  get challenges (): number {
    return this.#challenges.size
  }

  async pass1 (input: Pass1Input): Promise<Pass1Result> {
    const server = serverSecretOf(this.#c.state(), input.curve)
    if (server === undefined) throw new NoServerSecretError(`this node holds no ${input.curve} server secret: ask the D-TAs for one first`)
    if (!isMpinId(input.id)) throw new InvalidRequestError('id is not a valid M-Pin id')
    if ((input.U === undefined) === (input.UT === undefined)) throw new InvalidRequestError('pass 1 carries exactly one of U (no time permit) and UT (with a time permit)')
    if (input.UT === undefined && this.#timePermits === 'required') throw new TimePermitRequiredError()
    const curve = await this.#c.curve(input.curve)
    if (input.UT !== undefined) assertG1(curve, input.UT, 'UT')
    else assertG1(curve, input.U as Uint8Array, 'U')
    const y = randomScalar(curve)
    const date = input.UT === undefined ? 0 : dayOf(this.#now())
    const pending: Pending = {
      curve: input.curve,
      id: input.id,
      hashedId: hashId(curve, new TextEncoder().encode(input.id)),
      date,
      ...(input.UT === undefined ? { U: input.U as Uint8Array } : { UT: input.UT }),
      y,
      server: server.handle
    }
    const { id, expires } = this.#challenges.issue(pending)
    return { challenge: id, y, expires, date: date === 0 ? null : date }
  }

  async pass2 (challenge: string, V: Uint8Array, options: Options = {}): Promise<Pass2Result> {
    const p = this.#challenges.take(challenge)
    const serverSecret = await this.#secret(p.server, options)
    const base = { accepted: true, id: p.id, curve: p.curve, date: p.date === 0 ? null : p.date, error: null }
    try {
      await this.#c.pool.mpinVerify({
        curve: p.curve, serverSecret, hashedId: p.hashedId, date: p.date, y: p.y, V, ...(p.UT === undefined ? { U: p.U as Uint8Array } : { UT: p.UT })
      }, options)
      return base
    } catch (err) {
      if (!(err instanceof BadPinError)) throw err
      this.#c.logger.info({ id: p.id, curve: p.curve, date: p.date }, 'M-Pin login rejected')
      return { ...base, accepted: false, error: { name: err.name, message: err.message } }
    }
  }

  async #secret (handle: string, options: Options): Promise<Uint8Array> {
    let s = this.#secrets.get(handle)
    if (s === undefined) {
      s = this.#c.keystore.use(handle, (secret) => Uint8Array.from(secret), options)
      this.#secrets.set(handle, s)
      s.catch(() => { this.#secrets.delete(handle) })
    }
    return await s
  }

  /** Forgets every pending challenge and every server secret held in memory. */
  async stop (): Promise<void> {
    this.#challenges.clear()
    const secrets = [...this.#secrets.values()]
    this.#secrets.clear()
    for (const s of await Promise.allSettled(secrets)) if (s.status === 'fulfilled') wipe(s.value)
  }
}
