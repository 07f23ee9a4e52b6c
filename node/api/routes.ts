// The REST API's routes under /v1: one table, from which the server registers handlers and
// validates requests (zod) and openapi.ts writes the OpenAPI document. Every route but health
// needs the bearer token.
import type { z } from 'zod'
import { fromHex, type SecretKeyFormat } from '../../crypto/index.ts'
import { UnknownOrderError } from '../../protocol/custody/index.ts'
import { UnknownIdentityError } from '../../protocol/errors.ts'
import type { MilagroNode } from '../node.ts'
import type { CustodyService } from '../services/custody.ts'
import { ServiceStoppedError } from '../services/errors.ts'
import { ValidationError } from './errors.ts'
import { pageOf, parseCid, untilStage } from './routes-common.ts'
import {
  CreateOrderBody, EmptyBody, Exported, ExportBody, Health, Identity, IdentityParams, ListOrdersQuery, Order, OrderIdParams,
  OrderPage, OrderQuery, Status
} from './schemas.ts'
import { exportedJson, identityJson, orderJson, reached } from './views.ts'

export interface RouteContext {
  readonly node: MilagroNode
  readonly custody: () => CustodyService | undefined
}

export interface RouteInput {
  readonly params: unknown
  readonly query: unknown
  readonly body: unknown
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal
}

export interface Route {
  readonly method: 'GET' | 'POST'
  /** Fastify path syntax (`/v1/orders/:id`). */
  readonly url: string
  readonly operationId: string
  readonly summary: string
  readonly auth: boolean
  readonly params?: z.ZodType
  readonly query?: z.ZodType
  readonly body?: z.ZodType
  /** Largest request body in bytes, when a route needs more than the server's default (64 KiB). */
  readonly bodyLimit?: number
  readonly status: number
  readonly response: z.ZodType
  /** Error statuses this route documents (besides 401 and 500). */
  readonly errors: readonly number[]
  readonly handler: (input: RouteInput, ctx: RouteContext) => Promise<unknown>
}

function custodyOf (ctx: RouteContext): CustodyService {
  const c = ctx.custody()
  if (c === undefined) throw new ServiceStoppedError('the custody service is not running')
  return c
}

/** `schema.parse` with the first issue as a ValidationError naming the field. */
export function validate<S extends z.ZodType> (schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value ?? {})
  if (r.success) return r.data
  const issue = r.error.issues[0]
  const path = issue === undefined || issue.path.length === 0 ? where : `${where}.${issue.path.map(String).join('.')}`
  throw new ValidationError(`${path}: ${issue?.message ?? 'invalid'}`)
}

const route = (r: Route): Route => r

