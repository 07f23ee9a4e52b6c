// A custody node in its own process (the custody bench runs three of them, one per process, so
// that the nodes use the machine's cores as separate deployments would; tests kill one with
// SIGKILL). Starts the node of `--home` with the custody service and the REST API on a free
// loopback port, dials `--bootstrap` peers, and speaks JSON lines on stdout:
//   {"ready": {"identity", "peerId", "addr", "api"}}   once running
//   {"identity": "<cid>"}                             each identity its directory learns
//   {"stopped": true}                                 after a clean stop (stdin line `stop`, or SIGTERM)
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { loadHome } from '../../node/home.ts'
import { silentLogger } from '../../node/logger.ts'
import { createNode } from '../../node/node.ts'
import { nodeServices } from '../../node/services/compose.ts'

const { values } = parseArgs({ options: { home: { type: 'string' }, bootstrap: { type: 'string', multiple: true }, fast: { type: 'boolean', default: false } } })
const out = (msg: unknown): void => { process.stdout.write(JSON.stringify(msg) + '\n') }

const home = await loadHome(values.home as string)
const logger = silentLogger()
const { options, services } = nodeServices(home, logger, { api: { host: '127.0.0.1', port: 0 } })
const node = createNode(home, {
  logger,
  ...options,
  admin: false,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  bootstrap: values.bootstrap ?? [],
  ...(values.fast === true ? { heartbeatIntervalMs: 100, dispatcher: { initialBackoffMs: 50, maxBackoffMs: 500 } } : {})
})
await node.start()
node.directory.on('identity:added', (entry) => { out({ identity: entry.identity.cid.toString() }) })
for (const e of await node.directory.list()) if (e.bound) out({ identity: e.identity.cid.toString() })
out({ ready: { identity: node.identity.cid.toString(), peerId: node.libp2p.peerId.toString(), addr: node.libp2p.getMultiaddrs()[0]?.toString(), api: services.api?.url } })

let stopping = false
const stop = (): void => {
  if (stopping) return
  stopping = true
  void node.stop().then(() => { out({ stopped: true }); process.exit(0) })
}
createInterface({ input: process.stdin }).on('line', (line) => { if (line.trim() === 'stop') stop() })
process.on('SIGTERM', stop)
