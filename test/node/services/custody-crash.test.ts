// Crash in the middle of the custody flow: each node in its own process, killed with SIGKILL at
// the moment it has work in flight, restarted on the same home — the order completes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { ApiClient, type OrderJson } from '../../../node/api/client.ts'
import { readApiToken } from '../../../node/api/token.ts'
import { CustodyChild, type Ready } from '../../../simulations/nodes/spawn.ts'
import { makeHome } from '../node-harness.ts'

interface Running { child: CustodyChild, ready: Ready, api: ApiClient }

async function start (home: string, bootstrap: readonly string[], signal: AbortSignal): Promise<Running> {
  const child = new CustodyChild(home, ['--fast', ...bootstrap.flatMap((b) => ['--bootstrap', b])])
  const ready = await child.next<Ready>('ready', signal)
  return { child, ready, api: new ApiClient({ url: ready.api, token: await readApiToken(`${home}/api-token`) }) }
}

const stage = async (n: Running, id: string, s: 'published' | 'released' | 'redeemed'): Promise<OrderJson> => await n.api.order(id, { stage: s, timeoutMs: 30_000 })

test('SIGKILL of the beneficiary, the fiduciary and the principal while they have work in flight: every order completes after restart', async () => {
  const homes = await Promise.all(['crash-f', 'crash-b', 'crash-p'].map(makeHome))
  const [hf, hb, hp] = homes as [string, string, string]
  const all: Running[] = []
  try {
    const signal = AbortSignal.timeout(120_000)
    let F = await start(hf, [], signal)
    let B = await start(hb, [F.ready.addr], signal)
    let P = await start(hp, [F.ready.addr, B.ready.addr], signal)
    all.push(F, B, P)
    await Promise.all([P.child.knows([F.ready.identity, B.ready.identity], signal), F.child.knows([P.ready.identity], signal), B.child.knows([P.ready.identity], signal)])
    const ids = { beneficiary: B.ready.identity, fiduciary: F.ready.identity }

    // The beneficiary dies as the order reaches it.
    const first = (await P.api.createOrder(ids)).id
    await B.child.kill('SIGKILL')
    B = await start(hb, [F.ready.addr, P.ready.addr], signal)
    all.push(B)
    const published = await stage(P, first, 'published')
    assert.ok(published.wallet !== null)
    assert.equal((await stage(B, first, 'published')).wallet, published.wallet)

    // The fiduciary dies as the release request reaches it.
    await P.api.release(first)
    await F.child.kill('SIGKILL')
    F = await start(hf, [B.ready.addr, P.ready.addr], signal)
    all.push(F)
    const atB = await stage(B, first, 'redeemed')
    assert.is(atB.status.beneficiary, 'redeemed')
    assert.ok(atB.keyAvailable)
    assert.is((await stage(P, first, 'redeemed')).status.principal, 'redeemed')
    assert.is((await F.api.order(first)).status.fiduciary, 'released')

    // The principal dies right after creating an order (its envelope is in its log, maybe not yet sent).
    const second = (await P.api.createOrder(ids)).id
    await P.child.kill('SIGKILL')
    P = await start(hp, [F.ready.addr, B.ready.addr], signal)
    all.push(P)
    const again = await stage(P, second, 'published')
    assert.ok(again.wallet !== null)
    await P.api.release(second)
    assert.is((await stage(B, second, 'redeemed')).status.beneficiary, 'redeemed')
    // Every node knows both orders, in its role.
    for (const n of [P, B, F]) {
      const page = await n.api.listOrders()
      assert.is(page.orders.length, 2)
    }
  } finally {
    await Promise.all(all.map(async (r) => { await r.child.stop() }))
    await Promise.all(homes.map(async (h) => { await rm(dirname(h), { recursive: true, force: true }) }))
  }
})

test.run()
