// `milagro init`: creates a node home (config, keys, identity document, API token), or with
// `--network N --out DIR` the homes of a ready-wired local network of N nodes.
//
// Run on a terminal without any setting flag, it asks for each setting with a default
// (`--interactive` forces the questions, reading answers from stdin; `--yes` never asks).
import { createInterface } from 'node:readline/promises'
import { join } from 'node:path'
import { Option, type Command } from 'commander'
import { ROLES, SERVICES } from '../config.ts'
import { writeFileAtomic } from '../fs.ts'
import { defaultHome, initHome, type LoadedHome } from '../home.ts'

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)

interface InitFlags {
  home?: string
  name?: string
  roles?: string[]
  services?: string[]
  listen?: string[]
  bootstrap?: string[]
  apiHost?: string
  apiPort?: string
  keystore?: string
  pkcs11Module?: string
  pkcs11Token?: string
  pkcs11PinEnv: string
  pkcs11PinFile?: string
  force: boolean
  json: boolean
  interactive: boolean
  yes: boolean
  network?: string
  out?: string
}

const SETTING_FLAGS = ['name', 'roles', 'services', 'listen', 'bootstrap', 'apiHost', 'apiPort', 'keystore', 'pkcs11Module', 'pkcs11Token', 'pkcs11PinFile'] as const

/** Asks the questions a newcomer needs, each with a default; answers fill in what flags left open. */
async function ask (flags: InitFlags, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<InitFlags> {
  const rl = createInterface({ input, output, terminal: false })
  const lines = rl[Symbol.asyncIterator]()
  const question = async (text: string, fallback: string): Promise<string> => {
    output.write(`${text} [${fallback}]: `)
    const next = await lines.next()
    const answer = next.done === true ? '' : String(next.value).trim()
    return answer === '' ? fallback : answer
  }
  try {
    const out: InitFlags = { ...flags }
    out.home = flags.home ?? await question('Node home directory', defaultHome())
    out.name = flags.name ?? await question('Node name', 'milagro-node')
    out.roles = flags.roles ?? list(await question(`Roles (${ROLES.join(', ')})`, ROLES.join(',')))
    out.services = flags.services ?? list(await question(`Services (${SERVICES.join(', ')})`, SERVICES.join(',')))
    out.listen = flags.listen ?? list(await question('Listen addresses', '/ip4/127.0.0.1/tcp/4101'))
    out.bootstrap = flags.bootstrap ?? list(await question('Bootstrap peers (comma-separated multiaddrs, empty for none)', ''))
    out.apiHost = flags.apiHost ?? await question('REST API host', '127.0.0.1')
    out.apiPort = flags.apiPort ?? await question('REST API port', '4100')
    out.keystore = flags.keystore ?? await question('Key store (software or pkcs11)', 'software')
    if (out.keystore === 'pkcs11') {
      out.pkcs11Module = flags.pkcs11Module ?? await question('PKCS#11 module', '/usr/lib/softhsm/libsofthsm2.so')
      out.pkcs11Token = flags.pkcs11Token ?? await question('PKCS#11 token label', 'milagro')
      out.pkcs11PinEnv = await question('Environment variable holding the PIN', flags.pkcs11PinEnv)
    }
    return out
  } finally {
    rl.close()
  }
}

function configFields (f: InitFlags): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  if (f.roles !== undefined) fields.roles = f.roles
  if (f.services !== undefined) fields.services = f.services
  if (f.listen !== undefined) fields.listen = f.listen
  if (f.bootstrap !== undefined) fields.bootstrap = f.bootstrap
  if (f.apiHost !== undefined || f.apiPort !== undefined) {
    const port = Number(f.apiPort ?? 4100)
    fields.api = { host: f.apiHost ?? '127.0.0.1', port: Number.isInteger(port) ? port : f.apiPort }
  }
  if (f.keystore === 'pkcs11') {
    fields.keystore = {
      backend: 'pkcs11',
      module: f.pkcs11Module,
      tokenLabel: f.pkcs11Token,
      ...(f.pkcs11PinFile !== undefined ? { pinFile: f.pkcs11PinFile } : { pinEnv: f.pkcs11PinEnv })
    }
  } else if (f.keystore !== undefined && f.keystore !== 'software') {
    fields.keystore = { backend: f.keystore }
  }
  return fields
}

function describe (created: LoadedHome): Record<string, unknown> {
  return {
    home: created.paths.dir,
    name: created.config.name,
    identity: created.keys.identity.cid.toString(),
    peerId: created.keys.identity.doc.peerId,
    roles: created.config.roles,
    listen: created.config.listen,
    api: `${created.config.api.host}:${created.config.api.port}`
  }
}

/** Roles for node i of a local network: the first three cover the three roles, the rest play all. */
function networkRoles (i: number): string[] {
  return i < 3 ? [ROLES[i] as string] : [...ROLES]
}

