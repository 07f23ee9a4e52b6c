// M-Pin D-TA orders driven through the REST API. Before the run each principal node — here the
// authentication server — gets its server secret from every D-TA (every fiduciary node); then
// each order is one client: its beneficiary asks the D-TAs for a client secret for the M-Pin
// identity `<its CID>/sim-<order>`, exports the combined secret (HPKE-sealed to a one-time key,
// opened here), and logs in to the principal with two-pass M-Pin (client1 → pass1 → client2 →
// pass2). Done when that login is accepted. The requests hold their node up (cluster.ts); the
// waits, the export and the login (a whole new pass 1 if the server restarted and forgot the
// challenge) are retried across faults.
//
// Checked at the end: every issuance complete with every D-TA's share (orders-final), what each
// node lists (orders-unique), and the exported client secret against what the D-TAs published —
// it must log in with its PIN and be refused with another (keys-match-addresses).
import { fromHex, toHex, wipe, client1, client2, extractPin, hashId, loadCurve, type CurveName } from '../../crypto/index.ts'
import { ApiCallError, exportKeyPair, openMpinSecret, type ApiClient } from '../../node/index.ts'
import { CID } from '../../protocol/index.ts'
import type { Cluster } from './cluster.ts'
import { compareListing, label, type ApiChecks, type OrderRecord, type ScenarioContext, type ScenarioRunner } from './orders.ts'
import { retrying } from './retry.ts'

const CURVE: CurveName = 'BLS12-381'
const PIN = 4_321

/** The fields of the API's Issuance this scenario reads (node/api/mpin-routes.ts). */
interface IssuanceJson {
  readonly id: string
  readonly status: 'pending' | 'complete' | 'refused'
  readonly issuance: string
  readonly beneficiary: string
  readonly mpinId: string | null
  readonly dtas: readonly string[]
  readonly answered: readonly string[]
  readonly refusals: ReadonlyArray<{ readonly dta: string, readonly error: string, readonly message: string }>
  readonly secretAvailable: boolean
}

const mpinIdOf = (cluster: Cluster, r: OrderRecord): string => `${cluster.node(r.beneficiary).identity}/sim-${r.index}`

async function issue (cluster: Cluster, i: number, body: Record<string, unknown>, signal: AbortSignal): Promise<string> {
  const created = await cluster.hold(i, async (api) => await api.request<IssuanceJson>('POST', '/v1/mpin/issuance', { curve: CURVE, ...body }, { signal }), signal)
  return created.id
}

async function settled (cluster: Cluster, i: number, id: string, signal: AbortSignal): Promise<IssuanceJson> {
  for (;;) {
    const v = await retrying(cluster, i, async (api) => await api.request<IssuanceJson>('GET', `/v1/mpin/issuance/${id}?wait=settled&timeoutMs=5000`, undefined, { signal }), signal)
    if (v.status === 'refused') throw new Error(`issuance ${id} refused: ${v.refusals.map((r) => `${r.error}: ${r.message}`).join('; ')}`)
    if (v.status === 'complete') return v
  }
}

async function exported (cluster: Cluster, i: number, id: string, signal: AbortSignal): Promise<Uint8Array> {
  const kp = exportKeyPair()
  try {
    const e = await retrying(cluster, i, async (api) => await api.request<{ enc: string, ciphertext: string }>('POST', `/v1/mpin/issuance/${id}/secret`, { recipientKey: toHex(kp.publicKey) }, { signal }), signal)
    return openMpinSecret(kp.secretKey, CID.parse(id), { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) })
  } finally {
    wipe(kp.secretKey)
  }
}

/** Two-pass M-Pin against the server at node i: accepted, or the rejection's error name. */
async function login (cluster: Cluster, i: number, mpinId: string, secret: Uint8Array, pin: number, signal: AbortSignal): Promise<string> {
  const curve = await loadCurve(CURVE)
  const h = hashId(curve, new TextEncoder().encode(mpinId))
  const token = extractPin(curve, secret, h, PIN)
  const pass = async (api: ApiClient): Promise<string> => {
    // A fresh x for every attempt: two answers V with the same x and different challenges would
    // give the client's secret away.
    const c1 = client1(curve, { hashedId: h, pin, token })
    const p1 = await api.request<{ challenge: string, y: string }>('POST', '/v1/mpin/pass1', { curve: CURVE, id: mpinId, U: toHex(c1.U) }, { signal })
    const V = client2(curve, c1.x, fromHex(p1.y), c1.sec)
    const p2 = await api.request<{ accepted: boolean, error: { name: string } | null }>('POST', '/v1/mpin/pass2', { challenge: p1.challenge, V: toHex(V) }, { signal })
    return p2.accepted ? 'accepted' : p2.error?.name ?? 'rejected'
  }
  for (;;) {
    try {
      return await retrying(cluster, i, pass, signal)
    } catch (err) {
      // The server restarted between the passes and no longer knows the challenge: log in again.
      if (!(err instanceof ApiCallError) || err.remoteName !== 'UnknownChallengeError') throw err
    }
  }
}

