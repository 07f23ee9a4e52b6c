// Prometheus metrics at /metrics on a whole node: text exposition format, the documented names,
// values that follow a real custody order on one node playing all roles, and bearer auth.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ApiClient } from '../../node/api/client.ts'
import { readApiToken } from '../../node/api/token.ts'
import { startNetwork, stopAll, type CustodyNode } from './services/custody-harness.ts'

let nodes: CustodyNode[] = []
test.before(async () => { nodes = await startNetwork(['metrics-solo']) })
test.after(async () => { await stopAll(nodes) })

/** Parses Prometheus text exposition into `name{labels}` → value, checking every line's syntax. */
function parse (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) (-?[0-9.eE+-]+|NaN|[+-]Inf)$/.exec(line)
    assert.ok(m !== null, `not a Prometheus sample line: ${line}`)
    out.set(m[1] as string, Number(m[3]))
  }
  return out
}

test('/metrics needs the token and serves libp2p and milagro metrics that follow a custody order', async () => {
  const n = nodes[0] as CustodyNode
  const url = n.services.api?.url as string
  const unauth = await fetch(`${url}/metrics`)
  assert.is(unauth.status, 401)
  const token = await readApiToken(n.node.home.paths.apiTokenPath)
  const scrape = async (): Promise<Map<string, number>> => {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    assert.is(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    return parse(await res.text())
  }
  const before = await scrape()
  for (const name of ['milagro_log_length', 'milagro_outbox_pending', 'milagro_peers', 'milagro_pool_queue_depth', 'milagro_envelopes_received_total']) {
    assert.ok(before.has(name), `${name} is exposed`)
  }
  assert.ok([...before.keys()].some((k) => k.startsWith('libp2p_')), 'libp2p metrics are exposed')
  assert.ok([...before.keys()].some((k) => k.startsWith('milagro_process_')), 'process metrics are exposed')

  const api = new ApiClient({ url, token })
  const self = (await api.identity()).cid
  const order = await api.createOrder({ beneficiary: self, fiduciary: self, network: 'regtest' })
  await api.order(order.id, { stage: 'published', timeoutMs: 15_000 })
  await api.release(order.id)
  await api.order(order.id, { stage: 'redeemed', timeoutMs: 15_000 })

  const after = await scrape()
  assert.ok((after.get('milagro_log_length') ?? 0) > (before.get('milagro_log_length') ?? 0))
  assert.ok((after.get('milagro_log_entries_total{kind="envelope.sent"}') ?? 0) >= 1, 'envelopes out counted')
  const orders = [...after.entries()].filter(([k]) => k.startsWith('milagro_orders{'))
  for (const role of ['principal', 'fiduciary', 'beneficiary']) {
    assert.is(orders.filter(([k]) => k.includes(`role="${role}"`)).reduce((sum, [, v]) => sum + v, 0), 1, `one order as ${role}: ${JSON.stringify(orders)}`)
  }
  assert.ok((after.get('milagro_keystore_operations_total{op="generateAndUse"}') ?? 0) >= 2, 'two shares generated in the key store (each with its proof of possession signed at once)')
})

test.run()
