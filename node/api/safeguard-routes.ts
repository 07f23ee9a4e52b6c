// The REST API's safeguard and backup routes, under /v1/safeguards and /v1/backups: deposit a
// secret with fiduciaries for a beneficiary, list and show deposits (with `wait`), ask for the
// release, approve it, revoke, read a recovered secret back sealed to the caller's key; back this
// node up, list and show backups. Same conventions as routes.ts — bearer token, zod schemas that
// validate the request and describe it in the OpenAPI document, typed errors with the statuses of
// status.ts — registered by the server next to its own table (ApiComponents.routes).
//
// The secret is in a request once, when its principal deposits it (base64, over the loopback API
// of its own node). No response carries a secret, a share or a key-store handle: a recovered
// secret comes back HPKE-sealed to a key the caller chose (node/services/safeguard-export.ts).
import { z } from 'zod'
import type { CID } from 'multiformats/cid'
import { fromHex, toHex } from '../../crypto/index.ts'
import { UnknownDepositError } from '../../protocol/safeguard/errors.ts'
import { MAX_DELAY_MS, MAX_LABEL_LENGTH } from '../../protocol/safeguard/messages.ts'
import type { DepositView } from '../../protocol/safeguard/queries.ts'
import { MAX_FIDUCIARIES, MAX_SECRET_BYTES } from '../../protocol/safeguard/sharing.ts'
import { REQUESTERS } from '../../protocol/safeguard/types.ts'
import type { Backups, BackupView } from '../services/backup.ts'
import type { SafeguardService } from '../services/safeguard.ts'
import { ValidationError } from './errors.ts'
import { listQuery, pageOf, parseCid, running, untilStage } from './routes-common.ts'
import type { Route } from './routes.ts'
import { Cid } from './schemas.ts'

const Hex = (bytes: number, what: string): z.ZodString => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `not ${bytes} bytes of lowercase hex`).describe(what)
const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64').max(Math.ceil(MAX_SECRET_BYTES / 3) * 4)

// ---- requests ----

const DepositIdParams = z.object({ id: Cid.describe('deposit id: the CID of the principal\'s safeguard/deposit envelope') }).strict()
const BackupIdParams = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'not a backup id').describe('backup id (32 hex digits)') }).strict()

export const CreateDepositBody = z.object({
  secret: Base64.describe(`the secret, base64 (1..${MAX_SECRET_BYTES} bytes)`),
  beneficiary: Cid.describe('identity CID of the beneficiary (may be this node)'),
  fiduciaries: z.array(Cid).min(1).max(MAX_FIDUCIARIES).describe('identity CIDs of the fiduciaries; fiduciary i holds share i'),
  threshold: z.number().int().min(1).max(MAX_FIDUCIARIES).describe('shares needed to reconstruct (default: all)').optional(),
  requesters: z.enum(REQUESTERS).describe('who may ask for the release (default: the principal only)').optional(),
  delayMs: z.number().int().min(0).max(MAX_DELAY_MS).describe('fiduciaries release no sooner than this after the request (default 0)').optional(),
  approver: Cid.describe('a second principal identity whose approval the release needs').optional(),
  label: z.string().max(MAX_LABEL_LENGTH).describe('free text every party sees').optional()
}).strict().meta({ id: 'CreateDeposit' })

const ListQuery = listQuery('deposits')

export const DEPOSIT_WAITS = ['held', 'released', 'recovered', 'revoked'] as const
const DepositQuery = z.object({
  wait: z.enum(DEPOSIT_WAITS).describe('answer once the deposit reached this stage in a role this node plays (or the timeout passed)').optional(),
  timeoutMs: z.coerce.number().int().min(0).max(120_000).describe('longest wait (default 30000)').optional()
}).strict()

const EmptyBody = z.object({}).strict()

