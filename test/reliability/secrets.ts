// Looking for secrets where they must not be: every encoding a secret could take in a log line or
// an error message (hex either case, base64 with and without padding, base64url, a JSON byte array,
// a serialised Buffer or Uint8Array), searched by prefix so that a truncated print is found too.
import { readFile } from 'node:fs/promises'

export interface Secret {
  readonly what: string
  readonly value: Uint8Array | string
}

const PREFIX = 16

/** The strings whose presence in a text would reveal `s`. */
export function needles (s: Secret): string[] {
  if (typeof s.value === 'string') return [s.value]
  const b = Buffer.from(s.value)
  const bytes = [...s.value].slice(0, 8)
  return [
    b.toString('hex').slice(0, PREFIX),
    b.toString('hex').toUpperCase().slice(0, PREFIX),
    b.toString('base64').slice(0, PREFIX),
    b.toString('base64url').slice(0, PREFIX),
    `[${bytes.join(',')}`,
    `"data":[${bytes.join(',')}`,
    bytes.map((x, i) => `"${i}":${x}`).join(',')
  ]
}

export interface Leak { readonly secret: string, readonly where: string, readonly needle: string }

/** Every (secret, place) pair where a needle of the secret occurs in the text of that place. */
export function findLeaks (secrets: readonly Secret[], places: ReadonlyArray<{ readonly where: string, readonly text: string }>): Leak[] {
  const leaks: Leak[] = []
  for (const s of secrets) {
    for (const needle of needles(s)) {
      for (const p of places) if (p.text.includes(needle)) leaks.push({ secret: s.what, where: p.where, needle })
    }
  }
  return leaks
}

export async function readText (path: string): Promise<string> {
  return await readFile(path, 'utf8')
}
