// The REST API's threshold-custody routes, under /v1/threshold: create a t-of-n order as its
// principal, list and show orders (with `wait`), ask for the release, refresh or re-share the
// shares, derive receiving addresses (non-hardened BIP-32 children of the wallet key), and read the
// redeemed wallet key — or a child's — back sealed to the caller's key. Same conventions as
// routes.ts — bearer token, zod schemas that validate the request and describe it in the OpenAPI
// document, typed errors with the statuses of status.ts — registered by the server next to its own
// table (ApiComponents.routes).
//
// No response carries a share, a key or a key-store handle: the wallet key comes back
// HPKE-sealed to a key the caller chose (node/services/custody-export.ts, info
// "milagro/custody/export/v1", aad = the order id's CID bytes).
import { z } from 'zod'
import type { CID } from 'multiformats/cid'
import { fromHex, toHex, type SecretKeyFormat } from '../../crypto/index.ts'
import { UnknownOrderError } from '../../protocol/threshold/errors.ts'
import { MAX_FIDUCIARIES, MAX_PHASE_MS, MIN_PHASE_MS } from '../../protocol/threshold/messages.ts'
import type { ThresholdOrderView } from '../../protocol/threshold/queries.ts'
import type { ThresholdService } from '../services/threshold.ts'
import { listQuery, pageOf, parseCid, running, untilStage } from './routes-common.ts'
import type { Route } from './routes.ts'
import { Cid } from './schemas.ts'

const Hex = (bytes: number, what: string): z.ZodString => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `not ${bytes} bytes of lowercase hex`).describe(what)
const Network = z.enum(['mainnet', 'testnet', 'signet', 'regtest'])
const ChildIndex = z.coerce.number().int().min(0).max(0x7fffffff)

// ---- requests ----

const IdParams = z.object({ id: Cid.describe('order id: the CID of the principal\'s threshold/order envelope') }).strict()

export const CreateThresholdBody = z.object({
  beneficiary: Cid.describe('identity CID of the beneficiary'),
  fiduciaries: z.array(Cid).min(1).max(MAX_FIDUCIARIES).describe('identity CIDs of the fiduciaries; fiduciary k holds the share at index k + 1'),
  threshold: z.number().int().min(1).max(MAX_FIDUCIARIES).describe('shares needed to release'),
  network: Network.describe('Bitcoin network of the addresses (default: the node\'s)').optional(),
  phaseMs: z.number().int().min(MIN_PHASE_MS).max(MAX_PHASE_MS).describe('the synchrony bound: how long each phase of a round waits for the parties (default 30000)').optional()
}).strict().meta({ id: 'CreateThresholdOrder' })

export const ReshareBody = z.object({
  fiduciaries: z.array(Cid).min(1).max(MAX_FIDUCIARIES).describe('the new set of fiduciaries'),
  threshold: z.number().int().min(1).max(MAX_FIDUCIARIES).describe('the new threshold')
}).strict().meta({ id: 'ReshareThresholdOrder' })

const ListQuery = listQuery('orders')

export const THRESHOLD_WAITS = ['published', 'redeemed', 'round-ended', 'held', 'failed'] as const
const OrderQuery = z.object({
  wait: z.enum(THRESHOLD_WAITS).describe('answer once the order reached this stage (or the timeout passed)').optional(),
  round: z.coerce.number().int().min(0).describe('with wait=round-ended or held: the round to wait for (default: the current one)').optional(),
  timeoutMs: z.coerce.number().int().min(0).max(120_000).describe('longest wait (default 30000)').optional()
}).strict()

const AddressQuery = z.object({ index: ChildIndex.describe('child index i of the non-hardened BIP-32 derivation W/i') }).strict()

const EmptyBody = z.object({}).strict()

const ExportBody = z.object({
  format: z.enum(['wif', 'hex']).describe('WIF (compressed) or 64 hex digits'),
  recipientKey: Hex(32, 'a fresh X25519 public key of the caller: the key comes back HPKE-sealed to it'),
  child: z.number().int().min(0).max(0x7fffffff).describe('export the key of child address i instead of the wallet key').optional()
}).strict().meta({ id: 'ExportThresholdKey' })