const ExportBody = z.object({
  recipientKey: Hex(32, 'a fresh X25519 public key of the caller: the secret comes back HPKE-sealed to it')
}).strict().meta({ id: 'ExportSafeguardedSecret' })

export const CreateBackupBody = z.object({
  fiduciaries: z.array(Cid).min(1).max(MAX_FIDUCIARIES).describe('identity CIDs of the fiduciaries'),
  threshold: z.number().int().min(1).max(MAX_FIDUCIARIES).describe('shares needed to restore'),
  beneficiary: Cid.describe('the recovery identity: the operator\'s node that receives the backup on release'),
  delayMs: z.number().int().min(0).max(MAX_DELAY_MS).describe('fiduciaries release no sooner than this after a request: time to revoke a request that is not the operator\'s (default 0)').optional()
}).strict().meta({ id: 'CreateBackup' })

// ---- responses ----

const Progress = z.object({ fiduciary: Cid, accepted: z.boolean(), held: z.boolean(), released: z.boolean(), destroyed: z.boolean() }).strict()
const Refusal = z.object({ envelope: Cid, from: Cid.describe('the sender: for TamperedShareError, the fiduciary that returned a wrong share'), type: z.string(), error: z.string(), message: z.string() }).strict()

export const Deposit = z.object({
  id: Cid,
  roles: z.array(z.enum(['principal', 'fiduciary', 'beneficiary', 'approver'])),
  status: z.object({ principal: z.string().optional(), fiduciary: z.string().optional(), beneficiary: z.string().optional(), approver: z.string().optional() }).strict(),
  principal: Cid,
  beneficiary: Cid,
  fiduciaries: z.array(Cid),
  threshold: z.number().int(),
  size: z.number().int().describe('bytes of the secret'),
  commitment: Hex(32, 'SHA-256 commitment of the (blinded) secret'),
  requesters: z.enum(REQUESTERS),
  delayMs: z.number().int(),
  approver: Cid.nullable(),
  label: z.string(),
  created: z.number().int(),
  updated: z.number().int(),
  request: z.object({ from: Cid, received: z.number().int() }).strict().nullable(),
  approved: z.boolean(),
  revoked: z.boolean(),
  progress: z.array(Progress).describe('principal: each fiduciary\'s progress'),
  received: z.number().int().describe('beneficiary: valid shares held'),
  recovered: z.boolean().describe('beneficiary: the secret is recovered in this node\'s key store (readable through POST …/secret)'),
  refusals: z.array(Refusal)
}).strict().meta({ id: 'Deposit' })

const DepositPage = z.object({ deposits: z.array(Deposit), next: z.string().nullable() }).strict().meta({ id: 'DepositPage' })

const SealedSecret = z.object({
  id: Cid,
  size: z.number().int(),
  enc: Hex(32, 'HPKE encapsulated key'),
  ciphertext: z.string().regex(/^[0-9a-f]+$/).describe('HPKE ciphertext of the secret; info "milagro/safeguard/export/v1", aad = deposit id CID bytes')
}).strict().meta({ id: 'SealedSafeguardedSecret' })

export const Backup = z.object({
  id: z.string(),
  identity: Cid.describe('the node backed up'),
  beneficiary: Cid.describe('the recovery identity'),
  role: z.enum(['principal', 'beneficiary']),
  parts: z.number().int(),
  deposits: z.array(Deposit),
  created: z.number().int(),
  complete: z.boolean(),
  recovered: z.boolean()
}).strict().meta({ id: 'Backup' })

// ---- views ----

