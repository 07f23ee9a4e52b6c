// The admin socket: a Unix domain socket in the node home through which the operator (and
// `milagro admin`) talks to a running node. See protocol.ts for the wire format.
//
// Access control is the file system's: the socket is chmod 0600 right after it is bound, and it
// lives in the node home, which must be 0700 — so between bind and chmod no other user can reach it
// either, and no other user can unlink it and bind a socket of their own in its place. Only the
// node's own user (and root) can connect. The node sets the socket's mode itself (it created the
// socket), but it does not loosen or tighten the directory's: a directory accessible by group or
// others is refused at start (AdminSocketPermissionError), as a readable key file or API token is. A stale socket file left by a crashed
// node is removed at start; a socket some live node still answers on is refused
// (AdminSocketInUseError), so two nodes never share a home.
//
// Errors in a request never stop the node: each is answered with a typed error and the
// connection stays open (except after an oversized line, where the stream cannot be resynced).
import { chmod, rm, stat } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { dirname } from 'node:path'
import type { Logger } from 'pino'
import { AdminSocketInUseError, AdminSocketPermissionError, RequestTooLargeError } from './errors.ts'
import { encodeResponse, MAX_REQUEST_BYTES, parseRequest, requestId, type AdminCommand, type AdminRequest, type AdminResponse } from './protocol.ts'

export type AdminHandlers = { readonly [C in AdminCommand]: (request: AdminRequest) => Promise<unknown> }

export interface AdminServerInit {
  readonly socketPath: string
  readonly handlers: AdminHandlers
  readonly logger: Logger
}

export class AdminServer {
  readonly #init: AdminServerInit
  readonly #sockets = new Set<Socket>()
  #server: Server | undefined

  constructor (init: AdminServerInit) {
    this.#init = init
  }

  get socketPath (): string {
    return this.#init.socketPath
  }

  async start (): Promise<void> {
    if (this.#server !== undefined) return
    const path = this.#init.socketPath
    const dir = dirname(path)
    const mode = (await stat(dir)).mode & 0o777
    if ((mode & 0o077) !== 0) {
      throw new AdminSocketPermissionError(`refusing to open the admin socket: ${dir} is accessible by group or others (mode ${mode.toString(8)}); run 'chmod 700 ${dir}'`)
    }
    await removeStaleSocket(path)
    const server = createServer((socket) => { this.#serve(socket) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(path, () => { server.off('error', reject); resolve() })
    })
    try {
      await chmod(path, 0o600)
    } catch (err) {
      server.close()
      throw err
    }
    server.on('error', (err) => { this.#init.logger.error({ err }, 'admin socket error') })
    this.#server = server
    this.#init.logger.info({ socket: path }, 'admin socket listening')
  }

  async stop (): Promise<void> {
    const server = this.#server
    if (server === undefined) return
    this.#server = undefined
    const closed = new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    // end(), not destroy(): a reply being written (e.g. to `stop`) still reaches its client.
    for (const s of this.#sockets) {
      s.end()
      setTimeout(() => { s.destroy() }, 1_000).unref()
    }
    await closed
    await rm(this.#init.socketPath, { force: true })
  }

  #serve (socket: Socket): void {
    this.#sockets.add(socket)
    socket.setEncoding('utf8')
    let buffer = ''
    let chain = Promise.resolve()
    let refused = false
    const refuse = (): void => {
      refused = true
      buffer = ''
      const err = new RequestTooLargeError(`request line over ${MAX_REQUEST_BYTES} bytes`)
      chain = chain.then(() => { socket.end(encodeResponse({ ok: false, error: { name: err.name, message: err.message } })) })
    }
    socket.on('data', (chunk: string) => {
      if (refused) return
      buffer += chunk
      for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) { refuse(); return }
        if (line.trim().length === 0) continue
        // Requests on one connection are answered in order.
        chain = chain.then(async () => { await this.#answer(socket, line) })
      }
      if (Buffer.byteLength(buffer) > MAX_REQUEST_BYTES) refuse()
    })
    socket.on('error', (err) => { this.#init.logger.debug({ err }, 'admin connection error') })
    socket.on('close', () => { this.#sockets.delete(socket) })
  }

  async #answer (socket: Socket, line: string): Promise<void> {
    const response = await this.#handle(line)
    if (socket.destroyed) return
    await new Promise<void>((resolve) => { socket.write(encodeResponse(response), () => { resolve() }) })
    if (response.ok && (response as { result: { stopping?: boolean } }).result?.stopping === true) socket.end()
  }

  async #handle (line: string): Promise<AdminResponse> {
    const id = requestId(line)
    const withId = id === undefined ? {} : { id }
    let request: AdminRequest
    try {
      request = parseRequest(line)
    } catch (err) {
      const e = err as Error
      this.#init.logger.warn({ err: { name: e.name, message: e.message } }, 'malformed admin request')
      return { ...withId, ok: false, error: { name: e.name, message: e.message } }
    }
    try {
      const result = await this.#init.handlers[request.cmd](request)
      this.#init.logger.info({ cmd: request.cmd }, 'admin command')
      return { ...withId, ok: true, result: result ?? null }
    } catch (err) {
      const e = err as Error
      this.#init.logger.warn({ cmd: request.cmd, err: { name: e.name, message: e.message } }, 'admin command failed')
      return { ...withId, ok: false, error: { name: e.name ?? 'Error', message: e.message ?? String(err) } }
    }
  }
}

/** Removes a socket file nobody listens on; refuses one a live process answers on. */
async function removeStaleSocket (path: string): Promise<void> {
  const live = await new Promise<boolean>((resolve, reject) => {
    const probe = connect(path)
    probe.once('connect', () => { probe.destroy(); resolve(true) })
    probe.once('error', (err: NodeJS.ErrnoException) => {
      // No file, or a file nobody listens on (left by a crashed node): free to take.
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve(false)
      else reject(err)
    })
  })
  if (live) throw new AdminSocketInUseError(`another node is listening on ${path}`)
  await rm(path, { force: true })
}