async function initNetwork (n: number, out: string, f: InitFlags): Promise<Array<Record<string, unknown>>> {
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new RangeError('--network takes a node count from 1 to 64')
  const basePort = 4101
  const created: LoadedHome[] = []
  for (let i = 0; i < n; i++) {
    created.push(await initHome(join(out, `node${i}`), {
      name: `node${i}`,
      roles: (n >= 3 ? networkRoles(i) : [...ROLES]) as Array<typeof ROLES[number]>,
      listen: [`/ip4/127.0.0.1/tcp/${basePort + 2 * i}`],
      api: { host: '127.0.0.1', port: basePort + 2 * i + 1 },
      force: f.force
    }))
  }
  // Wire the bootstrap lists now that every peer id is known, and write the configs again.
  const addrs = created.map((c) => `${c.config.listen[0] as string}/p2p/${c.keys.identity.doc.peerId}`)
  const wired: Array<Record<string, unknown>> = []
  for (let i = 0; i < n; i++) {
    const c = created[i] as LoadedHome
    const config = { ...c.config, bootstrap: addrs.filter((_, j) => j !== i) }
    await writeFileAtomic(c.paths.configPath, JSON.stringify(config, null, 2) + '\n', 0o644)
    wired.push({ ...describe({ ...c, config }), bootstrap: config.bootstrap })
  }
  return wired
}

export function register (program: Command): void {
  program.command('init')
    .description('create a node home: config, identity keys, the self-signed identity document and the API token')
    .option('--home <dir>', 'node home directory (default: $MILAGRO_HOME or ~/.milagro)')
    .option('--name <name>', 'node name (informative, shown to peers; default milagro-node)')
    .addOption(new Option('--roles <list>', `comma-separated roles: ${ROLES.join(', ')} (default: all)`).argParser(list))
    .addOption(new Option('--services <list>', `comma-separated services: ${SERVICES.join(', ')} (default: all)`).argParser(list))
    .addOption(new Option('--listen <multiaddrs>', 'comma-separated listen multiaddrs (default /ip4/127.0.0.1/tcp/4101)').argParser(list))
    .addOption(new Option('--bootstrap <multiaddrs>', 'comma-separated bootstrap peer multiaddrs (with /p2p/<peer id>)').argParser(list))
    .option('--api-host <host>', 'REST API listen host (default 127.0.0.1)')
    .option('--api-port <port>', 'REST API listen port (default 4100)')
    .addOption(new Option('--keystore <backend>', 'where service secrets are kept (default software)').choices(['software', 'pkcs11']))
    .option('--pkcs11-module <path>', 'PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so)')
    .option('--pkcs11-token <label>', 'PKCS#11 token label')
    .option('--pkcs11-pin-env <name>', 'environment variable holding the token PIN', 'MILAGRO_PKCS11_PIN')
    .option('--pkcs11-pin-file <path>', 'file (mode 0600) holding the token PIN, instead of --pkcs11-pin-env')
    .option('--network <n>', 'write the homes of a ready-wired local network of n nodes (with --out)')
    .option('--out <dir>', 'where --network writes node0 … node{n-1}')
    .option('--force', 'replace an existing node in this home (its keys and identity are lost)', false)
    .option('-i, --interactive', 'ask for every setting not given as a flag (reads answers from stdin)', false)
    .option('-y, --yes', 'never ask; take defaults for everything not given', false)
    .option('--json', 'print the result as JSON', false)
    .action(async (flags: InitFlags) => {
      if (flags.network !== undefined) {
        if (flags.out === undefined) throw new RangeError('--network needs --out DIR')
        const nodes = await initNetwork(Number(flags.network), flags.out, flags)
        if (flags.json) console.log(JSON.stringify({ nodes }))
        else {
          console.log(`created a local network of ${nodes.length} nodes in ${flags.out}`)
          for (const n of nodes) console.log(`  ${String(n.name).padEnd(8)} ${(n.roles as string[]).join(',').padEnd(34)} ${String(n.identity)}  api ${String(n.api)}`)
          console.log(`start each with: milagro start --home ${join(flags.out, 'node0')}   (and node1, …)`)
        }
        return
      }
      const anySetting = SETTING_FLAGS.some((k) => flags[k] !== undefined)
      const interactive = flags.interactive || (!flags.yes && !flags.json && !anySetting && process.stdin.isTTY === true && process.stdout.isTTY === true)
      const f = interactive ? await ask(flags, process.stdin, process.stdout) : flags
      const created = await initHome(f.home ?? defaultHome(), { ...configFields(f), name: f.name ?? 'milagro-node', force: f.force })
      const out = describe(created)
      if (flags.json) console.log(JSON.stringify(out))
      else {
        console.log(`created node '${String(out.name)}' in ${String(out.home)}`)
        console.log(`  identity  ${String(out.identity)}`)
        console.log(`  peer id   ${String(out.peerId)}`)
        console.log(`  roles     ${(out.roles as string[]).join(', ')}`)
        console.log(`  api       ${String(out.api)} (bearer token in ${created.paths.dir}/api-token)`)
        const k = created.config.keystore
        console.log(k.backend === 'pkcs11'
          ? `Node keys (keys/node.sealed) and service secrets are sealed by PKCS#11 token '${k.tokenLabel}'.`
          : k.passphraseEnv !== undefined
            ? `No HSM is configured: node keys (keys/node.sealed) and service secrets are sealed by the software key store under a passphrase from $${k.passphraseEnv} (see README, "Key stores").`
            : 'NO HSM AND NO PASSPHRASE: node keys (keys/node.sealed) and service secrets are sealed by a software key kept in keystore/kek.key, ' +
              'so whoever reads this home reads them. Use --keystore pkcs11 (or a passphrase) for production (see README, "Key stores").')
      }
    })
}
