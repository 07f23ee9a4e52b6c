// `milagro order create|list|show|release|export`: custody orders through the node's REST API.
// The API address comes from the home's config (api.host, api.port) unless --url is given; the
// bearer token from <home>/api-token (mode 0600). `export` asks the node to seal the redeemed
// wallet key to a one-time X25519 key generated here, opens it, and writes WIF or hex to a new
// file with mode 0600 — the key is never printed, and never crosses the API in clear.
import { open } from 'node:fs/promises'
import { Option, type Command } from 'commander'
import { CID } from 'multiformats/cid'
import { fromHex, toHex, wipe } from '../../crypto/index.ts'
import { ApiClient, type OrderJson } from '../api/client.ts'
import { readApiToken } from '../api/token.ts'
import { readConfig } from '../config.ts'
import { defaultHome, homePaths } from '../home.ts'
import { exportKeyPair, openExport } from '../services/custody-export.ts'

interface Common { home?: string, url?: string, json: boolean }

export async function clientFor (opts: { home?: string, url?: string }): Promise<ApiClient> {
  const paths = homePaths(opts.home ?? defaultHome())
  const token = await readApiToken(paths.apiTokenPath)
  if (opts.url !== undefined) return new ApiClient({ url: opts.url, token })
  const { api } = await readConfig(paths.configPath)
  const host = api.host === '0.0.0.0' ? '127.0.0.1' : api.host === '::' ? '::1' : api.host
  return new ApiClient({ url: `http://${host.includes(':') ? `[${host}]` : host}:${api.port}`, token })
}

function printOrder (o: OrderJson, json: boolean): void {
  if (json) { console.log(JSON.stringify(o)); return }
  const status = Object.entries(o.status).map(([role, s]) => `${role}: ${s}`).join(', ')
  console.log(`order      ${o.id}`)
  console.log(`  status   ${status}`)
  console.log(`  network  ${o.network}`)
  console.log(`  parties  principal ${o.principal}`)
  console.log(`           beneficiary ${o.beneficiary}`)
  console.log(`           fiduciary ${o.fiduciary}`)
  if (o.wallet !== null) {
    console.log(`  P2WPKH   ${o.wallet.p2wpkh}`)
    console.log(`  P2PKH    ${o.wallet.p2pkh}`)
    console.log(`  Ethereum ${o.wallet.ethereum}`)
    console.log(`  key      ${o.wallet.publicKey}`)
  }
  if (o.keyAvailable) console.log('  the wallet key is held by this node: `milagro order export` writes it to a file')
}

const common = (cmd: Command): Command => cmd
  .option('--home <dir>', 'node home directory (default: $MILAGRO_HOME or ~/.milagro)')
  .option('--url <url>', 'REST API base URL (default: from the home\'s config)')
  .option('--json', 'print JSON', false)

const stage = new Option('--wait [stage]', 'wait until the order reaches a stage').choices(['published', 'released', 'redeemed'])

export function register (program: Command): void {
  const order = program.command('order').description('custody orders: create, list, show, release, export (through the REST API)')

  common(order.command('create'))
    .description('create an order as principal: a wallet for the beneficiary, with a share held by the fiduciary')
    .requiredOption('--beneficiary <cid>', 'identity CID of the beneficiary')
    .option('--fiduciary <cid>', 'identity CID of the fiduciary (default: the node\'s configured one)')
    .addOption(new Option('--network <network>', 'Bitcoin network of the addresses').choices(['mainnet', 'testnet', 'signet', 'regtest']))
    .option('--wait', 'wait until the address is published', false)
    .action(async (opts: Common & { beneficiary: string, fiduciary?: string, network?: string, wait: boolean }) => {
      const client = await clientFor(opts)
      let o = await client.createOrder({ beneficiary: opts.beneficiary, ...(opts.fiduciary === undefined ? {} : { fiduciary: opts.fiduciary }), ...(opts.network === undefined ? {} : { network: opts.network }) })
      if (opts.wait) o = await client.order(o.id, { stage: 'published', timeoutMs: 60_000 })
      printOrder(o, opts.json)
    })

  common(order.command('list'))
    .description('orders this node plays a role in, oldest first')
    .option('--limit <n>', 'orders per page', (v) => Number.parseInt(v, 10))
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--all', 'follow the pages to the end', false)
    .action(async (opts: Common & { limit?: number, cursor?: string, all: boolean }) => {
      const client = await clientFor(opts)
      let cursor = opts.cursor
      const all: OrderJson[] = []
      let next: string | null = null
      do {
        const page = await client.listOrders({ ...(cursor === undefined ? {} : { cursor }), ...(opts.limit === undefined ? {} : { limit: opts.limit }) })
        all.push(...page.orders)
        next = page.next
        cursor = next ?? undefined
      } while (opts.all && next !== null)
      if (opts.json) { console.log(JSON.stringify({ orders: all, next })); return }
      for (const o of all) console.log(`${o.id}  ${Object.entries(o.status).map(([r, s]) => `${r}:${s}`).join(' ')}  ${o.wallet?.p2wpkh ?? '-'}`)
      if (next !== null) console.log(`(more: --cursor ${next})`)
    })

  common(order.command('show'))
    .description('one order')
    .argument('<id>', 'order id')
    .addOption(stage)
    .action(async (id: string, opts: Common & { wait?: 'published' | 'released' | 'redeemed' | true }) => {
      const client = await clientFor(opts)
      const wait = opts.wait === undefined ? undefined : { stage: opts.wait === true ? 'published' as const : opts.wait, timeoutMs: 60_000 }
      printOrder(await client.order(id, wait), opts.json)
    })

  common(order.command('release'))
    .description('ask the fiduciary to release its share to the beneficiary (principal only; repeating is harmless)')
    .argument('<id>', 'order id')
    .option('--wait', 'wait until the release is confirmed', false)
    .action(async (id: string, opts: Common & { wait: boolean }) => {
      const client = await clientFor(opts)
      let o = await client.release(id)
      if (opts.wait) o = await client.order(id, { stage: 'released', timeoutMs: 60_000 })
      printOrder(o, opts.json)
    })

  common(order.command('export'))
    .description('write the redeemed wallet key to a new file (mode 0600); beneficiary only')
    .argument('<id>', 'order id')
    .requiredOption('--out <file>', 'file to create (refuses to overwrite)')
    .addOption(new Option('--format <format>', 'WIF (compressed) or hex').choices(['wif', 'hex']).default('wif'))
    .action(async (id: string, opts: Common & { out: string, format: 'wif' | 'hex' }) => {
      const client = await clientFor(opts)
      const order = CID.parse(id)
      const kp = exportKeyPair()
      let text: Uint8Array | undefined
      try {
        const e = await client.exportKey(id, opts.format, toHex(kp.publicKey))
        text = openExport(kp.secretKey, order, { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) })
        const fh = await open(opts.out, 'wx', 0o600)
        try {
          await fh.write(text)
          await fh.write('\n')
          await fh.sync()
        } finally {
          await fh.close()
        }
        if (opts.json) console.log(JSON.stringify({ file: opts.out, format: e.format, network: e.network, walletKey: e.walletKey }))
        else console.log(`wrote the ${e.network} wallet key (${e.format}) of order ${id} to ${opts.out} (mode 0600); public key ${e.walletKey}`)
      } finally {
        wipe(kp.secretKey)
        if (text !== undefined) wipe(text)
      }
    })
}
