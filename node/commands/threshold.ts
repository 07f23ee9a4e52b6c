// `milagro threshold create|list|show|release|refresh|reshare|address|export`: t-of-n custody
// orders through the node's REST API (/v1/threshold), like `milagro order` for 2-of-2 custody.
// `export` asks the node to seal the redeemed wallet key (or a child address's key) to a one-time
// X25519 key generated here, opens it, and writes WIF or hex to a new file with mode 0600 — the
// key is never printed, and never crosses the API in clear.
import { open } from 'node:fs/promises'
import { Option, type Command } from 'commander'
import { CID } from 'multiformats/cid'
import { fromHex, toHex, wipe } from '../../crypto/index.ts'
import type { ApiClient } from '../api/client.ts'
import { exportKeyPair, openExport } from '../services/custody-export.ts'
import { clientFor } from './order.ts'

interface Common { home?: string, url?: string, json: boolean }

interface ThresholdJson {
  id: string
  status: Record<string, string>
  principal: string
  beneficiary: string
  network: string
  epoch: { round: number, fiduciaries: string[], threshold: number, holders: number[] } | null
  round: { round: number, kind: string, status: string, fiduciaries: string[], threshold: number, qualified: number[], complaints: Array<{ receiver: number, dealer: number, reason: string, justified: boolean }>, reason: string | null }
  wallet: { walletKey: string, p2wpkh: string, p2pkh: string, ethereum: string } | null
  index: number | null
  received: number[]
  redeemed: boolean
}

function printOrder (o: ThresholdJson, json: boolean): void {
  if (json) { console.log(JSON.stringify(o)); return }
  console.log(`order       ${o.id}`)
  console.log(`  status    ${Object.entries(o.status).map(([role, s]) => `${role}: ${s}`).join(', ')}`)
  console.log(`  network   ${o.network}`)
  console.log(`  parties   principal ${o.principal}`)
  console.log(`            beneficiary ${o.beneficiary}`)
  const e = o.epoch
  const list = e?.fiduciaries ?? o.round.fiduciaries
  list.forEach((f, k) => { console.log(`            fiduciary ${k + 1} ${f}${e !== null && e.holders.includes(k + 1) ? ' (holds a share)' : ''}`) })
  console.log(`  threshold ${e?.threshold ?? o.round.threshold} of ${list.length}${o.index !== null ? ` (this node is fiduciary ${o.index})` : ''}`)
  const r = o.round
  console.log(`  round     ${r.round} (${r.kind}): ${r.status}${r.reason !== null ? ` — ${r.reason}` : ''}`)
  for (const c of r.complaints) console.log(`            receiver ${c.receiver} complained (${c.reason}) about dealer ${c.dealer}: ${c.justified ? 'justified' : 'shown false'}`)
  if (o.wallet !== null) {
    console.log(`  P2WPKH    ${o.wallet.p2wpkh}`)
    console.log(`  P2PKH     ${o.wallet.p2pkh}`)
    console.log(`  Ethereum  ${o.wallet.ethereum}`)
    console.log(`  key       ${o.wallet.walletKey}`)
  }
  if (o.redeemed && o.status.beneficiary !== undefined) console.log('  the wallet key is held by this node: `milagro threshold export` writes it to a file')
}

const common = (cmd: Command): Command => cmd
  .option('--home <dir>', 'node home directory (default: $MILAGRO_HOME or ~/.milagro)')
  .option('--url <url>', 'REST API base URL (default: from the home\'s config)')
  .option('--json', 'print JSON', false)

const cids = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '')
const int = (v: string): number => {
  const n = Number.parseInt(v, 10)
  if (!Number.isSafeInteger(n) || String(n) !== v.trim()) throw new Error(`not an integer: ${v}`)
  return n
}

async function waitRound (client: ApiClient, id: string, round: number): Promise<ThresholdJson> {
  return await client.request<ThresholdJson>('GET', `/v1/threshold/${id}?wait=round-ended&round=${round}&timeoutMs=120000`)
}

