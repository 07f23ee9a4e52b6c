// The node under attack in the hostile-peer test and bench (hostile-harness.ts): a node of `--home`
// in its own process — custody service, REST API on a free loopback port, admin socket in its home —
// so that what it costs (REST latency, memory) is its own and not the attacker's. JSON lines on
// stdout: {"ready": {"identity", "peerId", "addr", "api", "pid"}} once running, {"stopped": true}
// after `stop` on stdin (or SIGTERM).
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { loadHome } from '../../node/home.ts'
import { silentLogger } from '../../node/logger.ts'
import { createNode } from '../../node/node.ts'
import { nodeServices } from '../../node/services/compose.ts'

const { values } = parseArgs({ options: { home: { type: 'string' } } })
const out = (msg: unknown): void => { process.stdout.write(JSON.stringify(msg) + '\n') }

const home = await loadHome(values.home as string)
const logger = silentLogger()
const { options, services } = nodeServices(home, logger, { api: { host: '127.0.0.1', port: 0 } })
const node = createNode(home, {
  logger,
  ...options,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  heartbeatIntervalMs: 100,
  directory: { announceIntervalMs: 1_000, fetchTimeoutMs: 3_000 },
  dispatcher: { initialBackoffMs: 50, maxBackoffMs: 500 },
  inbound: { resolveTimeoutMs: 1_000 }
})
await node.start()
out({ ready: { identity: node.identity.cid.toString(), peerId: node.libp2p.peerId.toString(), addr: node.libp2p.getMultiaddrs()[0]?.toString(), api: services.api?.url, pid: process.pid } })

let stopping = false
const stop = (): void => {
  if (stopping) return
  stopping = true
  void node.stop().then(() => { out({ stopped: true }); process.exit(0) })
}
createInterface({ input: process.stdin }).on('line', (line) => { if (line.trim() === 'stop') stop() })
process.on('SIGTERM', stop)
