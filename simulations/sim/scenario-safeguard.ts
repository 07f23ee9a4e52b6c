// Safeguarded secrets driven through the REST API: the principal deposits the order's secret
// (seeded test bytes) with its n fiduciaries, k of them needed to recover, for the beneficiary;
// once every share is held it asks for the release; the order is done when the beneficiary has
// recovered the secret, the principal counts k releases and every fiduciary has released.
// The deposit holds its node up (cluster.ts); everything else is retried across faults.
//
// Checked at the end: each party's status (orders-final), what each node lists with the same
// terms everywhere (orders-unique), and the secret the beneficiary exports — sealed to a
// one-time key, opened here — byte for byte against the one deposited (keys-match-addresses).
import { equalBytes, fromHex, toHex, wipe } from '../../crypto/index.ts'
import type { ApiClient } from '../../node/index.ts'
import { exportKeyPair, openSecret } from '../../node/services/safeguard-export.ts'
import { CID } from '../../protocol/index.ts'
import type { Cluster } from './cluster.ts'
import { compareListing, label, type ApiChecks, type OrderRecord, type ScenarioContext, type ScenarioRunner } from './orders.ts'
import { retrying } from './retry.ts'

/** The fields of the API's Deposit this scenario reads (node/api/safeguard-routes.ts). */
interface DepositJson {
  readonly id: string
  readonly status: { readonly principal?: string, readonly fiduciary?: string, readonly beneficiary?: string }
  readonly principal: string
  readonly beneficiary: string
  readonly fiduciaries: readonly string[]
  readonly threshold: number
  readonly commitment: string
  readonly recovered: boolean
}

type Stage = 'held' | 'principal-released' | 'fiduciary-released' | 'recovered'
const WAIT: Readonly<Record<Stage, string>> = { held: 'held', 'principal-released': 'released', 'fiduciary-released': 'released', recovered: 'recovered' }

function atStage (d: DepositJson, stage: Stage): boolean {
  switch (stage) {
    case 'held': return d.status.principal !== undefined && d.status.principal !== 'depositing'
    case 'principal-released': return d.status.principal === 'released'
    case 'fiduciary-released': return d.status.fiduciary === 'released'
    case 'recovered': return d.recovered
  }
}

async function until (cluster: Cluster, i: number, id: string, stage: Stage, signal: AbortSignal): Promise<DepositJson> {
  for (;;) {
    const d = await retrying(cluster, i, async (api) => await api.request<DepositJson>('GET', `/v1/safeguards/${id}?wait=${WAIT[stage]}&timeoutMs=5000`, undefined, { signal }), signal)
    if (atStage(d, stage)) return d
  }
}

