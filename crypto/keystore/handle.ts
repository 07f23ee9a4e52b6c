// Key handles: `ks1:<kind>:<id>`, id = 16 random bytes in unpadded base64url (22 characters,
// canonical encoding only). A handle says which kind of secret it names and nothing about the
// secret itself, so it is safe in logs and in the node's log. Every KeyStore method parses its
// handle argument here first (validate at the boundary).
import { randomBytes } from 'node:crypto'
import { InvalidHandleError } from './errors.ts'
import { SECRET_KINDS, type SecretKind } from './types.ts'

const HANDLE_RE = /^ks1:([a-z0-9-]{1,32}):([A-Za-z0-9_-]{22})$/

export interface ParsedHandle {
  readonly handle: string
  readonly kind: SecretKind
  readonly id: string
}

export function isSecretKind (kind: unknown): kind is SecretKind {
  return typeof kind === 'string' && (SECRET_KINDS as readonly string[]).includes(kind)
}

export function newHandle (kind: SecretKind): ParsedHandle {
  const id = randomBytes(16).toString('base64url')
  return { handle: `ks1:${kind}:${id}`, kind, id }
}

function tryParse (handle: string): ParsedHandle | undefined {
  const m = HANDLE_RE.exec(handle)
  const kind = m?.[1]
  const id = m?.[2]
  if (kind === undefined || id === undefined || !isSecretKind(kind)) return undefined
  // 22 base64url characters carry 132 bits: the last one must leave the 4 spare bits zero.
  if (Buffer.from(id, 'base64url').toString('base64url') !== id) return undefined
  return { handle, kind, id }
}

export function isHandle (handle: unknown): handle is string {
  return typeof handle === 'string' && tryParse(handle) !== undefined
}

/** Parses a handle or throws InvalidHandleError. Does not say whether it is stored. */
export function parseHandle (handle: unknown): ParsedHandle {
  if (typeof handle !== 'string') throw new InvalidHandleError('key handle must be a string')
  const parsed = tryParse(handle)
  if (parsed === undefined) throw new InvalidHandleError()
  return parsed
}
