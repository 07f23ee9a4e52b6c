// Per-peer token buckets: each peer may submit `perSecond` envelopes per second on average, in
// bursts of up to `burst`. A bucket that runs dry refuses the excess (the sender's outbox keeps
// those envelopes and retries after its backoff), so one peer cannot monopolise verification.
export interface RateLimit {
  readonly perSecond: number
  readonly burst: number
}

interface Bucket { tokens: number, at: number }

export class PeerRateLimiter {
  readonly #limit: RateLimit
  readonly #buckets = new Map<string, Bucket>()
  readonly #now: () => number

  constructor (limit: RateLimit, now: () => number = () => performance.now()) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) throw new RangeError('rate limit needs perSecond > 0 and burst >= 1')
    this.#limit = limit
    this.#now = now
  }

  /** Takes up to `n` tokens for `peer`; returns how many were granted (0..n). */
  take (peer: string, n: number): number {
    const now = this.#now()
    const b = this.#buckets.get(peer) ?? { tokens: this.#limit.burst, at: now }
    b.tokens = Math.min(this.#limit.burst, b.tokens + ((now - b.at) / 1000) * this.#limit.perSecond)
    b.at = now
    const granted = Math.max(0, Math.min(n, Math.floor(b.tokens)))
    b.tokens -= granted
    this.#buckets.set(peer, b)
    if (this.#buckets.size > 4096) this.#evictFull(now)
    return granted
  }

  /** Forgets buckets that have refilled completely (they carry no information). */
  #evictFull (now: number): void {
    for (const [peer, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.#limit.perSecond >= this.#limit.burst) this.#buckets.delete(peer)
    }
  }
}
