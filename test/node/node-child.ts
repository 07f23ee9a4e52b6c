// A node in its own process, for crash tests (node.test.ts kills it with SIGKILL). Speaks JSON
// lines: prints {"ready": {...}}, {"introduced": cid}, {"sent": cid} per envelope, {"done": n};
// reads commands on stdin: `send <recipient identity CID> <count>`.
import { parseArgs } from 'node:util'
import { createInterface } from 'node:readline'
import { CID } from 'multiformats/cid'
import { loadHome } from '../../node/home.ts'
import { createNode } from '../../node/node.ts'
import { silentLogger } from '../../node/logger.ts'
import { LOG_KINDS } from '../../protocol/state/types.ts'
import { FAST, logLinks } from './node-harness.ts'

const { values } = parseArgs({ options: { home: { type: 'string' }, bootstrap: { type: 'string' }, 'wait-identity': { type: 'string' } } })
const out = (msg: unknown): void => { process.stdout.write(JSON.stringify(msg) + '\n') }

const node = createNode(await loadHome(values.home as string), {
  logger: silentLogger(),
  ...FAST,
  ...(values.bootstrap === undefined ? {} : { bootstrap: [values.bootstrap] })
})
await node.start()
out({ ready: { peerId: node.libp2p.peerId.toString(), pending: node.parts.outbox.count(), sentInLog: (await logLinks(node, LOG_KINDS.envelopeSent)).length } })

const wanted = values['wait-identity']
if (wanted !== undefined) {
  const cid = CID.parse(wanted)
  if ((await node.directory.get(cid))?.bound !== true) {
    await new Promise<void>((resolve) => {
      const check = (entry: { identity: { cid: CID } }): void => {
        if (entry.identity.cid.equals(cid)) { node.directory.off('identity:added', check); resolve() }
      }
      node.directory.on('identity:added', check)
    })
  }
  out({ introduced: wanted })
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, recipient, count] = line.trim().split(/\s+/)
  if (cmd !== 'send' || recipient === undefined) return
  void (async () => {
    const to = CID.parse(recipient)
    const n = Number(count ?? 1)
    // 25 sends always in flight, so a kill lands between log appends, outbox writes and prints.
    let next = 0
    await Promise.all(Array.from({ length: 25 }, async () => {
      for (let i = next++; i < n; i = next++) {
        const e = await node.send([to], 'test/crash', { i })
        out({ sent: e.cid.toString() })
      }
    }))
    out({ done: n })
  })()
})

process.on('SIGTERM', () => { void node.stop().then(() => process.exit(0)) })
