// Cursor pagination of a node's orders (GET /v1/orders). Orders are listed oldest first by
// (creation time, id) — a total order that new orders only extend at their own time — and the
// cursor names the last order of a page, so a page boundary does not move when orders are added.
// The cursor is opaque to clients: base64url of `<created>:<order id>`.
import { orderIds, orderView, type CustodyState, type OrderView } from '../../protocol/custody/index.ts'
import { InvalidRequestError } from './errors.ts'

export const DEFAULT_PAGE = 50
export const MAX_PAGE = 500

export interface OrderPage {
  readonly orders: readonly OrderView[]
  /** Cursor of the next page, or null on the last page. */
  readonly next: string | null
}

function encodeCursor (view: OrderView): string {
  return Buffer.from(`${view.terms.created}:${view.id.toString()}`).toString('base64url')
}

function decodeCursor (cursor: string): { created: number, id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const m = /^(\d{1,16}):([a-z0-9]{8,128})$/.exec(text)
  if (m === null || Buffer.from(text).toString('base64url') !== cursor) throw new InvalidRequestError('malformed cursor')
  return { created: Number(m[1]), id: m[2] as string }
}

export function pageOfOrders (state: CustodyState, page: { cursor?: string, limit?: number } = {}): OrderPage {
  const limit = page.limit ?? DEFAULT_PAGE
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new InvalidRequestError(`limit must be 1..${MAX_PAGE}`)
  const views = orderIds(state).map((id) => orderView(state, id) as OrderView)
  let start = 0
  if (page.cursor !== undefined) {
    const after = decodeCursor(page.cursor)
    start = views.findIndex((v) => v.terms.created > after.created || (v.terms.created === after.created && v.id.toString() > after.id))
    if (start === -1) start = views.length
  }
  const orders = views.slice(start, start + limit)
  const last = orders[orders.length - 1]
  return { orders, next: last !== undefined && start + limit < views.length ? encodeCursor(last) : null }
}
