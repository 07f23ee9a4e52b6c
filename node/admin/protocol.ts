// The admin socket's protocol: JSON lines over a Unix domain socket in the node home.
//
//   request   {"id"?: string|number, "cmd": "status"|"peers"|"connect"|"identity"|"log.head"|"checkpoint"|"stop", "addr"?: string}\n
//   response  {"id"?: …, "ok": true, "result": …}\n   or   {"id"?: …, "ok": false, "error": {"name": …, "message": …}}\n
//
// One response per request line, in order. `connect` needs `addr` (a multiaddr with /p2p/<peer id>
// or without). A line that is not JSON or not a request is answered with MalformedRequestError, an
// unknown command with UnknownCommandError; the connection stays usable. A line over
// MAX_REQUEST_BYTES is answered with RequestTooLargeError and the connection is closed.
import { z } from 'zod'
import { MalformedRequestError, UnknownCommandError } from './errors.ts'

export const ADMIN_COMMANDS = ['status', 'peers', 'connect', 'identity', 'log.head', 'checkpoint', 'stop'] as const
export type AdminCommand = typeof ADMIN_COMMANDS[number]
export const MAX_REQUEST_BYTES = 64 * 1024

const requestSchema = z.object({
  id: z.union([z.string().max(128), z.number().int()]).optional(),
  cmd: z.string().min(1).max(64),
  addr: z.string().min(1).max(1024).optional()
}).strict()

export interface AdminRequest {
  readonly id?: string | number
  readonly cmd: AdminCommand
  readonly addr?: string
}

export type AdminResponse =
  | { readonly id?: string | number, readonly ok: true, readonly result: unknown }
  | { readonly id?: string | number, readonly ok: false, readonly error: { readonly name: string, readonly message: string } }

/** The request's id, if a line carries a usable one (so even an error reply can echo it). */
export function requestId (line: string): string | number | undefined {
  try {
    const v = JSON.parse(line) as { id?: unknown }
    return typeof v?.id === 'string' || (typeof v?.id === 'number' && Number.isInteger(v.id)) ? v.id : undefined
  } catch {
    return undefined // not JSON: the reply is MalformedRequestError without an id
  }
}

export function parseRequest (line: string): AdminRequest {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (err) {
    throw new MalformedRequestError(`request is not JSON: ${(err as Error).message}`, { cause: err })
  }
  const parsed = requestSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue === undefined || issue.path.length === 0 ? 'request' : issue.path.join('.')
    throw new MalformedRequestError(`${where}: ${issue?.message ?? 'invalid'}`)
  }
  const r = parsed.data
  if (!(ADMIN_COMMANDS as readonly string[]).includes(r.cmd)) {
    throw new UnknownCommandError(`unknown command '${r.cmd}' (commands: ${ADMIN_COMMANDS.join(', ')})`)
  }
  if (r.cmd === 'connect' && r.addr === undefined) throw new MalformedRequestError('connect needs addr (a multiaddr)')
  if (r.cmd !== 'connect' && r.addr !== undefined) throw new MalformedRequestError(`${r.cmd} takes no addr`)
  return { ...(r.id === undefined ? {} : { id: r.id }), cmd: r.cmd as AdminCommand, ...(r.addr === undefined ? {} : { addr: r.addr }) }
}

export function encodeResponse (response: AdminResponse): string {
  return JSON.stringify(response) + '\n'
}