export function register (program: Command): void {
  const t = program.command('threshold').description('t-of-n custody orders: create, list, show, release, refresh, reshare, address, export (through the REST API)')

  common(t.command('create'))
    .description('create an order as principal: the fiduciaries generate the wallet key\'s fiduciary part together, as t-of-n shares')
    .requiredOption('--beneficiary <cid>', 'identity CID of the beneficiary')
    .requiredOption('--fiduciaries <cids>', 'comma-separated identity CIDs of the fiduciaries (fiduciary k holds share k)', cids)
    .requiredOption('--threshold <t>', 'shares needed to release', int)
    .addOption(new Option('--network <network>', 'Bitcoin network of the addresses').choices(['mainnet', 'testnet', 'signet', 'regtest']))
    .option('--phase-ms <ms>', 'how long each phase of a round waits for the parties (the synchrony bound)', int)
    .option('--wait', 'wait until the address is published (or the key generation failed)', false)
    .action(async (opts: Common & { beneficiary: string, fiduciaries: string[], threshold: number, network?: string, phaseMs?: number, wait: boolean }) => {
      const client = await clientFor(opts)
      let o = await client.request<ThresholdJson>('POST', '/v1/threshold', {
        beneficiary: opts.beneficiary,
        fiduciaries: opts.fiduciaries,
        threshold: opts.threshold,
        ...(opts.network === undefined ? {} : { network: opts.network }),
        ...(opts.phaseMs === undefined ? {} : { phaseMs: opts.phaseMs })
      })
      if (opts.wait) {
        o = await waitRound(client, o.id, 0)
        if (o.round.status === 'qualified' && o.wallet === null) o = await client.request<ThresholdJson>('GET', `/v1/threshold/${o.id}?wait=published&timeoutMs=120000`)
      }
      printOrder(o, opts.json)
    })

  common(t.command('list'))
    .description('threshold orders this node plays a role in, oldest first')
    .option('--limit <n>', 'orders per page', int)
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--all', 'follow the pages to the end', false)
    .action(async (opts: Common & { limit?: number, cursor?: string, all: boolean }) => {
      const client = await clientFor(opts)
      let cursor = opts.cursor
      const all: ThresholdJson[] = []
      let next: string | null = null
      do {
        const q = new URLSearchParams()
        if (cursor !== undefined) q.set('cursor', cursor)
        if (opts.limit !== undefined) q.set('limit', String(opts.limit))
        const page: { orders: ThresholdJson[], next: string | null } = await client.request('GET', `/v1/threshold${q.size > 0 ? `?${q.toString()}` : ''}`)
        all.push(...page.orders)
        next = page.next
        cursor = next ?? undefined
      } while (opts.all && next !== null)
      if (opts.json) { console.log(JSON.stringify({ orders: all, next })); return }
      for (const o of all) console.log(`${o.id}  ${Object.entries(o.status).map(([r, s]) => `${r}:${s}`).join(' ')}  ${o.epoch?.threshold ?? o.round.threshold}-of-${(o.epoch?.fiduciaries ?? o.round.fiduciaries).length}  ${o.wallet?.p2wpkh ?? '-'}`)
      if (next !== null) console.log(`(more: --cursor ${next})`)
    })

  common(t.command('show'))
    .description('one order')
    .argument('<id>', 'order id')
    .addOption(new Option('--wait [stage]', 'wait until the order reaches a stage').choices(['published', 'redeemed', 'round-ended', 'failed']))
    .action(async (id: string, opts: Common & { wait?: string | true }) => {
      const client = await clientFor(opts)
      const wait = opts.wait === undefined ? '' : `?wait=${opts.wait === true ? 'published' : opts.wait}&timeoutMs=120000`
      printOrder(await client.request<ThresholdJson>('GET', `/v1/threshold/${id}${wait}`), opts.json)
    })

  common(t.command('release'))
    .description('ask the holders to release their shares to the beneficiary (principal only; repeating is harmless)')
    .argument('<id>', 'order id')
    .option('--wait', 'wait until the beneficiary redeemed (use on the beneficiary\'s node)', false)
    .action(async (id: string, opts: Common & { wait: boolean }) => {
      const client = await clientFor(opts)
      let o = await client.request<ThresholdJson>('POST', `/v1/threshold/${id}/release`, {})
      if (opts.wait) o = await client.request<ThresholdJson>('GET', `/v1/threshold/${id}?wait=redeemed&timeoutMs=120000`)
      printOrder(o, opts.json)
    })

  common(t.command('refresh'))
    .description('re-randomise the fiduciaries\' shares: same key and address, old shares stop combining (principal only)')
    .argument('<id>', 'order id')
    .option('--wait', 'wait until the round ended', false)
    .action(async (id: string, opts: Common & { wait: boolean }) => {
      const client = await clientFor(opts)
      let o = await client.request<ThresholdJson>('POST', `/v1/threshold/${id}/refresh`, {})
      if (opts.wait) o = await waitRound(client, id, o.round.round)
      printOrder(o, opts.json)
    })

  common(t.command('reshare'))
    .description('move the key to a new set of fiduciaries and threshold (replace a fiduciary) without moving funds (principal only)')
    .argument('<id>', 'order id')
    .requiredOption('--fiduciaries <cids>', 'comma-separated identity CIDs of the new fiduciaries', cids)
    .requiredOption('--threshold <t>', 'the new threshold', int)
    .option('--wait', 'wait until the round ended', false)
    .action(async (id: string, opts: Common & { fiduciaries: string[], threshold: number, wait: boolean }) => {
      const client = await clientFor(opts)
      let o = await client.request<ThresholdJson>('POST', `/v1/threshold/${id}/reshare`, { fiduciaries: opts.fiduciaries, threshold: opts.threshold })
      if (opts.wait) o = await waitRound(client, id, o.round.round)
      printOrder(o, opts.json)
    })

  common(t.command('address'))
    .description('receiving address i: the non-hardened BIP-32 child W/i of the wallet key')
    .argument('<id>', 'order id')
    .requiredOption('--index <i>', 'child index (0 ≤ i < 2^31)', int)
    .action(async (id: string, opts: Common & { index: number }) => {
      const client = await clientFor(opts)
      const a = await client.request<{ index: number, publicKey: string, p2wpkh: string, p2pkh: string, ethereum: string }>('GET', `/v1/threshold/${id}/addresses?index=${opts.index}`)
      if (opts.json) { console.log(JSON.stringify(a)); return }
      console.log(`child ${a.index} of order ${id}`)
      console.log(`  P2WPKH    ${a.p2wpkh}`)
      console.log(`  P2PKH     ${a.p2pkh}`)
      console.log(`  Ethereum  ${a.ethereum}`)
      console.log(`  key       ${a.publicKey}`)
    })

  common(t.command('export'))
    .description('write the redeemed wallet key (or child i\'s key) to a new file (mode 0600); beneficiary only')
    .argument('<id>', 'order id')
    .requiredOption('--out <file>', 'file to create (refuses to overwrite)')
    .addOption(new Option('--format <format>', 'WIF (compressed) or hex').choices(['wif', 'hex']).default('wif'))
    .option('--child <i>', 'export the key of child address i', int)
    .action(async (id: string, opts: Common & { out: string, format: 'wif' | 'hex', child?: number }) => {
      const client = await clientFor(opts)
      const order = CID.parse(id)
      const kp = exportKeyPair()
      let text: Uint8Array | undefined
      try {
        const e = await client.request<{ format: string, network: string, publicKey: string, child: number | null, enc: string, ciphertext: string }>('POST', `/v1/threshold/${id}/export`, {
          format: opts.format, recipientKey: toHex(kp.publicKey), ...(opts.child === undefined ? {} : { child: opts.child })
        })
        text = openExport(kp.secretKey, order, { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) })
        const fh = await open(opts.out, 'wx', 0o600)
        try {
          await fh.write(text)
          await fh.write('\n')
          await fh.sync()
        } finally {
          await fh.close()
        }
        if (opts.json) console.log(JSON.stringify({ file: opts.out, format: e.format, network: e.network, publicKey: e.publicKey, child: e.child }))
        else console.log(`wrote the ${e.network} ${e.child === null ? 'wallet key' : `key of child ${e.child}`} (${e.format}) of order ${id} to ${opts.out} (mode 0600); public key ${e.publicKey}`)
      } finally {
        wipe(kp.secretKey)
        if (text !== undefined) wipe(text)
      }
    })
}
