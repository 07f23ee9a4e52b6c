// Test helper: raw HTTP calls to a node's REST API that keep every response body, so that tests
// can assert statuses and error names and scan all responses for secrets afterwards.
import { readApiToken } from '../../../node/api/token.ts'
import type { MpinNode } from '../services/mpin-harness.ts'

export interface Reply<T = any> {
  readonly status: number
  readonly json: T
}

export class Api {
  readonly url: string
  readonly #token: string
  /** Every response body this client received, as text. */
  readonly responses: string[]

  constructor (url: string, token: string, responses: string[]) {
    this.url = url
    this.#token = token
    this.responses = responses
  }

  static async of (n: MpinNode, responses: string[]): Promise<Api> {
    const api = n.services.api
    if (api === undefined) throw new Error('the node runs no API')
    return new Api(api.url, await readApiToken(n.node.home.paths.apiTokenPath), responses)
  }

  async call<T = any> (method: 'GET' | 'POST', path: string, body?: unknown, options: { token?: string | null } = {}): Promise<Reply<T>> {
    const token = options.token === undefined ? this.#token : options.token
    const res = await fetch(this.url + path, {
      method,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000)
    })
    const text = await res.text()
    this.responses.push(text)
    return { status: res.status, json: text === '' ? null : JSON.parse(text) }
  }

  /** The call's `[status, error name]` (error name '' on success). */
  async outcome (method: 'GET' | 'POST', path: string, body?: unknown, options: { token?: string | null } = {}): Promise<[number, string]> {
    const r = await this.call<{ error?: { name: string } }>(method, path, body, options)
    return [r.status, r.json?.error?.name ?? '']
  }
}
