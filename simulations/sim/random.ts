// The simulation's seeded randomness: xoshiro128** (Blackman & Vigna) seeded through SplitMix32
// from a 32-bit seed. Everything `milagro sim` chooses — roles, order parties, which faults, on
// which nodes, when and for how long — comes from one of these, so a seed names a run (timing
// aside). Not for cryptography: node keys come from the system's CSPRNG as always.

export class SeededRandom {
  readonly #s: Uint32Array

  constructor (seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError('the seed must be an integer')
    let x = seed >>> 0
    const next = (): number => {
      // SplitMix32: spreads any seed (0 included) over the four words of state.
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#s = Uint32Array.of(next(), next(), next(), next())
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32 (): number {
    const s = this.#s
    const result = Math.imul(rotl(Math.imul(s[1] as number, 5), 7), 9) >>> 0
    const t = (s[1] as number) << 9
    s[2] = (s[2] as number) ^ (s[0] as number)
    s[3] = (s[3] as number) ^ (s[1] as number)
    s[1] = (s[1] as number) ^ (s[2] as number)
    s[0] = (s[0] as number) ^ (s[3] as number)
    s[2] = (s[2] as number) ^ t
    s[3] = rotl(s[3] as number, 11)
    return result
  }

  /** A uniform float in [0, 1). */
  next (): number {
    return this.nextUint32() / 2 ** 32
  }

  /** A uniform integer in [min, max] (inclusive). */
  int (min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) throw new RangeError(`bad integer range [${min}, ${max}]`)
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** One element of a non-empty list. */
  pick<T> (items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list')
    return items[this.int(0, items.length - 1)] as T
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T> (items: readonly T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i)
      const tmp = out[i] as T
      out[i] = out[j] as T
      out[j] = tmp
    }
    return out
  }
}

function rotl (x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