/** Server secrets for every principal with M-Pin orders, from every D-TA of those orders. */
async function prepare (ctx: ScenarioContext, signal: AbortSignal): Promise<void> {
  const { cluster } = ctx
  const orders = ctx.plan.orders.filter((o) => o.kind === 'mpin')
  const servers = [...new Set(orders.map((o) => o.principal))]
  const dtas = orders[0]?.fiduciaries.map((f) => cluster.node(f).identity) ?? []
  await Promise.all(servers.map(async (p) => {
    const id = await issue(cluster, p, { issuance: 'server-secret', dtas }, signal)
    ctx.serverSecrets.set(p, Promise.resolve(id))
    await settled(cluster, p, id, signal)
  }))
}

async function run (ctx: ScenarioContext, record: OrderRecord, signal: AbortSignal): Promise<void> {
  const { cluster, now } = ctx
  const { principal: p, beneficiary: b } = record
  record.startedMs = now()
  const mpinId = mpinIdOf(cluster, record)
  const id = await issue(cluster, b, { issuance: 'client-secret', dtas: record.fiduciaries.map((f) => cluster.node(f).identity), id: mpinId }, signal)
  record.id = id
  record.createdMs = now()
  await settled(cluster, b, id, signal)
  record.publishedMs = now()
  const secret = await exported(cluster, b, id, signal)
  record.releaseMs = now()
  try {
    const result = await login(cluster, p, mpinId, secret, PIN, signal)
    if (result !== 'accepted') throw new Error(`the authentication server node${p} rejected the login with the issued secret: ${result}`)
  } finally {
    wipe(secret)
  }
  record.redeemedMs = now()
  record.doneMs = now()
}

async function check (ctx: ScenarioContext, records: readonly OrderRecord[], { final, unique, keys }: ApiChecks, signal: AbortSignal): Promise<void> {
  const { cluster } = ctx
  const servers = new Map<string, number>()
  for (const [p, id] of ctx.serverSecrets) servers.set(await id, p)
  const listed = await Promise.all(cluster.nodes.map(async (n) => {
    try {
      const page = await retrying(cluster, n.index, async (api) => await api.request<{ issuances: IssuanceJson[] }>('GET', '/v1/mpin/issuance', undefined, { signal }), signal)
      return new Map(page.issuances.map((v) => [v.id, v]))
    } catch (err) {
      unique.fail(`node${n.index}: its M-Pin issuances could not be listed: ${(err as Error).message}`)
      return undefined
    }
  }))
  const created = new Set([...records.flatMap((r) => r.id === undefined ? [] : [r.id]), ...servers.keys()])
  listed.forEach((issuances, i) => {
    if (issuances === undefined) return
    const expected = new Map([
      ...records.filter((r) => r.id !== undefined && r.beneficiary === i).map((r) => [r.id as string, label(r)] as const),
      ...[...servers].filter(([, p]) => p === i).map(([id]) => [id, `the server-secret issuance of node${i}`] as const)
    ])
    compareListing(unique, i, 'M-Pin issuance', [...issuances.keys()], expected, created)
  })

  for (const r of records) {
    final.checked++
    if (r.id === undefined) { final.fail(`${label(r)} was never requested: ${r.error ?? 'no answer'}`); continue }
    const v = listed[r.beneficiary]?.get(r.id)
    const dtas = r.fiduciaries.map((f) => cluster.node(f).identity)
    if (v === undefined || v.status !== 'complete') final.fail(`${label(r)}: the client secret at node${r.beneficiary} is '${v?.status ?? 'unknown'}', not 'complete'`)
    else if ([...v.answered].sort().join() !== [...dtas].sort().join()) final.fail(`${label(r)}: node${r.beneficiary} holds shares from ${v.answered.length} of the ${dtas.length} D-TAs`)
    if (v !== undefined && v.mpinId !== mpinIdOf(cluster, r)) unique.fail(`${label(r)}: node${r.beneficiary} has M-Pin identity ${v.mpinId ?? 'none'}`)
    if (r.error !== undefined) final.fail(`${label(r)}: ${r.error}`)
    if (v?.status !== 'complete') continue
    keys.checked++
    try {
      const secret = await exported(cluster, r.beneficiary, r.id, signal)
      const mpinId = mpinIdOf(cluster, r)
      const right = await login(cluster, r.principal, mpinId, secret, PIN, signal)
      const wrong = await login(cluster, r.principal, mpinId, secret, PIN + 1, signal)
      wipe(secret)
      if (right !== 'accepted') keys.fail(`${label(r)}: the exported client secret does not log in to node${r.principal} with its PIN (${right})`)
      if (wrong !== 'BadPinError') keys.fail(`${label(r)}: a wrong PIN is not refused by node${r.principal} (${wrong})`)
    } catch (err) {
      keys.fail(`${label(r)}: the client secret could not be exported and tried: ${(err as Error).name}: ${(err as Error).message}`)
    }
  }
}

export const mpin: ScenarioRunner = { run, check, prepare }
