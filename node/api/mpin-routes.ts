// The REST API's M-Pin routes under /v1/mpin: issuance of M-Pin secrets by the D-TAs
// (protocol/mpin), this node's D-TA master-share fingerprints, and two-pass authentication for an
// authentication server (pass1 returns the challenge, pass2 accept or reject). Same conventions as
// routes.ts — bearer token, zod schemas that validate the request and describe it in the OpenAPI
// document, typed errors with the statuses of status.ts — and registered by the server next to
// its own table (ApiComponents.routes).
//
// Responses carry public values only (CIDs, ids, dates, master-share fingerprints, the challenge
// y): never a share, a combined secret, a key-store handle, nor any sᵢ·Q (a server secret's part:
// see protocol/mpin/types.ts). The one route that hands a secret to its
// owner, POST /v1/mpin/issuance/:id/secret, returns it HPKE-sealed to a key the caller chose
// (node/services/mpin-export.ts).
import { z } from 'zod'
import { CID } from 'multiformats/cid'
import { curveNames, fromHex, toHex, type CurveName } from '../../crypto/index.ts'
import { ISSUANCE_KINDS } from '../../protocol/mpin/types.ts'
import { MAX_DTAS, MAX_ID_LENGTH } from '../../protocol/mpin/messages.ts'
import type { IssuanceView } from '../../protocol/mpin/queries.ts'
import { ServiceStoppedError } from '../services/errors.ts'
import type { MpinService } from '../services/mpin.ts'
import { UnknownIssuanceError } from '../services/mpin-errors.ts'
import { ValidationError } from './errors.ts'
import type { Route } from './routes.ts'
import { Cid } from './schemas.ts'

const hex = (lengths: readonly number[], what: string): z.ZodString =>
  z.string().regex(new RegExp(`^(${lengths.map((n) => `[0-9a-f]{${n * 2}}`).join('|')})$`), `not ${lengths.join(' or ')} bytes of lowercase hex`).describe(what)
const G1 = (what: string): z.ZodString => hex([65, 97], `${what}: a G1 point, Milagro's octet 04 ‖ x ‖ y (65 bytes on BN254, 97 on BLS12-381)`)
const Curve = z.enum(curveNames as [CurveName, ...CurveName[]]).describe('pairing curve: BN254 (Milagro\'s, for interoperability) or BLS12-381 (the default)')
const MpinId = z.string().min(1).max(MAX_ID_LENGTH).regex(/^[^\u0000-\u001f\u007f]+$/u, 'no control characters').describe('M-Pin identity (UTF-8 text, hashed as Milagro\'s HASH_ID)') // eslint-disable-line no-control-regex
const Day = z.number().int().min(1).max(0xffffffff).describe('time-permit date: days since the Unix epoch (UTC)')

// ---- requests ----

const IssuanceIdParams = z.object({ id: Cid.describe('issuance id: the CID of the mpin/request envelope') }).strict()

export const CreateIssuanceBody = z.object({
  issuance: z.enum(ISSUANCE_KINDS).describe('what to issue: client-secret, time-permit, or server-secret (for an authentication server)'),
  curve: Curve.optional(),
  dtas: z.array(Cid).min(1).max(MAX_DTAS).describe('identity CIDs of the D-TAs to ask; the shares of all of them are added'),
  beneficiary: Cid.describe('who receives the shares (default: this node; another identity makes this node its principal)').optional(),
  id: MpinId.describe('M-Pin identity; default the beneficiary\'s identity CID. Must be in the beneficiary\'s namespace: its CID, or its CID followed by / and a label').optional(),
  date: Day.optional()
}).strict().meta({ id: 'CreateIssuance' })

export const ISSUANCE_WAITS = ['settled', 'complete'] as const
const IssuanceQuery = z.object({
  wait: z.enum(ISSUANCE_WAITS).describe('answer once the issuance is complete (or refused: settled), or the timeout passed').optional(),
  timeoutMs: z.coerce.number().int().min(0).max(120_000).describe('longest wait (default 30000)').optional()
}).strict()

const ExportSecretBody = z.object({
  recipientKey: hex([32], 'a fresh X25519 public key of the caller: the secret comes back HPKE-sealed to it')
}).strict().meta({ id: 'ExportMpinSecret' })

const MasterBody = z.object({ curve: Curve.optional() }).strict().meta({ id: 'MpinMasterRequest' })

export const Pass1Body = z.object({
  curve: Curve.optional(),
  id: MpinId,
  U: G1('U = x·A, without a time permit').optional(),
  UT: G1('UT = x·(A + AT), with a time permit for the server\'s today').optional()
}).strict().meta({ id: 'MpinPass1' })

export const Pass2Body = z.object({
  challenge: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'not a challenge id').describe('the challenge id pass1 returned'),
  V: G1('V = −(x + y)·(token + PIN·A [+ time permit])')
}).strict().meta({ id: 'MpinPass2' })

