// A custody node in its own process for the crash harness (crash-harness.ts): the node of `--home`
// with the custody service and the REST API on a free loopback port, dialling `--bootstrap` peers,
// listening on `--listen` (a restarted node takes its old address back, as a deployed one would).
// JSON lines on stdout:
//   {"ready": {"identity", "peerId", "addr", "api"}}   once running
//   {"identity": "<cid>"}                             each identity its directory learns
//   {"armed": "<name>:<n>" | null}                    after an `arm` command
//   {"stopped": true}                                 after a clean stop
// Commands on stdin: `arm <name>:<n>` (die with SIGKILL at that crash point: storage/crash-point.ts),
// `disarm`, `stop`.
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { loadHome } from '../../node/home.ts'
import { silentLogger } from '../../node/logger.ts'
import { createNode } from '../../node/node.ts'
import { nodeServices } from '../../node/services/compose.ts'
import { armCrashPoint } from '../../storage/crash-point.ts'

const { values } = parseArgs({ options: { home: { type: 'string' }, bootstrap: { type: 'string', multiple: true }, listen: { type: 'string' } } })
const out = (msg: unknown): void => { process.stdout.write(JSON.stringify(msg) + '\n') }

const home = await loadHome(values.home as string)
const logger = silentLogger()
const { options, services } = nodeServices(home, logger, { api: { host: '127.0.0.1', port: 0 }, custody: { retryMs: 100 } })
const node = createNode(home, {
  logger,
  ...options,
  admin: false,
  listen: [values.listen ?? '/ip4/127.0.0.1/tcp/0'],
  bootstrap: values.bootstrap ?? [],
  heartbeatIntervalMs: 100,
  directory: { announceIntervalMs: 1_000, fetchTimeoutMs: 3_000 },
  dispatcher: { initialBackoffMs: 50, maxBackoffMs: 500 },
  inbound: { resolveTimeoutMs: 1_000 },
  pool: { size: 1 }
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
createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/)
  if (cmd === 'stop') stop()
  else if (cmd === 'arm') { armCrashPoint(arg); out({ armed: arg ?? null }) } else if (cmd === 'disarm') { armCrashPoint(undefined); out({ armed: null }) }
})
process.on('SIGTERM', stop)
