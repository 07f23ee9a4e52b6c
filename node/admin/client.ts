// The admin socket's client (used by `milagro admin`): one request, one response.
import { connect } from 'node:net'
import { AdminCommandError, AdminUnavailableError, MalformedRequestError } from './errors.ts'
import type { AdminCommand, AdminResponse } from './protocol.ts'

export interface AdminCall {
  readonly cmd: AdminCommand
  readonly addr?: string
}

/** Sends one request and returns the raw response (`ok: false` included). */
export async function adminRequest (socketPath: string, call: AdminCall, options: { signal?: AbortSignal } = {}): Promise<AdminResponse> {
  const signal = options.signal ?? AbortSignal.timeout(30_000)
  signal.throwIfAborted()
  return await new Promise<AdminResponse>((resolve, reject) => {
    const socket = connect(socketPath)
    let buffer = ''
    const onAbort = (): void => { socket.destroy(); reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    const done = (): void => { signal.removeEventListener('abort', onAbort) }
    socket.setEncoding('utf8')
    socket.once('connect', () => { socket.write(JSON.stringify(call) + '\n') })
    socket.on('data', (chunk: string) => {
      buffer += chunk
      const nl = buffer.indexOf('\n')
      if (nl === -1) return
      done()
      socket.end()
      try {
        resolve(JSON.parse(buffer.slice(0, nl)) as AdminResponse)
      } catch (err) {
        reject(new MalformedRequestError('the node sent a reply that is not JSON', { cause: err }))
      }
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      done()
      const why = err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
        ? `no node is running with admin socket ${socketPath}`
        : err.code === 'EACCES' ? `permission denied on ${socketPath} (run as the node's user)` : err.message
      reject(new AdminUnavailableError(why, { cause: err }))
    })
    socket.once('end', () => {
      if (buffer.indexOf('\n') === -1) { done(); reject(new AdminUnavailableError('the node closed the admin connection without replying')) }
    })
  })
}

/** Sends one request and returns its result, throwing AdminCommandError for an error reply. */
export async function adminCall (socketPath: string, call: AdminCall, options: { signal?: AbortSignal } = {}): Promise<unknown> {
  const response = await adminRequest(socketPath, call, options)
  if (!response.ok) throw new AdminCommandError(response.error.name, `${response.error.name}: ${response.error.message}`)
  return response.result
}