export function depositJson (v: DepositView): z.infer<typeof Deposit> {
  return {
    id: v.id.toString(),
    roles: [...v.roles],
    status: { ...v.statuses },
    principal: v.principal.toString(),
    beneficiary: v.beneficiary.toString(),
    fiduciaries: v.fiduciaries.map(String),
    threshold: v.threshold,
    size: v.size,
    commitment: toHex(v.commitment),
    requesters: v.requesters,
    delayMs: v.delayMs,
    approver: v.approver?.toString() ?? null,
    label: v.label,
    created: v.created,
    updated: v.updated,
    request: v.request === null ? null : { from: v.request.from.toString(), received: v.request.received },
    approved: v.approved,
    revoked: v.revoked,
    progress: v.progress.map((p) => ({ ...p, fiduciary: p.fiduciary.toString() })),
    received: v.received,
    recovered: v.recovered,
    refusals: v.refusals.map((r) => ({ envelope: r.envelope.toString(), from: r.from.toString(), type: r.type, error: r.error, message: r.message }))
  }
}

export function backupJson (b: BackupView): z.infer<typeof Backup> {
  return { ...b, identity: b.identity.toString(), beneficiary: b.beneficiary.toString(), deposits: b.deposits.map(depositJson) }
}

/** Whether a deposit reached `stage` in some role this node plays. */
export function reachedStage (v: DepositView, stage: typeof DEPOSIT_WAITS[number]): boolean {
  const s = v.statuses
  switch (stage) {
    case 'held': return s.principal !== undefined ? s.principal !== 'depositing' : (s.fiduciary !== undefined && s.fiduciary !== 'pending' && s.fiduciary !== 'accepted')
    case 'released': return s.principal === 'released' || s.fiduciary === 'released' || s.beneficiary === 'recovered'
    case 'recovered': return v.recovered
    case 'revoked': return v.revoked
  }
}

function decodeSecret (text: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64')
  if (bytes.toString('base64') !== text) throw new ValidationError('body.secret is not canonical base64')
  return new Uint8Array(bytes)
}

