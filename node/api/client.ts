// A small client of the REST API (the CLI's `milagro order …`, tests, benches): bearer token,
// JSON in and out, errors as ApiCallError carrying the server's `{ error: { name, message } }`.
// Requests go through undici's `request` (kept-alive connections of its global agent) rather than
// `fetch`: the WHATWG layer (Request/Response/Headers objects, body streams) cost the bench client
// about twice the CPU per call for the same bytes on the wire.
import { request, type Dispatcher } from 'undici'
import type { z } from 'zod'
import { ApiCallError, ApiUnreachableError } from './errors.ts'
import type { Exported, Identity, Order, OrderPage, Status } from './schemas.ts'

export type OrderJson = z.infer<typeof Order>
export type OrderPageJson = z.infer<typeof OrderPage>
export type ExportedJson = z.infer<typeof Exported>
export type IdentityJson = z.infer<typeof Identity>
export type StatusJson = z.infer<typeof Status>

export interface ApiClientInit {
  /** e.g. http://127.0.0.1:4100 */
  readonly url: string
  readonly token: string
}

/** Connection-level failures: no HTTP exchange happened. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])

export class ApiClient {
  readonly #url: string
  readonly #token: string

  constructor (init: ApiClientInit) {
    this.#url = init.url.replace(/\/+$/, '')
    this.#token = init.token
  }

  async request<T> (method: 'GET' | 'POST', path: string, body?: unknown, options: { signal?: AbortSignal } = {}): Promise<T> {
    let res: Dispatcher.ResponseData | undefined
    for (let attempt = 0; res === undefined; attempt++) {
      try {
        res = await request(this.#url + path, {
          method,
          headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          ...(options.signal === undefined ? {} : { signal: options.signal })
        })
      } catch (err) {
        const code = (err as { code?: unknown }).code
        // A kept-alive connection the node closed (it restarted, say) fails the next request on
        // it: a GET is asked once more, on a new connection; anything else is not repeated.
        if (method === 'GET' && attempt === 0 && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')) continue
        throw this.#unreachable(err)
      }
    }
    const status = res.statusCode
    let text: string
    try {
      text = await res.body.text()
    } catch (err) {
      throw this.#unreachable(err) // the node went away while answering
    }
    let json: unknown
    try {
      json = text === '' ? null : JSON.parse(text)
    } catch (err) {
      throw new ApiCallError(status, 'MalformedResponseError', `the API answered ${status} with a body that is not JSON`, { cause: err })
    }
    if (status < 200 || status > 299) {
      const e = (json as { error?: { name?: unknown, message?: unknown } } | null)?.error
      const name = typeof e?.name === 'string' ? e.name : 'HttpError'
      const message = typeof e?.message === 'string' ? e.message : `HTTP ${status}`
      throw new ApiCallError(status, name, `${name}: ${message}`)
    }
    return json as T
  }

  /** A connection-level failure as ApiUnreachableError; anything else as it is. */
  #unreachable (err: unknown): unknown {
    const code = (err as { code?: unknown }).code
    if (typeof code !== 'string' || !UNREACHABLE.has(code)) return err
    return new ApiUnreachableError(this.#url, `cannot reach the API at ${this.#url} (${code}): is the node running, and is this its address?`, { cause: err })
  }

  async status (): Promise<StatusJson> { return await this.request('GET', '/v1/status') }
  async identity (): Promise<IdentityJson> { return await this.request('GET', '/v1/identity') }

  async createOrder (input: { beneficiary: string, fiduciary?: string, network?: string }): Promise<OrderJson> {
    return await this.request('POST', '/v1/orders', input)
  }

  async listOrders (page: { cursor?: string, limit?: number } = {}): Promise<OrderPageJson> {
    const q = new URLSearchParams()
    if (page.cursor !== undefined) q.set('cursor', page.cursor)
    if (page.limit !== undefined) q.set('limit', String(page.limit))
    const qs = q.toString()
    return await this.request('GET', `/v1/orders${qs === '' ? '' : `?${qs}`}`)
  }

  async order (id: string, wait?: { stage: 'published' | 'released' | 'redeemed', timeoutMs?: number }, options: { signal?: AbortSignal } = {}): Promise<OrderJson> {
    const q = wait === undefined ? '' : `?wait=${wait.stage}${wait.timeoutMs === undefined ? '' : `&timeoutMs=${wait.timeoutMs}`}`
    return await this.request('GET', `/v1/orders/${encodeURIComponent(id)}${q}`, undefined, options)
  }

  async release (id: string): Promise<OrderJson> {
    return await this.request('POST', `/v1/orders/${encodeURIComponent(id)}/release`, {})
  }

  async exportKey (id: string, format: 'wif' | 'hex', recipientKey: string): Promise<ExportedJson> {
    return await this.request('POST', `/v1/orders/${encodeURIComponent(id)}/export`, { format, recipientKey })
  }
}
