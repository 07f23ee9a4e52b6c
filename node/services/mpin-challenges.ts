// The authentication server's pending pass-1 challenges: bounded, expiring, each usable once.
//
// `issue(login)` stores what pass 1 committed to (the client's U or UT, the hashed id, the date,
// the server's challenge y) under a fresh random id, valid for `ttlMs`. `take(id)` hands it out
// exactly once:
//   UnknownChallengeError   no such id (never issued, or forgotten)
//   ChallengeUsedError      already taken: a replayed pass 2
//   ChallengeExpiredError   taken after its lifetime (it is spent all the same)
// An entry is remembered (pending or spent) for two lifetimes after it was issued, so that a
// replay or a late answer within that window gets the precise error; then it is forgotten.
// At most `max` entries are remembered: beyond, `issue` refuses with TooManyChallengesError
// (a flood of pass 1s cannot grow the server's memory). Entries are kept in issue order, and the
// lifetime is the same for all, so forgetting is a sweep from the front: O(1) amortised.
//
// In memory only: a restart forgets every pending challenge (clients start again at pass 1),
// which keeps the log free of per-login entries and cannot make a challenge usable twice.
import { randomBytes } from 'node:crypto'
import { ChallengeExpiredError, ChallengeUsedError, TooManyChallengesError, UnknownChallengeError } from './mpin-errors.ts'

export interface ChallengeStoreInit {
  /** Lifetime of a challenge (ms); default 30 s. */
  readonly ttlMs?: number
  /** Challenges remembered at once (pending and recently spent); default 100,000. */
  readonly max?: number
  /** Clock (ms since the epoch); injectable for tests. */
  readonly now?: () => number
}

interface Entry<T> {
  readonly value: T
  readonly expires: number
  readonly forget: number
  used: boolean
}

export class ChallengeStore<T> {
  readonly ttlMs: number
  readonly max: number
  readonly #now: () => number
  readonly #entries = new Map<string, Entry<T>>()

  constructor (init: ChallengeStoreInit = {}) {
    this.ttlMs = init.ttlMs ?? 30_000
    this.max = init.max ?? 100_000
    this.#now = init.now ?? Date.now
    if (!Number.isSafeInteger(this.ttlMs) || this.ttlMs < 1) throw new RangeError('ttlMs must be a positive integer')
    if (!Number.isSafeInteger(this.max) || this.max < 1) throw new RangeError('max must be a positive integer')
  }

  /** Challenges remembered now (pending or recently spent). */
  get size (): number {
    this.#sweep(this.#now())
    return this.#entries.size
  }

  /** Stores `value` under a fresh id; returns the id and when it expires (ms since the epoch). */
  issue (value: T): { readonly id: string, readonly expires: number } {
    const now = this.#now()
    this.#sweep(now)
    if (this.#entries.size >= this.max) throw new TooManyChallengesError()
    const id = randomBytes(16).toString('base64url')
    const expires = now + this.ttlMs
    this.#entries.set(id, { value, expires, forget: now + 2 * this.ttlMs, used: false })
    return { id, expires }
  }

  /** The value of challenge `id`, once (see the file header for the errors). */
  take (id: string): T {
    const now = this.#now()
    this.#sweep(now)
    const e = this.#entries.get(id)
    if (e === undefined) throw new UnknownChallengeError()
    if (e.used) throw new ChallengeUsedError()
    e.used = true
    if (now >= e.expires) throw new ChallengeExpiredError()
    return e.value
  }

  clear (): void {
    this.#entries.clear()
  }

  #sweep (now: number): void {
    for (const [id, e] of this.#entries) {
      if (e.forget > now) return
      this.#entries.delete(id)
    }
  }
}