async function listDeposits (api: ApiClient, signal: AbortSignal): Promise<DepositJson[]> {
  const all: DepositJson[] = []
  let cursor: string | undefined
  do {
    signal.throwIfAborted()
    const page = await api.request<{ deposits: DepositJson[], next: string | null }>('GET', `/v1/safeguards?limit=500${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, undefined, { signal })
    all.push(...page.deposits)
    cursor = page.next ?? undefined
  } while (cursor !== undefined)
  return all
}

function secretOf (ctx: ScenarioContext, r: OrderRecord): Uint8Array {
  const hex = ctx.plan.orders[r.index]?.secret
  if (hex === undefined) throw new TypeError(`${label(r)} has no secret in the plan`)
  return fromHex(hex)
}

async function run (ctx: ScenarioContext, record: OrderRecord, signal: AbortSignal): Promise<void> {
  const { cluster, now } = ctx
  const { principal: p, beneficiary: b } = record
  record.startedMs = now()
  const secret = secretOf(ctx, record)
  const created = await cluster.hold(p, async (api) => await api.request<DepositJson>('POST', '/v1/safeguards', {
    secret: Buffer.from(secret).toString('base64'),
    beneficiary: cluster.node(b).identity,
    fiduciaries: record.fiduciaries.map((f) => cluster.node(f).identity),
    threshold: record.threshold
  }, { signal }), signal)
  const id = created.id
  record.id = id
  record.createdMs = now()
  await until(cluster, p, id, 'held', signal)
  record.publishedMs = now()
  await retrying(cluster, p, async (api) => await api.request('POST', `/v1/safeguards/${id}/release`, {}, { signal }), signal)
  record.releaseMs = now()
  await Promise.all([
    until(cluster, b, id, 'recovered', signal).then(() => { record.redeemedMs = now() }),
    until(cluster, p, id, 'principal-released', signal),
    ...record.fiduciaries.map(async (f) => await until(cluster, f, id, 'fiduciary-released', signal))
  ])
  record.doneMs = now()
}

async function check (ctx: ScenarioContext, records: readonly OrderRecord[], { final, unique, keys }: ApiChecks, signal: AbortSignal): Promise<void> {
  const { cluster } = ctx
  const listed = await Promise.all(cluster.nodes.map(async (n) => {
    try {
      return new Map((await retrying(cluster, n.index, async (api) => await listDeposits(api, signal), signal)).map((d) => [d.id, d]))
    } catch (err) {
      unique.fail(`node${n.index}: its deposits could not be listed: ${(err as Error).message}`)
      return undefined
    }
  }))
  const created = new Set(records.flatMap((r) => r.id === undefined ? [] : [r.id]))
  listed.forEach((deposits, i) => {
    if (deposits === undefined) return
    const expected = new Map(records.filter((r) => r.id !== undefined && [r.principal, r.beneficiary, ...r.fiduciaries].includes(i)).map((r) => [r.id as string, label(r)]))
    compareListing(unique, i, 'deposit', [...deposits.keys()], expected, created)
    for (const r of records) {
      const d = r.id === undefined ? undefined : deposits.get(r.id)
      if (d === undefined) continue
      const terms = [d.principal, d.beneficiary, ...d.fiduciaries, d.threshold].join()
      const planned = [...[r.principal, r.beneficiary, ...r.fiduciaries].map((j) => cluster.node(j).identity), r.threshold].join()
      if (terms !== planned) unique.fail(`node${i} has other terms for ${label(r)} than were deposited`)
    }
  })

  for (const r of records) {
    final.checked++
    if (r.id === undefined) { final.fail(`${label(r)} was never created: ${r.error ?? 'no answer'}`); continue }
    const at = (i: number): DepositJson | undefined => listed[i]?.get(r.id as string)
    const p = at(r.principal)
    const b = at(r.beneficiary)
    if (p === undefined || !atStage(p, 'principal-released')) final.fail(`${label(r)}: principal node${r.principal} is at '${p?.status.principal ?? 'unknown'}', not 'released'`)
    if (b === undefined || !atStage(b, 'recovered')) final.fail(`${label(r)}: beneficiary node${r.beneficiary} is at '${b?.status.beneficiary ?? 'unknown'}', not 'recovered'`)
    for (const f of r.fiduciaries) {
      const d = at(f)
      if (d === undefined || !atStage(d, 'fiduciary-released')) final.fail(`${label(r)}: fiduciary node${f} is at '${d?.status.fiduciary ?? 'unknown'}', not 'released'`)
    }
    if (r.error !== undefined) final.fail(`${label(r)}: ${r.error}`)

    if (b === undefined || !b.recovered) continue
    keys.checked++
    for (const i of [r.principal, ...r.fiduciaries]) {
      const d = at(i)
      if (d !== undefined && d.commitment !== b.commitment) keys.fail(`${label(r)}: node${i} holds another commitment than the beneficiary`)
    }
    try {
      const kp = exportKeyPair()
      const e = await retrying(cluster, r.beneficiary, async (api) => await api.request<{ enc: string, ciphertext: string, size: number }>('POST', `/v1/safeguards/${r.id as string}/secret`, { recipientKey: toHex(kp.publicKey) }, { signal }), signal)
      const recovered = openSecret(kp.secretKey, CID.parse(r.id), { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) })
      wipe(kp.secretKey)
      const deposited = secretOf(ctx, r)
      if (!equalBytes(recovered, deposited)) keys.fail(`${label(r)}: the secret the beneficiary recovered is not the one deposited (${recovered.length} bytes, ${deposited.length} deposited)`)
      wipe(recovered)
    } catch (err) {
      keys.fail(`${label(r)}: the beneficiary's secret could not be exported and checked: ${(err as Error).name}: ${(err as Error).message}`)
    }
  }
}

export const safeguard: ScenarioRunner = { run, check }
