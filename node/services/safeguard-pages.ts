// Cursor pagination of a node's deposits (GET /v1/safeguards), like the orders' (custody-pages.ts):
// oldest first by (creation time, id), the cursor naming the last deposit of a page, opaque to
// clients (base64url of `<created>:<deposit id>`).
import { depositIds, depositView, type DepositView } from '../../protocol/safeguard/queries.ts'
import type { SafeguardState } from '../../protocol/safeguard/state.ts'
import { InvalidRequestError } from './errors.ts'

export const DEFAULT_PAGE = 50
export const MAX_PAGE = 500

export interface DepositPage {
  readonly deposits: readonly DepositView[]
  /** Cursor of the next page, or null on the last page. */
  readonly next: string | null
}

function encodeCursor (view: DepositView): string {
  return Buffer.from(`${view.created}:${view.id.toString()}`).toString('base64url')
}

function decodeCursor (cursor: string): { created: number, id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const m = /^(\d{1,16}):([a-z0-9]{8,128})$/.exec(text)
  if (m === null || Buffer.from(text).toString('base64url') !== cursor) throw new InvalidRequestError('malformed cursor')
  return { created: Number(m[1]), id: m[2] as string }
}

export function pageOfDeposits (state: SafeguardState, page: { cursor?: string, limit?: number } = {}): DepositPage {
  const limit = page.limit ?? DEFAULT_PAGE
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new InvalidRequestError(`limit must be 1..${MAX_PAGE}`)
  const views = depositIds(state).map((id) => depositView(state, id) as DepositView)
  let start = 0
  if (page.cursor !== undefined) {
    const after = decodeCursor(page.cursor)
    start = views.findIndex((v) => v.created > after.created || (v.created === after.created && v.id.toString() > after.id))
    if (start === -1) start = views.length
  }
  const deposits = views.slice(start, start + limit)
  const last = deposits[deposits.length - 1]
  return { deposits, next: last !== undefined && start + limit < views.length ? encodeCursor(last) : null }
}
