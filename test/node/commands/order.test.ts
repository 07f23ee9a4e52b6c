// `milagro order create|list|show|release|export` against three running nodes, as child processes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { p2wpkh, TEST_NETWORK, WIF } from '@scure/btc-signer'
import { fromHex, toHex } from '../../../crypto/index.ts'
import type { OrderJson } from '../../../node/api/client.ts'
import { startNetwork, stopAll, type CustodyNode } from '../services/custody-harness.ts'

const run = promisify(execFile)
const RUNNER = fileURLToPath(new URL('./order-runner.ts', import.meta.url))

async function cli (n: CustodyNode, ...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const r = await run(process.execPath, [RUNNER, ...args, '--home', n.dir, '--url', n.services.api?.url as string], { timeout: 60_000 })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

test('order create → show → release → export: the file is 0600 and holds the key of the published address', async () => {
  let nodes: CustodyNode[] = []
  try {
    nodes = await startNetwork(['cli-p', 'cli-b', 'cli-f'])
    const [P, B, F] = nodes as [CustodyNode, CustodyNode, CustodyNode]
    const created = await cli(P, 'order', 'create', '--beneficiary', B.node.identity.cid.toString(), '--fiduciary', F.node.identity.cid.toString(), '--network', 'testnet', '--wait', '--json')
    assert.is(created.code, 0, created.stderr)
    const order = JSON.parse(created.stdout) as OrderJson
    assert.ok(order.wallet?.p2wpkh.startsWith('tb1q') === true)
    const human = await cli(P, 'order', 'show', order.id)
    assert.match(human.stdout, order.wallet.p2wpkh)
    const list = JSON.parse((await cli(P, 'order', 'list', '--all', '--json')).stdout) as { orders: OrderJson[] }
    assert.equal(list.orders.map((o) => o.id), [order.id])
    const released = await cli(P, 'order', 'release', order.id, '--wait', '--json')
    assert.is(released.code, 0, released.stderr)
    const redeemed = JSON.parse((await cli(B, 'order', 'show', order.id, '--wait', 'redeemed', '--json')).stdout) as OrderJson
    assert.ok(redeemed.keyAvailable)
    const out = join(B.dir, '..', 'wallet.wif')
    const exported = await cli(B, 'order', 'export', order.id, '--out', out)
    assert.is(exported.code, 0, exported.stderr)
    assert.is((await stat(out)).mode & 0o777, 0o600)
    const wif = (await readFile(out, 'utf8')).trim()
    assert.not.ok(exported.stdout.includes(wif), 'the key is not printed')
    const pub = secp256k1.getPublicKey(WIF(TEST_NETWORK).decode(wif), true)
    assert.is(toHex(pub), order.wallet.publicKey)
    assert.is(p2wpkh(pub, TEST_NETWORK).address, order.wallet.p2wpkh)
    const again = await cli(B, 'order', 'export', order.id, '--out', out)
    assert.is(again.code, 1, 'an existing file is not overwritten')
    const hexOut = join(B.dir, '..', 'wallet.hex')
    assert.is((await cli(B, 'order', 'export', order.id, '--out', hexOut, '--format', 'hex')).code, 0)
    assert.equal(secp256k1.getPublicKey(fromHex((await readFile(hexOut, 'utf8')).trim()), true), pub)
    const refused = await cli(P, 'order', 'export', order.id, '--out', join(P.dir, '..', 'nope'))
    assert.is(refused.code, 1)
    assert.match(refused.stderr, 'RoleError')
  } finally {
    await stopAll(nodes)
  }
})

test.run()