// ---- responses ----

export const Issuance = z.object({
  id: Cid,
  role: z.enum(['beneficiary', 'principal']).describe('beneficiary: the shares come to this node; principal: it asked for another'),
  status: z.enum(['pending', 'complete', 'refused']),
  issuance: z.enum(ISSUANCE_KINDS),
  curve: Curve,
  requester: Cid,
  beneficiary: Cid,
  mpinId: z.string().nullable(),
  date: z.number().int().nullable(),
  dtas: z.array(Cid),
  answered: z.array(Cid).describe('D-TAs whose share this node holds'),
  refusals: z.array(z.object({ dta: Cid, error: z.string(), message: z.string() }).strict()),
  secretAvailable: z.boolean().describe('this node holds the combined client secret or time permit (exportable)'),
  created: z.number().int(),
  updated: z.number().int()
}).strict().meta({ id: 'Issuance' })

const Sealed = z.object({
  id: Cid,
  issuance: z.enum(['client-secret', 'time-permit']),
  curve: Curve,
  mpinId: z.string(),
  date: z.number().int().nullable(),
  enc: hex([32], 'HPKE encapsulated key'),
  ciphertext: z.string().regex(/^[0-9a-f]+$/).describe('HPKE ciphertext of the secret\'s Milagro octet; info "milagro/mpin/export/v1", aad = issuance id CID bytes')
}).strict().meta({ id: 'SealedMpinSecret' })

const Master = z.object({ curve: Curve, fingerprint: hex([32], 'SHA-256 commitment to this D-TA\'s master-secret share (the key store\'s; it reveals nothing of the share)') }).strict().meta({ id: 'MpinMaster' })
const Masters = z.object({ masters: z.array(Master) }).strict().meta({ id: 'MpinMasters' })

export const Pass1Result = z.object({
  challenge: z.string().describe('id to send back with pass2'),
  y: z.string().regex(/^[0-9a-f]+$/).describe('the challenge y: a scalar, Milagro\'s big-endian encoding'),
  expires: z.number().int().describe('ms since the epoch; pass2 after that is refused'),
  date: z.number().int().nullable().describe('the time-permit date the login is checked against (the server\'s today), null without')
}).strict().meta({ id: 'MpinChallenge' })

export const Pass2Result = z.object({
  accepted: z.boolean(),
  id: z.string(),
  curve: Curve,
  date: z.number().int().nullable(),
  error: z.object({ name: z.string(), message: z.string() }).strict().nullable().describe('why the login is rejected (BadPinError), null when accepted')
}).strict().meta({ id: 'MpinResult' })

// ---- views ----

function parseCid (text: string, what: string): CID {
  try {
    return CID.parse(text)
  } catch (err) {
    throw new ValidationError(`${what} is not a CID`, { cause: err })
  }
}

export function issuanceJson (v: IssuanceView): z.infer<typeof Issuance> {
  return {
    id: v.id.toString(),
    role: v.role,
    status: v.status,
    issuance: v.issuance,
    curve: v.curve,
    requester: v.requester.toString(),
    beneficiary: v.beneficiary.toString(),
    mpinId: v.mpinId,
    date: v.date,
    dtas: v.dtas.map(String),
    answered: v.answered.map(String),
    refusals: v.refusals.map((r) => ({ dta: r.dta.toString(), error: r.error, message: r.message })),
    secretAvailable: v.role === 'beneficiary' && v.handle !== null && v.issuance !== 'server-secret',
    created: v.created,
    updated: v.updated
  }
}

const DEFAULT_CURVE: CurveName = 'BLS12-381'

