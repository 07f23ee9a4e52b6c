// A custody node in its own process (the custody bench runs three of them, one per process, so
// that the nodes use the machine's cores as separate deployments would; tests kill one with
// SIGKILL; `milagro sim` runs many). Starts the node of `--home` with the custody service and the
// REST API on a free loopback port, listens on `--listen` (default a free loopback TCP port),
// dials `--bootstrap` peers, and speaks JSON lines on stdout:
//   {"ready": {"identity", "peerId", "addr", "api"}}   once running
//   {"identity": "<cid>"}                             each identity its directory learns
//   {"reply": {"id", "ok", "result" | "error"}}       answer to a control request (control.ts)
//   {"stopped": true}                                 after a clean stop (stdin line `stop`, or SIGTERM)
// On stdin: the line `stop` (or the end of stdin: the parent went away), or control requests
// `{"id": n, "cmd": …}` (control.ts: partitions through the connection gater, message delay, a
// test hook that loses one delivery, stats).
// `--pool-size N` sizes the node's crypto pool (default one thread per core), `--pool-idle-ms T`
// makes its threads start on demand and end after T ms idle; `--deny PEER` starts
// with the gater already refusing that peer id; `--mpin-auth-server CID` (a D-TA setting) names an
// identity that may receive M-Pin server-secret shares.
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { loadHome } from '../../node/home.ts'
import type { ControlRequest } from './control.ts'
import { startSimNode } from './sim-node.ts'

const { values } = parseArgs({
  options: {
    home: { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    listen: { type: 'string', multiple: true },
    deny: { type: 'string', multiple: true },
    'mpin-auth-server': { type: 'string', multiple: true },
    'pool-size': { type: 'string' },
    'pool-idle-ms': { type: 'string' },
    fast: { type: 'boolean', default: false }
  }
})
const out = (msg: unknown): void => { process.stdout.write(JSON.stringify(msg) + '\n') }

const home = await loadHome(values.home as string)
const { node, control, ready } = await startSimNode(home, {
  ...(values.listen === undefined ? {} : { listen: values.listen }),
  bootstrap: values.bootstrap ?? [],
  deny: values.deny ?? [],
  mpinAuthServers: values['mpin-auth-server'] ?? [],
  ...(values['pool-size'] === undefined ? {} : { poolSize: Number(values['pool-size']) }),
  ...(values['pool-idle-ms'] === undefined ? {} : { poolIdleTimeoutMs: Number(values['pool-idle-ms']) }),
  fast: values.fast === true
}, (identity) => { out({ identity }) })
out({ ready })

async function answer (line: string): Promise<void> {
  let id: unknown
  try {
    const request = JSON.parse(line) as ControlRequest & { id?: unknown }
    id = request.id
    out({ reply: { id, ok: true, result: await control(request) } })
  } catch (err) {
    out({ reply: { id, ok: false, error: `${(err as Error).name}: ${(err as Error).message}` } })
  }
}

let stopping = false
const stop = (): void => {
  if (stopping) return
  stopping = true
  void node.stop().then(() => { out({ stopped: true }); process.exit(0) })
}
createInterface({ input: process.stdin }).on('line', (line) => {
  const text = line.trim()
  if (text === 'stop') stop()
  else if (text.startsWith('{') && !stopping) void answer(text)
}).on('close', stop) // stdin ended: the parent is gone (killed, crashed), so no one will stop us
process.on('SIGTERM', stop)
