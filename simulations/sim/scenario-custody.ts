// Custody orders driven through the REST API as their three operators would: the principal
// creates one and waits for the address, asks for the release, and the order is done when the
// beneficiary has redeemed (holds w with w·G = W), the principal has heard so, and the fiduciary
// has released. Every step but the creation is retried across faults (retry.ts); the creation
// holds its node up (cluster.ts) so it is never repeated.
//
// Checked at the end: each party's stage (orders-final), what each node lists (orders-unique),
// and the wallet key the beneficiary exports — opened here — against the public key and the
// three addresses the principal published, which every party must share (keys-match-addresses).
import { fromHex, secp256k1PublicKey, toHex, walletAddresses, wipe, type BitcoinNetwork } from '../../crypto/index.ts'
import { exportKeyPair, openExport, type ApiClient, type OrderJson } from '../../node/index.ts'
import { CID } from '../../protocol/index.ts'
import type { Cluster } from './cluster.ts'
import { compareListing, label, type ApiChecks, type OrderRecord, type ScenarioContext, type ScenarioRunner } from './orders.ts'
import { retrying } from './retry.ts'

export type Stage = 'published' | 'principal-redeemed' | 'beneficiary-redeemed' | 'fiduciary-released'

export function atStage (o: OrderJson, stage: Stage): boolean {
  switch (stage) {
    case 'published': return o.wallet !== null
    case 'principal-redeemed': return o.status.principal === 'redeemed'
    case 'beneficiary-redeemed': return o.status.beneficiary === 'redeemed'
    case 'fiduciary-released': return o.status.fiduciary === 'released'
  }
}

const WAIT: Readonly<Record<Stage, 'published' | 'released' | 'redeemed'>> = {
  published: 'published', 'principal-redeemed': 'redeemed', 'beneficiary-redeemed': 'redeemed', 'fiduciary-released': 'released'
}

/** Long-polls node i until order `id` reaches `stage` there. */
async function until (cluster: Cluster, i: number, id: string, stage: Stage, signal: AbortSignal): Promise<OrderJson> {
  for (;;) {
    const o = await retrying(cluster, i, async (api) => await api.order(id, { stage: WAIT[stage], timeoutMs: 5_000 }, { signal }), signal)
    if (atStage(o, stage)) return o
  }
}

/** Every page of a node's orders. */
export async function listOrders (api: ApiClient, signal: AbortSignal): Promise<OrderJson[]> {
  const all: OrderJson[] = []
  let cursor: string | undefined
  do {
    signal.throwIfAborted()
    const page = await api.listOrders({ limit: 500, ...(cursor === undefined ? {} : { cursor }) })
    all.push(...page.orders)
    cursor = page.next ?? undefined
  } while (cursor !== undefined)
  return all
}

async function run (ctx: ScenarioContext, record: OrderRecord, signal: AbortSignal): Promise<void> {
  const { cluster, now } = ctx
  const { principal: p, beneficiary: b } = record
  const f = record.fiduciaries[0] as number
  record.startedMs = now()
  const created = await cluster.hold(p, async (api) => await api.createOrder({
    beneficiary: cluster.node(b).identity,
    fiduciary: cluster.node(f).identity,
    network: record.network
  }), signal)
  const id = created.id
  record.id = id
  record.createdMs = now()
  await until(cluster, p, id, 'published', signal)
  record.publishedMs = now()
  await retrying(cluster, p, async (api) => await api.release(id), signal)
  record.releaseMs = now()
  await Promise.all([
    until(cluster, b, id, 'beneficiary-redeemed', signal).then(() => { record.redeemedMs = now() }),
    until(cluster, p, id, 'principal-redeemed', signal),
    until(cluster, f, id, 'fiduciary-released', signal)
  ])
  record.doneMs = now()
}

