// `milagro safeguard deposit|list|show|release|approve|revoke|export`: safeguarded secrets through
// the node's REST API (address from the home's config unless --url; bearer token from
// <home>/api-token). The secret to deposit is read from a file or stdin — never from the command
// line, where other users can see it. `export` asks the beneficiary's node to seal the recovered
// secret to a one-time X25519 key generated here, opens it, and writes it to a new file with mode
// 0600: the secret is never printed and never crosses the API in clear.
import { open, readFile } from 'node:fs/promises'
import { Option, type Command } from 'commander'
import { CID } from 'multiformats/cid'
import type { z } from 'zod'
import { fromHex, toHex, wipe } from '../../crypto/index.ts'
import { MAX_SECRET_BYTES } from '../../protocol/safeguard/sharing.ts'
import type { Deposit } from '../api/safeguard-routes.ts'
import { exportKeyPair, openSecret } from '../services/safeguard-export.ts'
import { clientFor } from './order.ts'

type DepositJson = z.infer<typeof Deposit>
interface Common { home?: string, url?: string, json: boolean }

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
const int = (v: string): number => {
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`'${v}' is not a non-negative integer`)
  return n
}

export function printDeposit (d: DepositJson, json: boolean): void {
  if (json) { console.log(JSON.stringify(d)); return }
  console.log(`deposit      ${d.id}`)
  console.log(`  status     ${Object.entries(d.status).map(([role, s]) => `${role}: ${s}`).join(', ')}`)
  console.log(`  principal  ${d.principal}`)
  console.log(`  for        ${d.beneficiary}`)
  console.log(`  shares     ${d.threshold}-of-${d.fiduciaries.length}, ${d.size} bytes, commitment ${d.commitment}`)
  for (const [i, f] of d.fiduciaries.entries()) {
    const p = d.progress[i]
    console.log(`    ${i}  ${f}${p === undefined ? '' : `  ${p.destroyed ? 'destroyed' : p.released ? 'released' : p.held ? 'held' : p.accepted ? 'accepted' : 'pending'}`}`)
  }
  if (d.delayMs > 0 || d.approver !== null) console.log(`  release    ${d.requesters}${d.delayMs > 0 ? `, ${d.delayMs} ms after the request` : ''}${d.approver !== null ? `, approved by ${d.approver}` : ''}`)
  if (d.label !== '') console.log(`  label      ${d.label}`)
  if (d.roles.includes('beneficiary')) console.log(`  received   ${d.received} of ${d.threshold} share(s)${d.recovered ? '; recovered: `milagro safeguard export` writes it to a file' : ''}`)
  for (const r of d.refusals) console.log(`  refused    ${r.type} from ${r.from}: ${r.error}`)
}

const common = (cmd: Command): Command => cmd
  .option('--home <dir>', 'node home directory (default: $MILAGRO_HOME or ~/.milagro)')
  .option('--url <url>', 'REST API base URL (default: from the home\'s config)')
  .option('--json', 'print JSON', false)

async function readSecret (path: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(path === '-' ? await readStdin() : await readFile(path))
  if (bytes.length < 1 || bytes.length > MAX_SECRET_BYTES) {
    wipe(bytes)
    throw new RangeError(`a safeguarded secret is 1..${MAX_SECRET_BYTES} bytes`)
  }
  return bytes
}

async function readStdin (): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