// ---- responses ----

const Wallet = z.object({
  walletKey: Hex(33, 'W = B + Y'),
  groupKey: Hex(33, 'Y: the fiduciaries\' joint key (A_0)'),
  beneficiaryKey: Hex(33, 'B'),
  chainCode: Hex(32, 'BIP-32 chain code of W\'s children'),
  p2wpkh: z.string(),
  p2pkh: z.string(),
  ethereum: z.string()
}).strict()

const Round = z.object({
  round: z.number().int(),
  kind: z.enum(['dkg', 'refresh', 'reshare']),
  status: z.enum(['accepting', 'dealing', 'qualified', 'failed']),
  fiduciaries: z.array(Cid),
  threshold: z.number().int(),
  dealers: z.array(z.number().int()),
  receivers: z.array(z.number().int()),
  accepted: z.array(Cid),
  verdicts: z.array(z.number().int()),
  complaints: z.array(z.object({ receiver: z.number().int(), dealer: z.number().int(), reason: z.string(), justified: z.boolean() }).strict()),
  qualified: z.array(z.number().int()).describe('dealers whose dealings made the epoch'),
  held: z.array(z.number().int()).describe('holders that confirmed their new share (principal, beneficiary)'),
  timeouts: z.array(z.string()),
  reason: z.string().nullable().describe('why the round failed')
}).strict()

export const ThresholdOrder = z.object({
  id: Cid,
  roles: z.array(z.enum(['principal', 'fiduciary', 'beneficiary'])),
  status: z.object({ principal: z.string().optional(), fiduciary: z.string().optional(), beneficiary: z.string().optional() }).strict(),
  principal: Cid,
  beneficiary: Cid,
  network: Network,
  phaseMs: z.number().int(),
  created: z.number().int(),
  updated: z.number().int(),
  epoch: z.object({
    round: z.number().int(),
    fiduciaries: z.array(Cid),
    threshold: z.number().int(),
    holders: z.array(z.number().int()),
    commitments: z.array(Hex(33, 'A_k'))
  }).strict().nullable(),
  round: Round,
  history: z.array(z.object({ round: z.number().int(), kind: z.string(), qualified: z.boolean().nullable(), reason: z.string().nullable() }).strict()),
  wallet: Wallet.nullable(),
  index: z.number().int().nullable().describe('fiduciary: its index in the current epoch'),
  releaseRequested: z.boolean(),
  released: z.boolean().describe('fiduciary: it released its share'),
  received: z.array(z.number().int()).describe('beneficiary: indexes of the valid released shares it holds'),
  redeemed: z.boolean(),
  refusals: z.array(z.object({ envelope: Cid, from: Cid, type: z.string(), error: z.string(), message: z.string() }).strict())
}).strict().meta({ id: 'ThresholdOrder' })

const ThresholdPage = z.object({ orders: z.array(ThresholdOrder), next: z.string().nullable() }).strict().meta({ id: 'ThresholdOrderPage' })

const ChildAddress = z.object({ id: Cid, index: z.number().int(), publicKey: Hex(33, 'K_i'), p2wpkh: z.string(), p2pkh: z.string(), ethereum: z.string() }).strict().meta({ id: 'ThresholdChildAddress' })

const ExportedKey = z.object({
  format: z.enum(['wif', 'hex']),
  network: Network,
  publicKey: Hex(33, 'the public key of the exported secret: W, or child K_i'),
  child: z.number().int().nullable(),
  enc: Hex(32, 'HPKE encapsulated key'),
  ciphertext: z.string().regex(/^[0-9a-f]+$/).describe('HPKE ciphertext of the key text; info "milagro/custody/export/v1", aad = order id CID bytes')
}).strict().meta({ id: 'ExportedThresholdKey' })

// ---- views ----

