// `milagro start`: runs a node in the foreground until SIGINT/SIGTERM (or `milagro admin stop`),
// then stops it cleanly: in-flight appends finish, level closes, libp2p stops.
import type { Command } from 'commander'
import { excludeMemoryFromCoreDumps } from '../core-dumps.ts'
import { exists } from '../fs.ts'
import { defaultHome, homePaths, initHome, openHome, unsealHome } from '../home.ts'
import { componentLogger, createLogger } from '../logger.ts'
import { createNode } from '../node.ts'
import { nodeServices } from '../services/compose.ts'
import { keyStoreFor } from '../services/keystore.ts'

export function register (program: Command): void {
  program.command('start')
    .description('run the node in the foreground until SIGINT/SIGTERM (creates a home with defaults if there is none)')
    .option('--home <dir>', 'node home directory (default: $MILAGRO_HOME or ~/.milagro)')
    .option('--name <name>', 'node name, when a new home is created', 'milagro-node')
    .action(async (opts: { home?: string, name: string }) => {
      // Before any secret is read: a core dump of this process must not carry them (core-dumps.ts).
      const coreDumpsFiltered = await excludeMemoryFromCoreDumps()
      const dir = opts.home ?? defaultHome()
      if (!await exists(homePaths(dir).configPath)) {
        const created = await initHome(dir, { name: opts.name })
        console.log(`no node in ${created.paths.dir}: created one with default settings (identity ${created.keys.identity.cid.toString()})`)
      }
      const opened = await openHome(dir)
      const logger = createLogger({ level: opened.config.log.level })
      if (!coreDumpsFiltered) logger.warn('this platform cannot keep memory out of core dumps (no /proc/self/coredump_filter): disable them (ulimit -c 0)')
      // The node keys are unsealed once, here, by the home's key store (a legacy plaintext key file is sealed and removed).
      // One key store for both, so a passphrase is stretched (or a token logged into) once.
      const keystore = keyStoreFor(opened, componentLogger(logger, 'keystore'))
      const home = await unsealHome(opened, { logger: componentLogger(logger, 'node-keys'), keystore })
      // The services (reducers, key store, custody, REST API) run on top of the node.
      const { options: services } = nodeServices(home, logger, { keystore })
      const node = createNode(home, { logger, ...services })
      const stopped = new Promise<void>((resolve) => { node.once('node:stopped', resolve) })
      let signals = 0
      const onSignal = (signal: NodeJS.Signals): void => {
        signals++
        if (signals > 1) {
          console.error(`milagro: ${signal} again, exiting without a clean stop`)
          process.exit(130)
        }
        logger.info({ signal }, 'stopping')
        void node.stop()
      }
      process.on('SIGINT', onSignal)
      process.on('SIGTERM', onSignal)
      try {
        await node.start()
        const p = node.parts
        console.log(`node '${home.config.name}' running`)
        console.log(`  identity  ${node.identity.cid.toString()}`)
        console.log(`  peer id   ${p.libp2p.peerId.toString()}`)
        for (const a of p.libp2p.getMultiaddrs()) console.log(`  listen    ${a.toString()}`)
        console.log(`  admin     ${home.paths.adminSocketPath}`)
        await stopped
        console.log('node stopped')
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        await node.stop()
        logger.flush()
      }
    })
}