export const ROUTES: readonly Route[] = [
  route({
    method: 'GET', url: '/v1/health', operationId: 'health', summary: 'Liveness (no authentication)', auth: false, status: 200, response: Health, errors: [],
    handler: async () => ({ ok: true })
  }),
  route({
    method: 'GET', url: '/v1/status', operationId: 'status', summary: 'Node status: identity, peers, log head, orders per role and stage', auth: true, status: 200, response: Status, errors: [],
    handler: async (_input, ctx) => {
      const { node } = ctx
      const p = node.parts
      const head = p.log.head
      const custody = custodyOf(ctx)
      return {
        name: node.home.config.name,
        identity: node.identity.cid.toString(),
        peerId: p.libp2p.peerId.toString(),
        uptimeMs: Date.now() - node.startedAt,
        peers: p.libp2p.getPeers().length,
        log: head === undefined ? null : { seq: head.seq, cid: head.cid.toString() },
        keystore: node.home.config.keystore.backend,
        network: custody.network,
        orders: custody.summary()
      }
    }
  }),
  route({
    method: 'GET', url: '/v1/identity', operationId: 'identity', summary: 'This node\'s identity document (public keys only)', auth: true, status: 200, response: Identity, errors: [],
    handler: async (_input, ctx) => identityJson(ctx.node.identity)
  }),
  route({
    method: 'GET', url: '/v1/identities/:cid', operationId: 'getIdentity', summary: 'A verified identity document this node knows', auth: true, params: IdentityParams, status: 200, response: Identity, errors: [400, 404],
    handler: async ({ params }, ctx) => {
      const cid = parseCid((params as z.infer<typeof IdentityParams>).cid, 'cid')
      if (cid.equals(ctx.node.identity.cid)) return identityJson(ctx.node.identity)
      const entry = await ctx.node.directory.get(cid)
      if (entry === undefined) throw new UnknownIdentityError(`identity ${cid.toString()} is not known to this node`)
      return identityJson(entry.identity)
    }
  }),
  route({
    method: 'POST', url: '/v1/orders', operationId: 'createOrder', summary: 'Create a custody order as its principal', auth: true, body: CreateOrderBody, status: 201, response: Order, errors: [400, 403, 404, 409],
    handler: async ({ body, signal }, ctx) => {
      const b = body as z.infer<typeof CreateOrderBody>
      const view = await custodyOf(ctx).createOrder({
        beneficiary: parseCid(b.beneficiary, 'beneficiary'),
        ...(b.fiduciary === undefined ? {} : { fiduciary: parseCid(b.fiduciary, 'fiduciary') }),
        ...(b.network === undefined ? {} : { network: b.network })
      }, { signal })
      return orderJson(view)
    }
  }),
  route({
    method: 'GET', url: '/v1/orders', operationId: 'listOrders', summary: 'Orders this node plays a role in, oldest first, by pages', auth: true, query: ListOrdersQuery, status: 200, response: OrderPage, errors: [400],
    handler: async ({ query }, ctx) => {
      const page = custodyOf(ctx).orders(pageOf(query as z.infer<typeof ListOrdersQuery>))
      return { orders: page.orders.map(orderJson), next: page.next }
    }
  }),
  route({
    method: 'GET', url: '/v1/orders/:id', operationId: 'getOrder', summary: 'One order; with `wait`, answers once it reaches that stage or the timeout passes', auth: true, params: OrderIdParams, query: OrderQuery, status: 200, response: Order, errors: [400, 404],
    handler: async ({ params, query, signal }, ctx) => {
      const id = parseCid((params as z.infer<typeof OrderIdParams>).id, 'id')
      const q = query as z.infer<typeof OrderQuery>
      const custody = custodyOf(ctx)
      const now = custody.order(id)
      if (now === undefined) throw new UnknownOrderError(`order ${id.toString()} is not known to this node`)
      const stage = q.wait
      return orderJson(await untilStage({
        now,
        reached: stage === undefined ? undefined : (v) => reached(v, stage),
        waitFor: async (until, options) => await custody.waitFor(id, until, options),
        current: () => custody.order(id) ?? now,
        timeoutMs: q.timeoutMs,
        signal
      }))
    }
  }),
  route({
    method: 'POST', url: '/v1/orders/:id/release', operationId: 'releaseOrder', summary: 'Ask the fiduciary to release its share to the beneficiary (principal only; idempotent)', auth: true, params: OrderIdParams, body: EmptyBody, status: 202, response: Order, errors: [400, 404, 409],
    handler: async ({ params, signal }, ctx) => {
      const id = parseCid((params as z.infer<typeof OrderIdParams>).id, 'id')
      return orderJson(await custodyOf(ctx).requestRelease(id, { signal }))
    }
  }),
  route({
    method: 'POST', url: '/v1/orders/:id/export', operationId: 'exportKey', summary: 'Export the redeemed wallet key, sealed to the caller\'s X25519 key (beneficiary only)', auth: true, params: OrderIdParams, body: ExportBody, status: 200, response: Exported, errors: [400, 403, 404, 409],
    handler: async ({ params, body, signal }, ctx) => {
      const id = parseCid((params as z.infer<typeof OrderIdParams>).id, 'id')
      const b = body as z.infer<typeof ExportBody>
      return exportedJson(await custodyOf(ctx).exportKey(id, b.format as SecretKeyFormat, fromHex(b.recipientKey), { signal }))
    }
  })
]