export function thresholdJson (v: ThresholdOrderView): z.infer<typeof ThresholdOrder> {
  const w = v.wallet
  return {
    id: v.id.toString(),
    roles: [...v.roles],
    status: { ...v.statuses },
    principal: v.principal.toString(),
    beneficiary: v.beneficiary.toString(),
    network: v.network,
    phaseMs: v.phaseMs,
    created: v.created,
    updated: v.updated,
    epoch: v.epoch === null ? null : { round: v.epoch.round, fiduciaries: v.epoch.fiduciaries.map(String), threshold: v.epoch.threshold, holders: [...v.epoch.holders], commitments: v.epoch.commitments.map(toHex) },
    round: {
      ...v.round,
      fiduciaries: v.round.fiduciaries.map(String),
      dealers: [...v.round.dealers],
      receivers: [...v.round.receivers],
      accepted: v.round.accepted.map(String),
      verdicts: [...v.round.verdicts],
      complaints: v.round.complaints.map((c) => ({ ...c })),
      qualified: [...v.round.qualified],
      held: [...v.round.held],
      timeouts: [...v.round.timeouts]
    },
    history: v.history.map((h) => ({ ...h })),
    wallet: w === null ? null : { walletKey: toHex(w.walletKey), groupKey: toHex(w.groupKey), beneficiaryKey: toHex(w.beneficiaryKey), chainCode: toHex(w.chainCode), p2wpkh: w.p2wpkh, p2pkh: w.p2pkh, ethereum: w.ethereum },
    index: v.index,
    releaseRequested: v.releaseRequested,
    released: v.released,
    received: [...v.received],
    redeemed: v.redeemed,
    refusals: v.refusals.map((r) => ({ envelope: r.envelope.toString(), from: r.from.toString(), type: r.type, error: r.error, message: r.message }))
  }
}

/** Whether an order reached `stage` in some role this node plays (`round`: for round-ended). */
export function reachedStage (v: ThresholdOrderView, stage: typeof THRESHOLD_WAITS[number], round?: number): boolean {
  switch (stage) {
    case 'published': return v.wallet !== null
    case 'redeemed': return v.redeemed
    case 'round-ended':
      if (round === undefined) return v.round.status === 'qualified' || v.round.status === 'failed'
      return v.history.some((h) => h.round === round && h.qualified !== null)
    case 'held':
      // Every holder of the round's new epoch confirmed its share (as the principal and the beneficiary see it).
      return v.round.status === 'qualified' && (round === undefined || v.round.round === round) && v.epoch !== null && v.round.held.length === v.epoch.holders.length
    case 'failed': return v.round.status === 'failed'
  }
}

