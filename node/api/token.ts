// The REST API's bearer token: 32 random bytes, base64url, in `<home>/api-token` (mode 0600),
// created by `milagro init`. Whoever can read that file can drive the node through the API (create
// orders, request releases, export redeemed keys), so it is refused when group or others can read it.
// Comparison is constant-time on the token's SHA-256 (lengths are not secret).
import { stat, readFile } from 'node:fs/promises'
import { createHash, timingSafeEqual } from 'node:crypto'
import { randomBytes } from '../../crypto/index.ts'
import { exists, writeFileAtomic } from '../fs.ts'
import { ApiTokenError } from './errors.ts'

export const API_TOKEN_FILE = 'api-token'
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/

export function newApiToken (): string {
  return Buffer.from(randomBytes(32)).toString('base64url')
}

/** Writes a fresh token to `path` (mode 0600) and returns it. */
export async function createApiToken (path: string): Promise<string> {
  const token = newApiToken()
  await writeFileAtomic(path, token + '\n', 0o600)
  return token
}

/** Reads the token; ApiTokenError if it is missing, malformed or readable by group/others. */
export async function readApiToken (path: string): Promise<string> {
  let mode: number
  try {
    mode = (await stat(path)).mode
  } catch (err) {
    throw new ApiTokenError(`cannot read the API token at ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}); it is created by 'milagro init'`, { cause: err })
  }
  if ((mode & 0o077) !== 0) throw new ApiTokenError(`${path} is accessible by group or others (mode ${(mode & 0o777).toString(8)}); run 'chmod 600 ${path}'`)
  const token = (await readFile(path, 'utf8')).trim()
  if (!TOKEN_PATTERN.test(token)) throw new ApiTokenError(`${path} does not hold an API token`)
  return token
}

/** The token at `path`, created if the home predates API tokens. */
export async function ensureApiToken (path: string): Promise<string> {
  return await exists(path) ? await readApiToken(path) : await createApiToken(path)
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** Constant-time check of a presented token against the expected one. */
export function tokenMatches (expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented))
}
