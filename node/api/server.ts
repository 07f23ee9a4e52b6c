// The REST API server (fastify) under /v1: bearer-token authentication on every route but
// health, requests validated by the route table's zod schemas, errors as JSON
// `{ error: { name, message } }` with the status of status.ts, and the OpenAPI document generated
// from the same table at /v1/openapi.json.
//
// The token is `<home>/api-token` (0600). Listen on loopback (the default, config.api): the API
// is plain HTTP; put a TLS-terminating proxy in front to expose it. No response carries a secret:
// an exported key comes back HPKE-sealed to a key the caller chose (node/services/custody-export.ts).
import { readFileSync } from 'node:fs'
import { fastify, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Logger } from '../logger.ts'
import type { MilagroNode, NodeService } from '../node.ts'
import type { CustodyService } from '../services/custody.ts'
import { NotFoundError, UnauthenticatedError } from './errors.ts'
import { openApiDocument } from './openapi.ts'
import { ROUTES, validate, type Route } from './routes.ts'
import { httpError } from './status.ts'
import { ensureApiToken, tokenMatches } from './token.ts'

export interface ApiInit {
  readonly host: string
  /** 0 picks a free port (see `address`). */
  readonly port: number
  readonly tokenPath: string
}

export interface ApiComponents {
  readonly node: MilagroNode
  readonly custody: () => CustodyService | undefined
  /** Routes registered after the table of routes.ts (the M-Pin routes, node/api/mpin-routes.ts). */
  readonly routes?: readonly Route[]
  readonly logger: Logger
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string, description: string }

declare module 'fastify' {
  interface FastifyContextConfig { auth?: boolean }
}

export class ApiServer implements NodeService {
  readonly #c: ApiComponents
  readonly #init: ApiInit
  #app: FastifyInstance | undefined
  #document: unknown

  constructor (components: ApiComponents, init: ApiInit) {
    this.#c = components
    this.#init = init
  }

  /** Where the server listens (after start). */
  get address (): { readonly host: string, readonly port: number } {
    const a = this.#app?.server.address()
    if (a === undefined || a === null || typeof a === 'string') throw new Error('the API server is not listening')
    return { host: a.address, port: a.port }
  }

  get url (): string {
    const { host, port } = this.address
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  }

  async start (): Promise<void> {
    if (this.#app !== undefined) return
    const token = await ensureApiToken(this.#init.tokenPath)
    const logger = this.#c.logger
    const app = fastify({
      logger: false,
      bodyLimit: 64 * 1024,
      forceCloseConnections: true,
      return503OnClosing: true,
      // Errors fastify raises before routing (a URL that does not decode) get the API's error shape too.
      frameworkErrors: (err, _req, reply) => {
        const h = httpError(err)
        void (reply as FastifyReply).code(h.status).send({ error: { name: h.name, message: h.message } })
      }
    })
    const routes = [...ROUTES, ...(this.#c.routes ?? [])]
    this.#document = openApiDocument(routes, pkg)

    app.addHook('onRequest', async (req: FastifyRequest) => {
      if (req.routeOptions.config.auth === false) return
      const header = req.headers.authorization
      const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined
      if (presented === undefined || !tokenMatches(token, presented)) throw new UnauthenticatedError()
    })
    app.setErrorHandler(async (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
      const h = httpError(err)
      if (h.status >= 500) logger.error({ err, method: req.method, url: req.url }, 'API request failed')
      if (h.status === 401) void reply.header('www-authenticate', 'Bearer')
      return await reply.code(h.status).send({ error: { name: h.name, message: h.message } })
    })
    app.setNotFoundHandler(async (req: FastifyRequest) => {
      throw new NotFoundError(`no route ${req.method} ${req.url.split('?')[0] ?? ''}`)
    })
    for (const r of routes) this.#register(app, r)
    app.get('/v1/openapi.json', async () => this.#document)
    // Prometheus scrape endpoint (bearer token like every route but health).
    app.get('/metrics', async (_req: FastifyRequest, reply: FastifyReply) => {
      const m = await this.#c.node.metrics.text()
      return await reply.type(m.contentType).send(m.body)
    })

    await app.listen({ host: this.#init.host, port: this.#init.port })
    this.#app = app
    logger.info({ url: this.url }, 'REST API listening')
  }

  async stop (): Promise<void> {
    const app = this.#app
    if (app === undefined) return
    this.#app = undefined
    await app.close()
  }

  #register (app: FastifyInstance, r: Route): void {
    const ctx = { node: this.#c.node, custody: this.#c.custody }
    app.route({
      method: r.method,
      url: r.url,
      config: { auth: r.auth },
      ...(r.bodyLimit === undefined ? {} : { bodyLimit: r.bodyLimit }),
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const params = r.params === undefined ? {} : validate(r.params, req.params, 'params')
        const query = r.query === undefined ? {} : validate(r.query, req.query, 'query')
        const body = r.body === undefined ? undefined : validate(r.body, req.body, 'body')
        const abort = new AbortController()
        const onClose = (): void => { if (!reply.raw.writableFinished) abort.abort(new Error('client closed the connection')) }
        reply.raw.once('close', onClose)
        try {
          const result = await r.handler({ params, query, body, signal: abort.signal }, ctx)
          return await reply.code(r.status).send(result)
        } finally {
          reply.raw.off('close', onClose)
        }
      }
    })
  }
}