/** The threshold routes, on the service the getter returns (undefined: 503 ServiceStoppedError). */
export function thresholdRoutes (threshold: () => ThresholdService | undefined): Route[] {
  const service = running(threshold, 'threshold')
  const known = (id: CID): ThresholdOrderView => {
    const v = service().view(id)
    if (v === undefined) throw new UnknownOrderError(`order ${id.toString()} is not known to this node`)
    return v
  }
  const idOf = (params: unknown): CID => parseCid((params as z.infer<typeof IdParams>).id, 'id')
  const action = (name: 'release' | 'refresh', summary: string): Route => ({
    method: 'POST', url: `/v1/threshold/:id/${name}`, operationId: `${name}ThresholdOrder`, summary, auth: true, params: IdParams, body: EmptyBody, status: 202, response: ThresholdOrder, errors: [400, 403, 404, 409],
    handler: async ({ params, signal }) => {
      const id = idOf(params)
      return thresholdJson(name === 'release' ? await service().requestRelease(id, { signal }) : await service().refresh(id, { signal }))
    }
  })
  return [
    {
      method: 'POST', url: '/v1/threshold', operationId: 'createThresholdOrder', summary: 'Create a t-of-n custody order as its principal: the fiduciaries generate the key together', auth: true, body: CreateThresholdBody, status: 201, response: ThresholdOrder, errors: [400, 403, 404],
      handler: async ({ body, signal }) => {
        const b = body as z.infer<typeof CreateThresholdBody>
        return thresholdJson(await service().create({
          beneficiary: parseCid(b.beneficiary, 'beneficiary'),
          fiduciaries: b.fiduciaries.map((f, i) => parseCid(f, `fiduciaries[${i}]`)),
          threshold: b.threshold,
          ...(b.network === undefined ? {} : { network: b.network }),
          ...(b.phaseMs === undefined ? {} : { phaseMs: b.phaseMs })
        }, { signal }))
      }
    },
    {
      method: 'GET', url: '/v1/threshold', operationId: 'listThresholdOrders', summary: 'Threshold orders this node is a party to, oldest first, by pages', auth: true, query: ListQuery, status: 200, response: ThresholdPage, errors: [400],
      handler: async ({ query }) => {
        const page = service().orders(pageOf(query as z.infer<typeof ListQuery>))
        return { orders: page.orders.map(thresholdJson), next: page.next }
      }
    },
    {
      method: 'GET', url: '/v1/threshold/:id', operationId: 'getThresholdOrder', summary: 'One threshold order; with `wait`, answers once it reaches that stage or the timeout passes', auth: true, params: IdParams, query: OrderQuery, status: 200, response: ThresholdOrder, errors: [400, 404],
      handler: async ({ params, query, signal }) => {
        const id = idOf(params)
        const q = query as z.infer<typeof OrderQuery>
        const stage = q.wait
        return thresholdJson(await untilStage({
          now: known(id),
          reached: stage === undefined ? undefined : (v) => reachedStage(v, stage, q.round),
          waitFor: async (until, options) => await service().waitFor(id, until, options),
          current: () => known(id),
          timeoutMs: q.timeoutMs,
          signal
        }))
      }
    },
    action('release', 'Ask t holders to release their shares to the beneficiary (principal only; idempotent)'),
    action('refresh', 'Re-randomise the fiduciaries\' shares: same key, same address; old shares stop combining (principal only)'),
    {
      method: 'POST', url: '/v1/threshold/:id/reshare', operationId: 'reshareThresholdOrder', summary: 'Re-share the key to a new set of fiduciaries (replace a fiduciary) without moving funds (principal only)', auth: true, params: IdParams, body: ReshareBody, status: 202, response: ThresholdOrder, errors: [400, 403, 404, 409],
      handler: async ({ params, body, signal }) => {
        const b = body as z.infer<typeof ReshareBody>
        return thresholdJson(await service().reshare(idOf(params), { fiduciaries: b.fiduciaries.map((f, i) => parseCid(f, `fiduciaries[${i}]`)), threshold: b.threshold }, { signal }))
      }
    },
    {
      method: 'GET', url: '/v1/threshold/:id/addresses', operationId: 'thresholdChildAddress', summary: 'Receiving address i: the non-hardened BIP-32 child W/i of the wallet key (any party that knows the wallet)', auth: true, params: IdParams, query: AddressQuery, status: 200, response: ChildAddress, errors: [400, 404, 409],
      handler: async ({ params, query }) => {
        const id = idOf(params)
        const a = service().childAddress(id, (query as z.infer<typeof AddressQuery>).index)
        return { id: id.toString(), index: a.index, publicKey: toHex(a.publicKey), p2wpkh: a.p2wpkh, p2pkh: a.p2pkh, ethereum: a.ethereum }
      }
    },
    {
      method: 'POST', url: '/v1/threshold/:id/export', operationId: 'exportThresholdKey', summary: 'Export the redeemed wallet key (or child i\'s), sealed to the caller\'s X25519 key (beneficiary only)', auth: true, params: IdParams, body: ExportBody, status: 200, response: ExportedKey, errors: [400, 403, 404, 409],
      handler: async ({ params, body, signal }) => {
        const id = idOf(params)
        const b = body as z.infer<typeof ExportBody>
        const e = await service().exportKey(id, b.format as SecretKeyFormat, fromHex(b.recipientKey), b.child ?? null, { signal })
        return { format: e.format, network: e.network, publicKey: toHex(e.publicKey), child: e.child, enc: toHex(e.enc), ciphertext: toHex(e.ciphertext) }
      }
    }
  ]
}
