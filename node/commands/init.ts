// `milagro init`: creates a node home (config, keys, identity document).
import { Option, type Command } from 'commander'
import { ROLES, SERVICES } from '../config.ts'
import { defaultHome, initHome } from '../home.ts'

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)

export function register (program: Command): void {
  program.command('init')
    .description('create a node home: config, identity keys and the self-signed identity document')
    .option('--home <dir>', 'node home directory (default: $MILAGRO_HOME or ~/.milagro)')
    .option('--name <name>', 'node name (informative, shown to peers)', 'milagro-node')
    .addOption(new Option('--roles <list>', `comma-separated roles: ${ROLES.join(', ')}`).argParser(list))
    .addOption(new Option('--services <list>', `comma-separated services: ${SERVICES.join(', ')}`).argParser(list))
    .addOption(new Option('--listen <multiaddrs>', 'comma-separated listen multiaddrs').argParser(list))
    .addOption(new Option('--bootstrap <multiaddrs>', 'comma-separated bootstrap peer multiaddrs (with /p2p/<peer id>)').argParser(list))
    .addOption(new Option('--keystore <backend>', 'where service secrets are kept').choices(['software', 'pkcs11']).default('software'))
    .option('--pkcs11-module <path>', 'PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so)')
    .option('--pkcs11-token <label>', 'PKCS#11 token label')
    .option('--pkcs11-pin-env <name>', 'environment variable holding the token PIN', 'MILAGRO_PKCS11_PIN')
    .option('--pkcs11-pin-file <path>', 'file (mode 0600) holding the token PIN, instead of --pkcs11-pin-env')
    .option('--force', 'replace an existing node in this home (its keys and identity are lost)', false)
    .option('--json', 'print the result as JSON', false)
    .action(async (opts: { home?: string, name: string, roles?: string[], services?: string[], listen?: string[], bootstrap?: string[], force: boolean, json: boolean, keystore: string, pkcs11Module?: string, pkcs11Token?: string, pkcs11PinEnv: string, pkcs11PinFile?: string }) => {
      const home = opts.home ?? defaultHome()
      const fields: Record<string, unknown> = { name: opts.name }
      if (opts.roles !== undefined) fields.roles = opts.roles
      if (opts.services !== undefined) fields.services = opts.services
      if (opts.listen !== undefined) fields.listen = opts.listen
      if (opts.bootstrap !== undefined) fields.bootstrap = opts.bootstrap
      if (opts.keystore === 'pkcs11') {
        fields.keystore = {
          backend: 'pkcs11',
          module: opts.pkcs11Module,
          tokenLabel: opts.pkcs11Token,
          ...(opts.pkcs11PinFile !== undefined ? { pinFile: opts.pkcs11PinFile } : { pinEnv: opts.pkcs11PinEnv })
        }
      }
      const created = await initHome(home, { ...fields, name: opts.name, force: opts.force })
      const out = { home: created.paths.dir, identity: created.keys.identity.cid.toString(), peerId: created.keys.identity.doc.peerId, name: created.config.name, roles: created.config.roles }
      if (opts.json) console.log(JSON.stringify(out))
      else {
        console.log(`created node '${out.name}' in ${out.home}`)
        console.log(`  identity  ${out.identity}`)
        console.log(`  peer id   ${out.peerId}`)
        console.log(`  roles     ${out.roles.join(', ')}`)
        console.log(created.config.keystore.backend === 'pkcs11'
          ? `Service secrets go to PKCS#11 token '${created.config.keystore.tokenLabel}'. Node keys are in keys/node.json (mode 0600).`
          : 'Node keys are in keys/node.json (mode 0600). No HSM is configured: service secrets use the software key store (see README, "Key stores").')
      }
    })
}
