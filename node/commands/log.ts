// `milagro log --home DIR [--tail N] [--json]`: lists log entries readably. Unverified (that is
// `milagro audit`'s job): an entry that cannot be read is listed with the reason. Bodies are shown
// in summary — byte strings as their length, fields whose names suggest secrets redacted — so a
// listing never prints secret material even if an entry carried some by mistake. Like `milagro
// audit`, it reads a private copy of the home's databases (nothing of the home is written);
// `--in-place` opens the home itself.
import { Option, type Command } from 'commander'
import { CID } from 'multiformats/cid'
import type { StoredEntry } from '../../storage/entry.ts'
import { listEntries, logExtent } from '../../storage/inspect.ts'
import { defaultHome, homePaths } from '../home.ts'
import { openHomeStores } from './log-home.ts'
import { openHomeCopy } from './trace-home.ts'

const SECRET_NAME = /secret|private|seed|password|passphrase|share|mnemonic|(^|[^a-z])(sk|pin|key)$/i

/** A display form of a body: JSON-safe, bounded, with bytes and secret-looking fields hidden. */
export function showValue (value: unknown, depth = 0, name = ''): unknown {
  if (name !== '' && SECRET_NAME.test(name)) return '<redacted>'
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value
  if (typeof value === 'string') return value.length > 80 ? `${value.slice(0, 77)}...` : value
  if (value instanceof Uint8Array) return `<${value.length} bytes>`
  const cid = CID.asCID(value)
  if (cid !== null) return cid.toString()
  if (depth >= 3) return '<...>'
  if (Array.isArray(value)) return value.slice(0, 16).map((v) => showValue(v, depth + 1)).concat(value.length > 16 ? [`<${value.length - 16} more>`] : [])
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, showValue(v, depth + 1, k)]))
  }
  return `<${typeof value}>`
}

function toJson (seq: number, cid: string | undefined, e: StoredEntry | undefined, error: string | undefined): Record<string, unknown> {
  if (e === undefined) return { seq, cid: cid ?? null, error }
  return {
    seq: e.seq,
    cid: e.cid.toString(),
    time: new Date(e.time).toISOString(),
    clock: e.clock,
    kind: e.kind,
    author: e.author.toString(),
    signed: e.sig !== undefined,
    ...(e.link !== undefined ? { link: e.link.toString() } : { body: showValue(e.body) })
  }
}

export function register (program: Command): void {
  program.command('log')
    .description('list the entries of the node\'s log (unverified; run `milagro audit` to verify)')
    .option('--home <dir>', 'node home directory (default: $MILAGRO_HOME or ~/.milagro)')
    .addOption(new Option('--tail <n>', 'only the last N entries').argParser((v) => {
      const n = Number(v)
      if (!Number.isSafeInteger(n) || n < 0) throw new TypeError('--tail takes a non-negative integer')
      return n
    }))
    .option('--json', 'one JSON object per entry, one per line', false)
    .option('--in-place', 'open the home itself rather than a private copy (LevelDB then rewrites some of its files)', false)
    .action(async (opts: { home?: string, tail?: number, json: boolean, inPlace: boolean }) => {
      const home = homePaths(opts.home ?? defaultHome()).dir
      const copy = opts.inPlace ? undefined : await openHomeCopy(home)
      const stores = copy?.stores ?? await openHomeStores(home)
      try {
        const { head, lastIndexed } = await logExtent(stores)
        const last = Math.max(head?.seq ?? -1, lastIndexed)
        const from = opts.tail === undefined ? 0 : Math.max(0, last - opts.tail + 1)
        if (!opts.json) console.log(last < 0 ? `the log in ${home}/data is empty` : `log of ${home}/data: seq ${from}..${last} of ${last + 1} entries (unverified)`)
        if (last < 0 || opts.tail === 0) return
        for await (const item of listEntries(stores, { from, to: last })) {
          const j = toJson(item.seq, item.cid, item.entry, item.error)
          if (opts.json) { console.log(JSON.stringify(j)); continue }
          if (item.entry === undefined) { console.log(`#${item.seq}  ${item.cid ?? '(no CID)'}  UNREADABLE: ${item.error ?? ''}`); continue }
          const e = item.entry
          const payload = e.link !== undefined ? `link ${e.link.toString()}` : `body ${JSON.stringify(j.body)}`
          console.log(`#${e.seq}  ${String(j.time)}  clock ${e.clock}  ${e.kind}${e.sig !== undefined ? '  (signed)' : ''}  ${e.cid.toString()}  ${payload}`)
        }
      } finally {
        if (copy !== undefined) await copy.close()
        else await stores.stop()
      }
    })
}
