// `milagro threshold create|list|show|address|release|refresh|export` against five running nodes (a
// 2-of-3 order), as child processes.
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
import { startThresholdNetwork, stopAll, type CustodyNode } from '../services/threshold-harness.ts'

const run = promisify(execFile)
const RUNNER = fileURLToPath(new URL('./threshold-runner.ts', import.meta.url))

async function cli (n: CustodyNode, ...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const r = await run(process.execPath, [RUNNER, ...args, '--home', n.dir, '--url', n.services.api?.url as string], { timeout: 60_000 })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

interface Json { id: string, wallet: { walletKey: string, p2wpkh: string }, round: { round: number, status: string }, redeemed: boolean }

test('threshold create → show → address → refresh → release → export (wallet and child): files are 0600 and hold the keys of the published addresses', async () => {
  let nodes: CustodyNode[] = []
  try {
    nodes = await startThresholdNetwork(['cli-p', 'cli-b', 'cli-f1', 'cli-f2', 'cli-f3'])
    const [P, B, ...F] = nodes as [CustodyNode, CustodyNode, CustodyNode, CustodyNode, CustodyNode]
    const created = await cli(P, 'threshold', 'create', '--beneficiary', B.node.identity.cid.toString(), '--fiduciaries', F.map((f) => f.node.identity.cid.toString()).join(','), '--threshold', '2', '--network', 'testnet', '--wait', '--json')
    assert.is(created.code, 0, created.stderr)
    const order = JSON.parse(created.stdout) as Json
    assert.ok(order.wallet.p2wpkh.startsWith('tb1q'))
    const human = await cli(P, 'threshold', 'show', order.id)
    assert.match(human.stdout, order.wallet.p2wpkh)
    assert.match(human.stdout, 'threshold 2 of 3')
    assert.equal((JSON.parse((await cli(P, 'threshold', 'list', '--all', '--json')).stdout) as { orders: Json[] }).orders.map((o) => o.id), [order.id])
    const child = JSON.parse((await cli(B, 'threshold', 'address', order.id, '--index', '5', '--json')).stdout) as { p2wpkh: string, publicKey: string }
    const refreshed = await cli(P, 'threshold', 'refresh', order.id, '--wait', '--json')
    assert.is(refreshed.code, 0, refreshed.stderr)
    assert.equal([(JSON.parse(refreshed.stdout) as Json).round.round, (JSON.parse(refreshed.stdout) as Json).round.status], [1, 'qualified'])
    assert.is((await cli(P, 'threshold', 'release', order.id)).code, 0)
    assert.ok((JSON.parse((await cli(B, 'threshold', 'show', order.id, '--wait', 'redeemed', '--json')).stdout) as Json).redeemed)
    const out = join(B.dir, '..', 'threshold.wif')
    const exported = await cli(B, 'threshold', 'export', order.id, '--out', out)
    assert.is(exported.code, 0, exported.stderr)
    assert.is((await stat(out)).mode & 0o777, 0o600)
    const wif = (await readFile(out, 'utf8')).trim()
    assert.not.ok(exported.stdout.includes(wif), 'the key is not printed')
    const pub = secp256k1.getPublicKey(WIF(TEST_NETWORK).decode(wif), true)
    assert.is(toHex(pub), order.wallet.walletKey)
    assert.is(p2wpkh(pub, TEST_NETWORK).address, order.wallet.p2wpkh)
    assert.is((await cli(B, 'threshold', 'export', order.id, '--out', out)).code, 1, 'an existing file is not overwritten')
    const childOut = join(B.dir, '..', 'child5.hex')
    assert.is((await cli(B, 'threshold', 'export', order.id, '--out', childOut, '--format', 'hex', '--child', '5')).code, 0)
    const childPub = secp256k1.getPublicKey(fromHex((await readFile(childOut, 'utf8')).trim()), true)
    assert.is(toHex(childPub), child.publicKey)
    assert.is(p2wpkh(childPub, TEST_NETWORK).address, child.p2wpkh)
    const refused = await cli(P, 'threshold', 'export', order.id, '--out', join(P.dir, '..', 'nope'))
    assert.is(refused.code, 1)
    assert.match(refused.stderr, 'RoleError')
  } finally {
    await stopAll(nodes)
  }
})

test.run()