/** The M-Pin routes, on the service `mpin()` returns (undefined: 503 ServiceStoppedError). */
export function mpinRoutes (mpin: () => MpinService | undefined): Route[] {
  const service = (): MpinService => {
    const s = mpin()
    if (s === undefined) throw new ServiceStoppedError('the M-Pin service is not running')
    return s
  }
  const known = (id: CID): IssuanceView => {
    const v = service().issuance(id)
    if (v === undefined) throw new UnknownIssuanceError(`issuance ${id.toString()} is not known to this node`)
    return v
  }
  return [
    {
      method: 'POST', url: '/v1/mpin/issuance', operationId: 'createMpinIssuance', summary: 'Ask D-TAs for shares of an M-Pin client secret, time permit or server secret (for this node, or as principal for another)', auth: true, body: CreateIssuanceBody, status: 202, response: Issuance, errors: [400, 403, 404],
      handler: async ({ body, signal }) => {
        const b = body as z.infer<typeof CreateIssuanceBody>
        const view = await service().requestIssuance({
          issuance: b.issuance,
          curve: b.curve ?? DEFAULT_CURVE,
          dtas: b.dtas.map((d, i) => parseCid(d, `dtas[${i}]`)),
          ...(b.beneficiary === undefined ? {} : { beneficiary: parseCid(b.beneficiary, 'beneficiary') }),
          ...(b.id === undefined ? {} : { id: b.id }),
          ...(b.date === undefined ? {} : { date: b.date })
        }, { signal })
        return issuanceJson(view)
      }
    },
    {
      method: 'GET', url: '/v1/mpin/issuance', operationId: 'listMpinIssuances', summary: 'Issuances this node asked for or is the beneficiary of, oldest first', auth: true, status: 200, response: z.object({ issuances: z.array(Issuance) }).strict(), errors: [],
      handler: async () => ({ issuances: service().issuances().map(issuanceJson) })
    },
    {
      method: 'GET', url: '/v1/mpin/issuance/:id', operationId: 'getMpinIssuance', summary: 'One issuance; with `wait`, answers once it is complete (or refused) or the timeout passes', auth: true, params: IssuanceIdParams, query: IssuanceQuery, status: 200, response: Issuance, errors: [400, 404],
      handler: async ({ params, query, signal }) => {
        const id = parseCid((params as z.infer<typeof IssuanceIdParams>).id, 'id')
        const q = query as z.infer<typeof IssuanceQuery>
        const now = known(id)
        const done = (v: IssuanceView): boolean => q.wait === 'complete' ? v.status === 'complete' : v.status !== 'pending'
        if (q.wait === undefined || done(now)) return issuanceJson(now)
        const bounded = AbortSignal.any([signal, AbortSignal.timeout(q.timeoutMs ?? 30_000)])
        try {
          return issuanceJson(await service().waitFor(id, done, { signal: bounded }))
        } catch (err) {
          if (signal.aborted || (err as Error).name !== 'TimeoutError') throw err
          return issuanceJson(known(id))
        }
      }
    },
    {
      method: 'POST', url: '/v1/mpin/issuance/:id/secret', operationId: 'exportMpinSecret', summary: 'The combined client secret or time permit, sealed to the caller\'s X25519 key (beneficiary only)', auth: true, params: IssuanceIdParams, body: ExportSecretBody, status: 200, response: Sealed, errors: [400, 404, 409],
      handler: async ({ params, body, signal }) => {
        const id = parseCid((params as z.infer<typeof IssuanceIdParams>).id, 'id')
        const b = body as z.infer<typeof ExportSecretBody>
        const e = await service().exportSecret(id, fromHex(b.recipientKey), { signal })
        return { id: id.toString(), issuance: e.view.issuance as 'client-secret' | 'time-permit', curve: e.view.curve, mpinId: e.view.mpinId ?? '', date: e.view.date, enc: toHex(e.enc), ciphertext: toHex(e.ciphertext) }
      }
    },
    {
      method: 'GET', url: '/v1/mpin/dta', operationId: 'getMpinMasters', summary: 'This D-TA\'s master-share fingerprints, per curve', auth: true, status: 200, response: Masters, errors: [],
      handler: async () => ({ masters: Object.entries(service().masters()).map(([curve, m]) => ({ curve: curve as CurveName, fingerprint: toHex(m.fingerprint) })) })
    },
    {
      method: 'POST', url: '/v1/mpin/dta', operationId: 'createMpinMaster', summary: 'This D-TA\'s master-share fingerprint on a curve, generating the master-secret share on first call (idempotent)', auth: true, body: MasterBody, status: 200, response: Master, errors: [400, 403],
      handler: async ({ body, signal }) => {
        const curve = (body as z.infer<typeof MasterBody>).curve ?? DEFAULT_CURVE
        const m = await service().master(curve, { signal })
        return { curve, fingerprint: toHex(m.fingerprint) }
      }
    },
    {
      method: 'POST', url: '/v1/mpin/pass1', operationId: 'mpinPass1', summary: 'M-Pin pass 1: the client\'s id and U (or UT with a time permit); returns the challenge y', auth: true, body: Pass1Body, status: 200, response: Pass1Result, errors: [400, 409, 503],
      handler: async ({ body }) => {
        const b = body as z.infer<typeof Pass1Body>
        const r = await service().pass1({
          curve: b.curve ?? DEFAULT_CURVE,
          id: b.id,
          ...(b.U === undefined ? {} : { U: fromHex(b.U) }),
          ...(b.UT === undefined ? {} : { UT: fromHex(b.UT) })
        })
        return { challenge: r.challenge, y: toHex(r.y), expires: r.expires, date: r.date }
      }
    },
    {
      method: 'POST', url: '/v1/mpin/pass2', operationId: 'mpinPass2', summary: 'M-Pin pass 2: V for the challenge; accepted or rejected (each challenge answers once)', auth: true, body: Pass2Body, status: 200, response: Pass2Result, errors: [400, 404, 409, 410],
      handler: async ({ body, signal }) => {
        const b = body as z.infer<typeof Pass2Body>
        return await service().pass2(b.challenge, fromHex(b.V), { signal })
      }
    }
  ]
}