export function register (program: Command): void {
  const sg = program.command('safeguard').description('safeguarded secrets: deposit k-of-n with fiduciaries for a beneficiary, release, revoke, export (through the REST API)')

  common(sg.command('deposit'))
    .description('deposit a secret as principal: split k-of-n across the fiduciaries, released to the beneficiary only')
    .requiredOption('--beneficiary <cid>', 'identity CID of the beneficiary (may be this node)')
    .requiredOption('--fiduciaries <cids>', 'comma-separated identity CIDs of the fiduciaries', list)
    .option('--threshold <k>', 'shares needed to reconstruct (default: all)', int)
    .requiredOption('--in <file>', `file holding the secret (1..${MAX_SECRET_BYTES} bytes), or - for stdin`)
    .option('--delay <ms>', 'fiduciaries release no sooner than this after the request', int)
    .option('--approver <cid>', 'a second principal identity whose approval the release needs')
    .option('--beneficiary-may-request', 'let the beneficiary ask for the release too (recovery)', false)
    .option('--label <text>', 'free text every party sees')
    .option('--wait', 'wait until every fiduciary holds its share', false)
    .action(async (opts: Common & { beneficiary: string, fiduciaries: string[], threshold?: number, in: string, delay?: number, approver?: string, beneficiaryMayRequest: boolean, label?: string, wait: boolean }) => {
      const client = await clientFor(opts)
      const secret = await readSecret(opts.in)
      let d: DepositJson
      try {
        d = await client.request<DepositJson>('POST', '/v1/safeguards', {
          secret: Buffer.from(secret).toString('base64'),
          beneficiary: opts.beneficiary,
          fiduciaries: opts.fiduciaries,
          ...(opts.threshold === undefined ? {} : { threshold: opts.threshold }),
          ...(opts.delay === undefined ? {} : { delayMs: opts.delay }),
          ...(opts.approver === undefined ? {} : { approver: opts.approver }),
          ...(opts.beneficiaryMayRequest ? { requesters: 'principal-or-beneficiary' } : {}),
          ...(opts.label === undefined ? {} : { label: opts.label })
        })
      } finally {
        wipe(secret)
      }
      if (opts.wait) d = await client.request<DepositJson>('GET', `/v1/safeguards/${d.id}?wait=held&timeoutMs=60000`)
      printDeposit(d, opts.json)
    })

  common(sg.command('list'))
    .description('deposits this node is a party to, oldest first')
    .option('--limit <n>', 'deposits per page', int)
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--all', 'follow the pages to the end', false)
    .action(async (opts: Common & { limit?: number, cursor?: string, all: boolean }) => {
      const client = await clientFor(opts)
      let cursor = opts.cursor
      const all: DepositJson[] = []
      let next: string | null = null
      do {
        const q = new URLSearchParams()
        if (cursor !== undefined) q.set('cursor', cursor)
        if (opts.limit !== undefined) q.set('limit', String(opts.limit))
        const page = await client.request<{ deposits: DepositJson[], next: string | null }>('GET', `/v1/safeguards${q.size === 0 ? '' : `?${q.toString()}`}`)
        all.push(...page.deposits)
        next = page.next
        cursor = next ?? undefined
      } while (opts.all && next !== null)
      if (opts.json) { console.log(JSON.stringify({ deposits: all, next })); return }
      for (const d of all) console.log(`${d.id}  ${Object.entries(d.status).map(([r, s]) => `${r}:${s}`).join(' ')}  ${d.threshold}-of-${d.fiduciaries.length}  ${d.label}`)
      if (next !== null) console.log(`(more: --cursor ${next})`)
    })

  common(sg.command('show'))
    .description('one deposit')
    .argument('<id>', 'deposit id')
    .addOption(new Option('--wait <stage>', 'wait until the deposit reaches a stage').choices(['held', 'released', 'recovered', 'revoked']))
    .action(async (id: string, opts: Common & { wait?: string }) => {
      const client = await clientFor(opts)
      printDeposit(await client.request<DepositJson>('GET', `/v1/safeguards/${encodeURIComponent(id)}${opts.wait === undefined ? '' : `?wait=${opts.wait}&timeoutMs=60000`}`), opts.json)
    })

  for (const [name, summary, wait] of [
    ['release', 'ask the fiduciaries to release to the beneficiary (principal, or beneficiary when allowed; repeating is harmless)', 'released'],
    ['approve', 'approve the release (the deposit\'s approver)', undefined],
    ['revoke', 'revoke before release: fiduciaries destroy their shares (principal only)', 'revoked']
  ] as const) {
    const cmd = common(sg.command(name)).description(summary).argument('<id>', 'deposit id')
    if (wait !== undefined) cmd.option('--wait', `wait until ${wait}`, false)
    cmd.action(async (id: string, opts: Common & { wait?: boolean }) => {
      const client = await clientFor(opts)
      let d = await client.request<DepositJson>('POST', `/v1/safeguards/${encodeURIComponent(id)}/${name}`, {})
      if (opts.wait === true && wait !== undefined) d = await client.request<DepositJson>('GET', `/v1/safeguards/${encodeURIComponent(id)}?wait=${wait === 'released' && d.roles.includes('beneficiary') ? 'recovered' : wait}&timeoutMs=60000`)
      printDeposit(d, opts.json)
    })
  }

  common(sg.command('export'))
    .description('write the recovered secret to a new file (mode 0600); beneficiary only')
    .argument('<id>', 'deposit id')
    .requiredOption('--out <file>', 'file to create (refuses to overwrite)')
    .action(async (id: string, opts: Common & { out: string }) => {
      const client = await clientFor(opts)
      const deposit = CID.parse(id)
      const kp = exportKeyPair()
      let secret: Uint8Array | undefined
      try {
        const e = await client.request<{ size: number, enc: string, ciphertext: string }>('POST', `/v1/safeguards/${encodeURIComponent(id)}/secret`, { recipientKey: toHex(kp.publicKey) })
        secret = openSecret(kp.secretKey, deposit, { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) })
        const fh = await open(opts.out, 'wx', 0o600)
        try {
          await fh.write(secret)
          await fh.sync()
        } finally {
          await fh.close()
        }
        if (opts.json) console.log(JSON.stringify({ file: opts.out, size: secret.length }))
        else console.log(`wrote the ${secret.length}-byte secret of deposit ${id} to ${opts.out} (mode 0600)`)
      } finally {
        wipe(kp.secretKey)
        if (secret !== undefined) wipe(secret)
      }
    })
}