async function check (ctx: ScenarioContext, records: readonly OrderRecord[], { final, unique, keys }: ApiChecks, signal: AbortSignal): Promise<void> {
  const { cluster } = ctx
  const listed = await Promise.all(cluster.nodes.map(async (n) => {
    try {
      return new Map((await retrying(cluster, n.index, async (api) => await listOrders(api, signal), signal)).map((o) => [o.id, o]))
    } catch (err) {
      unique.fail(`node${n.index}: its custody orders could not be listed: ${(err as Error).message}`)
      return undefined
    }
  }))
  const created = new Set(records.flatMap((r) => r.id === undefined ? [] : [r.id]))
  listed.forEach((orders, i) => {
    if (orders === undefined) return
    const expected = new Map(records.filter((r) => r.id !== undefined && [r.principal, r.beneficiary, ...r.fiduciaries].includes(i)).map((r) => [r.id as string, label(r)]))
    compareListing(unique, i, 'custody order', [...orders.keys()], expected, created)
    for (const r of records) {
      const o = r.id === undefined ? undefined : orders.get(r.id)
      if (o === undefined) continue
      const planned = [r.principal, r.beneficiary, r.fiduciaries[0] as number].map((j) => cluster.node(j).identity).join()
      if ([o.principal, o.beneficiary, o.fiduciary].join() !== planned) unique.fail(`node${i} has other parties for ${label(r)} than were ordered`)
      if (o.network !== r.network) unique.fail(`node${i} has network ${o.network} for ${label(r)}, ordered on ${r.network}`)
    }
  })

  for (const r of records) {
    final.checked++
    if (r.id === undefined) { final.fail(`${label(r)} was never created: ${r.error ?? 'no answer'}`); continue }
    const f = r.fiduciaries[0] as number
    const p = listed[r.principal]?.get(r.id)
    const b = listed[r.beneficiary]?.get(r.id)
    const fo = listed[f]?.get(r.id)
    if (p === undefined || !atStage(p, 'principal-redeemed')) final.fail(`${label(r)}: principal node${r.principal} is at '${p?.status.principal ?? 'unknown'}', not 'redeemed'`)
    if (b === undefined || !atStage(b, 'beneficiary-redeemed')) final.fail(`${label(r)}: beneficiary node${r.beneficiary} is at '${b?.status.beneficiary ?? 'unknown'}', not 'redeemed'`)
    if (fo === undefined || !atStage(fo, 'fiduciary-released')) final.fail(`${label(r)}: fiduciary node${f} is at '${fo?.status.fiduciary ?? 'unknown'}', not 'released'`)
    if (r.error !== undefined) final.fail(`${label(r)}: ${r.error}`)

    if (b !== undefined && atStage(b, 'beneficiary-redeemed') && !b.keyAvailable) keys.fail(`${label(r)}: redeemed at the beneficiary, but no key is available to export`)
    if (p?.wallet == null || b === undefined || !b.keyAvailable) continue
    keys.checked++
    const published = p.wallet
    for (const [who, o] of [['beneficiary', b], ['fiduciary', fo]] as const) {
      if (o !== undefined && JSON.stringify(o.wallet) !== JSON.stringify(published)) keys.fail(`${label(r)}: the ${who} has another wallet than the principal published`)
    }
    try {
      const kp = exportKeyPair()
      const e = await retrying(cluster, r.beneficiary, async (api) => await api.exportKey(r.id as string, 'hex', toHex(kp.publicKey)), signal)
      const text = openExport(kp.secretKey, CID.parse(r.id), { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) })
      wipe(kp.secretKey)
      const secret = fromHex(new TextDecoder().decode(text))
      wipe(text)
      const publicKey = toHex(secp256k1PublicKey(secret))
      wipe(secret)
      const addresses = walletAddresses(fromHex(publicKey), r.network as BitcoinNetwork)
      if (publicKey !== published.publicKey) keys.fail(`${label(r)}: the exported key's public key ${publicKey} is not the published ${published.publicKey}`)
      if (e.walletKey !== published.publicKey) keys.fail(`${label(r)}: the export names wallet key ${e.walletKey}, not the published ${published.publicKey}`)
      for (const kind of ['p2wpkh', 'p2pkh', 'ethereum'] as const) {
        if (addresses[kind] !== published[kind]) keys.fail(`${label(r)}: the exported key's ${kind} address ${addresses[kind]} is not the published ${published[kind]}`)
      }
    } catch (err) {
      keys.fail(`${label(r)}: the beneficiary's key could not be exported and checked: ${(err as Error).name}: ${(err as Error).message}`)
    }
  }
}

export const custody: ScenarioRunner = { run, check }