/** The safeguard and backup routes, on the services the getters return (undefined: 503 ServiceStoppedError). */
export function safeguardRoutes (safeguard: () => SafeguardService | undefined, backups: () => Backups | undefined): Route[] {
  const service = running(safeguard, 'safeguard')
  const backupService = running(backups, 'safeguard')
  const known = (id: CID): DepositView => {
    const v = service().view(id)
    if (v === undefined) throw new UnknownDepositError(`deposit ${id.toString()} is not known to this node`)
    return v
  }
  const idOf = (params: unknown): CID => parseCid((params as z.infer<typeof DepositIdParams>).id, 'id')
  const action = (name: 'release' | 'approve' | 'revoke', summary: string): Route => ({
    method: 'POST', url: `/v1/safeguards/:id/${name}`, operationId: `${name}Deposit`, summary, auth: true, params: DepositIdParams, body: EmptyBody, status: 202, response: Deposit, errors: [400, 403, 404, 409],
    handler: async ({ params, signal }) => {
      const id = idOf(params)
      const s = service()
      const view = name === 'release' ? await s.requestRelease(id, { signal }) : name === 'approve' ? await s.approve(id, { signal }) : await s.revoke(id, { signal })
      return depositJson(view)
    }
  })
  return [
    {
      method: 'POST', url: '/v1/safeguards', operationId: 'createDeposit', summary: 'Deposit a secret with fiduciaries (k-of-n) for a beneficiary, as its principal', auth: true, body: CreateDepositBody, bodyLimit: 128 * 1024, status: 201, response: Deposit, errors: [400, 403, 404],
      handler: async ({ body, signal }) => {
        const b = body as z.infer<typeof CreateDepositBody>
        const secret = decodeSecret(b.secret)
        try {
          return depositJson(await service().deposit({
            secret,
            beneficiary: parseCid(b.beneficiary, 'beneficiary'),
            fiduciaries: b.fiduciaries.map((f, i) => parseCid(f, `fiduciaries[${i}]`)),
            ...(b.threshold === undefined ? {} : { threshold: b.threshold }),
            ...(b.requesters === undefined ? {} : { requesters: b.requesters }),
            ...(b.delayMs === undefined ? {} : { delayMs: b.delayMs }),
            ...(b.approver === undefined ? {} : { approver: parseCid(b.approver, 'approver') }),
            ...(b.label === undefined ? {} : { label: b.label })
          }, { signal }))
        } finally {
          secret.fill(0)
        }
      }
    },
    {
      method: 'GET', url: '/v1/safeguards', operationId: 'listDeposits', summary: 'Deposits this node is a party to, oldest first, by pages', auth: true, query: ListQuery, status: 200, response: DepositPage, errors: [400],
      handler: async ({ query }) => {
        const page = service().deposits(pageOf(query as z.infer<typeof ListQuery>))
        return { deposits: page.deposits.map(depositJson), next: page.next }
      }
    },
    {
      method: 'GET', url: '/v1/safeguards/:id', operationId: 'getDeposit', summary: 'One deposit; with `wait`, answers once it reaches that stage or the timeout passes', auth: true, params: DepositIdParams, query: DepositQuery, status: 200, response: Deposit, errors: [400, 404],
      handler: async ({ params, query, signal }) => {
        const id = idOf(params)
        const q = query as z.infer<typeof DepositQuery>
        const stage = q.wait
        return depositJson(await untilStage({
          now: known(id),
          reached: stage === undefined ? undefined : (v) => reachedStage(v, stage),
          waitFor: async (until, options) => await service().waitFor(id, until, options),
          current: () => known(id),
          timeoutMs: q.timeoutMs,
          signal
        }))
      }
    },
    action('release', 'Ask the fiduciaries to release to the beneficiary (principal, or beneficiary when the deposit allows; idempotent)'),
    action('approve', 'Approve the release (the deposit\'s approver; idempotent)'),
    action('revoke', 'Revoke the deposit before release: fiduciaries destroy their shares (principal only; idempotent)'),
    {
      method: 'POST', url: '/v1/safeguards/:id/secret', operationId: 'exportDepositSecret', summary: 'The recovered secret, sealed to the caller\'s X25519 key (beneficiary only)', auth: true, params: DepositIdParams, body: ExportBody, status: 200, response: SealedSecret, errors: [400, 403, 404, 409],
      handler: async ({ params, body, signal }) => {
        const id = idOf(params)
        const e = await service().exportSecret(id, fromHex((body as z.infer<typeof ExportBody>).recipientKey), { signal })
        return { id: id.toString(), size: e.size, enc: toHex(e.enc), ciphertext: toHex(e.ciphertext) }
      }
    },
    {
      method: 'POST', url: '/v1/backups', operationId: 'createBackup', summary: 'Back this node up: its keys, identity, configuration and key store, safeguarded k-of-n for a recovery identity', auth: true, body: CreateBackupBody, status: 201, response: Backup, errors: [400, 403, 404],
      handler: async ({ body, signal }) => {
        const b = body as z.infer<typeof CreateBackupBody>
        return backupJson(await backupService().create({
          fiduciaries: b.fiduciaries.map((f, i) => parseCid(f, `fiduciaries[${i}]`)),
          threshold: b.threshold,
          beneficiary: parseCid(b.beneficiary, 'beneficiary'),
          ...(b.delayMs === undefined ? {} : { delayMs: b.delayMs })
        }, { signal }))
      }
    },
    {
      method: 'GET', url: '/v1/backups', operationId: 'listBackups', summary: 'Backups this node made, or is the recovery identity of', auth: true, status: 200, response: z.object({ backups: z.array(Backup) }).strict(), errors: [],
      handler: async () => ({ backups: backupService().list().map(backupJson) })
    },
    {
      method: 'GET', url: '/v1/backups/:id', operationId: 'getBackup', summary: 'One backup and its parts', auth: true, params: BackupIdParams, status: 200, response: Backup, errors: [400, 404],
      handler: async ({ params }) => backupJson(backupService().get((params as z.infer<typeof BackupIdParams>).id))
    }
  ]
}
