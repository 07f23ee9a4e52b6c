// `milagro mpin request|list|show|export|dta`: the M-Pin D-TA through the node's REST API (the
// address from the home's config unless --url, the bearer token from <home>/api-token).
// `export` asks the node to seal a combined client secret or time permit to a one-time X25519 key
// generated here, opens it, and writes the secret's Milagro octet in hex to a new file with mode
// 0600 — it is never printed, and never crosses the API in clear.
import { open } from 'node:fs/promises'
import { Option, type Command } from 'commander'
import { CID } from 'multiformats/cid'
import { fromHex, toHex, wipe } from '../../crypto/index.ts'
import type { ApiClient } from '../api/client.ts'
import { exportKeyPair, openSecret } from '../services/mpin-export.ts'
import { clientFor } from './order.ts'

interface Common { home?: string, url?: string, json: boolean }

interface IssuanceJson {
  id: string, role: string, status: string, issuance: string, curve: string, requester: string, beneficiary: string
  mpinId: string | null, date: number | null, dtas: string[], answered: string[], refusals: Array<{ dta: string, error: string, message: string }>
  secretAvailable: boolean
}

function print (v: IssuanceJson, json: boolean): void {
  if (json) { console.log(JSON.stringify(v)); return }
  console.log(`issuance   ${v.id}`)
  console.log(`  ${v.issuance} on ${v.curve}, ${v.status} (this node: ${v.role})`)
  if (v.mpinId !== null) console.log(`  id       ${v.mpinId}${v.date === null ? '' : `, date ${v.date}`}`)
  console.log(`  D-TAs    ${v.answered.length}/${v.dtas.length} answered`)
  for (const r of v.refusals) console.log(`  refused  by ${r.dta}: ${r.error}: ${r.message}`)
  if (v.secretAvailable) console.log('  the secret is held by this node: `milagro mpin export` writes it to a file')
}

async function waitFor (client: ApiClient, id: string, until: 'settled' | 'complete'): Promise<IssuanceJson> {
  return await client.request<IssuanceJson>('GET', `/v1/mpin/issuance/${encodeURIComponent(id)}?wait=${until}&timeoutMs=60000`)
}

const common = (cmd: Command): Command => cmd
  .option('--home <dir>', 'node home directory (default: $MILAGRO_HOME or ~/.milagro)')
  .option('--url <url>', 'REST API base URL (default: from the home\'s config)')
  .option('--json', 'print JSON', false)

const curve = new Option('--curve <curve>', 'pairing curve').choices(['BN254', 'BLS12-381']).default('BLS12-381')

export function register (program: Command): void {
  const mpin = program.command('mpin').description('M-Pin D-TA: ask D-TAs for M-Pin secrets, export them, show this D-TA (through the REST API)')

  common(mpin.command('request'))
    .description('ask D-TAs for a client secret, time permit or server secret (for this node, or for --beneficiary as its principal)')
    .addOption(new Option('--issuance <kind>', 'what to issue').choices(['client-secret', 'time-permit', 'server-secret']).makeOptionMandatory())
    .requiredOption('--dta <cid...>', 'identity CIDs of the D-TAs')
    .addOption(curve)
    .option('--id <id>', 'M-Pin id (default: the beneficiary\'s identity CID)')
    .option('--date <days>', 'time-permit date, days since the epoch (default: today)', (v) => Number.parseInt(v, 10))
    .option('--beneficiary <cid>', 'who receives the shares (default: this node)')
    .option('--wait', 'wait until every D-TA answered', false)
    .action(async (opts: Common & { issuance: string, dta: string[], curve: string, id?: string, date?: number, beneficiary?: string, wait: boolean }) => {
      const client = await clientFor(opts)
      let v = await client.request<IssuanceJson>('POST', '/v1/mpin/issuance', {
        issuance: opts.issuance,
        curve: opts.curve,
        dtas: opts.dta,
        ...(opts.id === undefined ? {} : { id: opts.id }),
        ...(opts.date === undefined ? {} : { date: opts.date }),
        ...(opts.beneficiary === undefined ? {} : { beneficiary: opts.beneficiary })
      })
      if (opts.wait) v = await waitFor(client, v.id, 'settled')
      print(v, opts.json)
      if (v.status === 'refused') process.exitCode = 3
    })

  common(mpin.command('list'))
    .description('issuances this node asked for or is the beneficiary of')
    .action(async (opts: Common) => {
      const { issuances } = await (await clientFor(opts)).request<{ issuances: IssuanceJson[] }>('GET', '/v1/mpin/issuance')
      if (opts.json) { console.log(JSON.stringify({ issuances })); return }
      for (const v of issuances) console.log(`${v.id}  ${v.issuance}  ${v.curve}  ${v.status}  ${v.mpinId ?? '-'}`)
    })

  common(mpin.command('show'))
    .description('one issuance')
    .argument('<id>', 'issuance id')
    .option('--wait', 'wait until every D-TA answered', false)
    .action(async (id: string, opts: Common & { wait: boolean }) => {
      const client = await clientFor(opts)
      print(opts.wait ? await waitFor(client, id, 'settled') : await client.request<IssuanceJson>('GET', `/v1/mpin/issuance/${encodeURIComponent(id)}`), opts.json)
    })

  common(mpin.command('export'))
    .description('write a combined client secret or time permit (hex of its Milagro octet) to a new file, mode 0600; beneficiary only')
    .argument('<id>', 'issuance id')
    .requiredOption('--out <file>', 'file to create (refuses to overwrite)')
    .action(async (id: string, opts: Common & { out: string }) => {
      const client = await clientFor(opts)
      const kp = exportKeyPair()
      let secret: Uint8Array | undefined
      try {
        const e = await client.request<{ issuance: string, curve: string, mpinId: string, date: number | null, enc: string, ciphertext: string }>(
          'POST', `/v1/mpin/issuance/${encodeURIComponent(id)}/secret`, { recipientKey: toHex(kp.publicKey) })
        secret = openSecret(kp.secretKey, CID.parse(id), { enc: fromHex(e.enc), ciphertext: fromHex(e.ciphertext) })
        const fh = await open(opts.out, 'wx', 0o600)
        try {
          await fh.write(toHex(secret) + '\n')
          await fh.sync()
        } finally {
          await fh.close()
        }
        if (opts.json) console.log(JSON.stringify({ file: opts.out, issuance: e.issuance, curve: e.curve, mpinId: e.mpinId, date: e.date }))
        else console.log(`wrote the ${e.curve} ${e.issuance} of '${e.mpinId}' to ${opts.out} (mode 0600)`)
      } finally {
        wipe(kp.secretKey)
        if (secret !== undefined) wipe(secret)
      }
    })

  common(mpin.command('dta'))
    .description('this D-TA\'s master-share fingerprints; with --create, generate the share for --curve on first use')
    .addOption(curve)
    .option('--create', 'generate the master share for --curve if there is none', false)
    .action(async (opts: Common & { curve: string, create: boolean }) => {
      const client = await clientFor(opts)
      if (opts.create) await client.request('POST', '/v1/mpin/dta', { curve: opts.curve })
      const { masters } = await client.request<{ masters: Array<{ curve: string, fingerprint: string }> }>('GET', '/v1/mpin/dta')
      if (opts.json) { console.log(JSON.stringify({ masters })); return }
      if (masters.length === 0) console.log('no master share yet (generated at the first request, or with --create)')
      for (const m of masters) console.log(`${m.curve.padEnd(10)} ${m.fingerprint}`)
    })
}
