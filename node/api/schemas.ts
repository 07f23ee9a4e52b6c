// The REST API's schemas (zod 4): the same values validate requests (routes.ts) and describe them
// in the OpenAPI document (openapi.ts). Responses are described by the same means; they are built
// by views.ts from typed values and never carry a secret or a key-store handle.
import { z } from 'zod'
import { BITCOIN_NETWORKS } from '../../crypto/index.ts'

export const Cid = z.string().min(8).max(128).regex(/^b[a-z2-7]+$/, 'not a CIDv1 in base32 (bafy…)').describe('a CIDv1 in base32 (bafy…)')
const Hex = (bytes: number, what: string): z.ZodString => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `not ${bytes} bytes of lowercase hex`).describe(what)
const Network = z.enum(BITCOIN_NETWORKS).describe('Bitcoin network of the P2WPKH / P2PKH addresses')

// ---- requests ----

export const OrderIdParams = z.object({ id: Cid.describe('order id: the CID of the principal\'s custody/order envelope') }).strict()
export const IdentityParams = z.object({ cid: Cid.describe('identity CID') }).strict()

export const CreateOrderBody = z.object({
  beneficiary: Cid.describe('identity CID of the beneficiary (may be this node)'),
  fiduciary: Cid.describe('identity CID of the fiduciary; default: the configured one').optional(),
  network: Network.optional()
}).strict().meta({ id: 'CreateOrder' })

export const ListOrdersQuery = z.object({
  cursor: z.string().min(1).max(300).describe('the `next` of the previous page').optional(),
  limit: z.coerce.number().int().min(1).max(500).describe('orders per page (default 50)').optional()
}).strict()

export const WAIT_STAGES = ['published', 'released', 'redeemed'] as const
export const OrderQuery = z.object({
  wait: z.enum(WAIT_STAGES).describe('answer once the order has reached this stage (or the timeout passed)').optional(),
  timeoutMs: z.coerce.number().int().min(0).max(120_000).describe('longest wait (default 30000)').optional()
}).strict()

export const EmptyBody = z.object({}).strict()

export const ExportBody = z.object({
  format: z.enum(['wif', 'hex']).describe('WIF (compressed) or 64 hex digits'),
  recipientKey: Hex(32, 'a fresh X25519 public key of the caller: the key comes back HPKE-sealed to it')
}).strict().meta({ id: 'ExportRequest' })

// ---- responses ----

export const ErrorBody = z.object({
  error: z.object({ name: z.string().describe('error class, e.g. UnknownOrderError'), message: z.string() }).strict()
}).strict().meta({ id: 'Error' })

export const Health = z.object({ ok: z.literal(true) }).strict().meta({ id: 'Health' })

export const Wallet = z.object({
  publicKey: Hex(33, 'W = B + F, compressed secp256k1'),
  p2wpkh: z.string(),
  p2pkh: z.string(),
  ethereum: z.string()
}).strict().meta({ id: 'Wallet' })

export const Order = z.object({
  id: Cid,
  roles: z.array(z.enum(['principal', 'fiduciary', 'beneficiary'])).describe('roles this node plays in the order'),
  status: z.object({ principal: z.string().optional(), fiduciary: z.string().optional(), beneficiary: z.string().optional() }).strict().describe('stage per role'),
  principal: Cid,
  beneficiary: Cid,
  fiduciary: Cid,
  network: Network,
  created: z.number().int().describe('order envelope time, ms since the epoch'),
  updated: z.number().int(),
  beneficiaryKey: Hex(33, 'the beneficiary\'s public share').nullable(),
  fiduciaryKey: Hex(33, 'the fiduciary\'s public share').nullable(),
  wallet: Wallet.nullable(),
  keyAvailable: z.boolean().describe('this node is the beneficiary and holds the combined wallet key (exportable)'),
  envelopes: z.record(z.string(), Cid).describe('the order\'s envelopes this node recorded, by message type')
}).strict().meta({ id: 'Order' })

export const OrderPage = z.object({
  orders: z.array(Order),
  next: z.string().nullable().describe('cursor of the next page; null on the last page')
}).strict().meta({ id: 'OrderPage' })

export const Identity = z.object({
  cid: Cid,
  name: z.string(),
  peerId: z.string(),
  created: z.number().int(),
  supersedes: Cid.nullable(),
  signingKey: Hex(32, 'Ed25519 public key'),
  encryptionKey: Hex(32, 'X25519 public key'),
  custodyKey: Hex(33, 'compressed secp256k1 public key')
}).strict().meta({ id: 'Identity' })

export const Status = z.object({
  name: z.string(),
  identity: Cid,
  peerId: z.string(),
  uptimeMs: z.number().int(),
  peers: z.number().int(),
  log: z.object({ seq: z.number().int(), cid: Cid }).strict().nullable(),
  keystore: z.enum(['software', 'pkcs11']),
  network: Network.describe('default network of new orders'),
  orders: z.record(z.string(), z.record(z.string(), z.number().int())).describe('orders per role and stage')
}).strict().meta({ id: 'Status' })

export const Exported = z.object({
  format: z.enum(['wif', 'hex']),
  network: Network,
  walletKey: Hex(33, 'the wallet public key the exported secret belongs to'),
  enc: Hex(32, 'HPKE encapsulated key'),
  ciphertext: z.string().regex(/^[0-9a-f]+$/).describe('HPKE ciphertext of the key text; info "milagro/custody/export/v1", aad = order id CID bytes')
}).strict().meta({ id: 'Exported' })
