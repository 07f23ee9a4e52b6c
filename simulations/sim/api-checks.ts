// The invariants checked through the nodes' REST APIs while every node is up and the network is
// quiet: orders-final, orders-unique, keys-match-addresses (see invariants.ts).
import { secp256k1PublicKey, toHex, fromHex, walletAddresses, wipe, type BitcoinNetwork } from '../../crypto/index.ts'
import { exportKeyPair, openExport, type ApiClient, type OrderJson } from '../../node/index.ts'
import { CID } from '../../protocol/index.ts'
import type { Cluster } from './cluster.ts'
import { Check, type InvariantResult } from './invariants.ts'
import { retrying } from './retry.ts'
import { atStage, type OrderRecord } from './scenario-custody.ts'

const label = (r: OrderRecord): string => `order #${r.index}${r.id === undefined ? '' : ` (${r.id})`}`

async function listAll (api: ApiClient, signal: AbortSignal): Promise<OrderJson[]> {
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

export async function checkThroughApis (cluster: Cluster, records: readonly OrderRecord[], signal: AbortSignal): Promise<InvariantResult[]> {
  const final = new Check('orders-final')
  const unique = new Check('orders-unique')
  const keys = new Check('keys-match-addresses')

  // What every node lists.
  const listed = await Promise.all(cluster.nodes.map(async (n) => {
    try {
      return await retrying(cluster, n.index, async (api) => await listAll(api, signal), signal)
    } catch (err) {
      unique.fail(`node${n.index}: its orders could not be listed: ${(err as Error).message}`)
      return undefined
    }
  }))
  const byNode = listed.map((orders) => new Map((orders ?? []).map((o) => [o.id, o])))

  // orders-unique
  const created = new Map<string, OrderRecord>()
  for (const r of records) {
    if (r.id === undefined) continue
    const other = created.get(r.id)
    if (other !== undefined) unique.fail(`${label(r)} has the same id as order #${other.index}`)
    created.set(r.id, r)
  }
  listed.forEach((orders, i) => {
    if (orders === undefined) return
    unique.checked++
    const node = cluster.node(i)
    const seen = new Set<string>()
    for (const o of orders) {
      if (seen.has(o.id)) unique.fail(`node${i} lists order ${o.id} twice`)
      seen.add(o.id)
      const r = created.get(o.id)
      if (r === undefined) { unique.fail(`node${i} lists order ${o.id}, which no one created (a duplicate or a stray)`); continue }
      if (![r.principal, r.beneficiary, r.fiduciary].includes(i)) unique.fail(`node${i} lists ${label(r)} but is not one of its parties`)
      const parties = [o.principal, o.beneficiary, o.fiduciary].join()
      const planned = [r.principal, r.beneficiary, r.fiduciary].map((j) => cluster.node(j).identity).join()
      if (parties !== planned) unique.fail(`node${i} has other parties for ${label(r)} than were ordered`)
      if (o.network !== r.network) unique.fail(`node${i} has network ${o.network} for ${label(r)}, ordered on ${r.network}`)
    }
    for (const r of created.values()) {
      if ([r.principal, r.beneficiary, r.fiduciary].includes(i) && !seen.has(r.id as string)) unique.fail(`${label(r)} is lost at node${i} (${node.home.config.roles.join()})`)
    }
  })

  // orders-final and keys-match-addresses
  for (const r of records) {
    final.checked++
    if (r.id === undefined) { final.fail(`${label(r)} was never created: ${r.error ?? 'no answer'}`); continue }
    const at = (i: number): OrderJson | undefined => byNode[i]?.get(r.id as string)
    const p = at(r.principal)
    const b = at(r.beneficiary)
    const f = at(r.fiduciary)
    if (p === undefined || !atStage(p, 'principal-redeemed')) final.fail(`${label(r)}: principal node${r.principal} is at '${p?.status.principal ?? 'unknown'}', not 'redeemed'`)
    if (b === undefined || !atStage(b, 'beneficiary-redeemed')) final.fail(`${label(r)}: beneficiary node${r.beneficiary} is at '${b?.status.beneficiary ?? 'unknown'}', not 'redeemed'`)
    if (f === undefined || !atStage(f, 'fiduciary-released')) final.fail(`${label(r)}: fiduciary node${r.fiduciary} is at '${f?.status.fiduciary ?? 'unknown'}', not 'released'`)
    if (r.error !== undefined) final.fail(`${label(r)}: ${r.error}`)

    if (p?.wallet == null || b === undefined || !b.keyAvailable) continue
    keys.checked++
    const published = p.wallet
    for (const [who, o] of [['beneficiary', b], ['fiduciary', f]] as const) {
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
  // Every order that reached the beneficiary must have been checked.
  for (const r of records) {
    const b = r.id === undefined ? undefined : byNode[r.beneficiary]?.get(r.id)
    if (b !== undefined && atStage(b, 'beneficiary-redeemed') && !b.keyAvailable) keys.fail(`${label(r)}: redeemed at the beneficiary, but no key is available to export`)
  }
  return [final.result(), unique.result(), keys.result()]
}
