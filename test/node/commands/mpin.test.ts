// `milagro mpin request|list|show|export|dta` against running nodes, as child processes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFile } from 'node:child_process'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { toHex } from '../../../crypto/index.ts'
import { makeHomes, startMpinNetwork, stopAll, type MpinNode } from '../services/mpin-harness.ts'

const run = promisify(execFile)
const RUNNER = fileURLToPath(new URL('./mpin-runner.ts', import.meta.url))

async function cli (n: MpinNode, ...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const r = await run(process.execPath, [RUNNER, ...args, '--home', n.dir, '--url', n.services.api?.url as string], { timeout: 60_000 })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

test('mpin request --wait → show → list → export (0600, the combined secret, not printed); a refused request exits 3; dta fingerprints', async () => {
  let nodes: MpinNode[] = []
  try {
    const [d1, d2, c] = await makeHomes(['cli-dta-1', 'cli-dta-2', 'cli-client'])
    nodes = await startMpinNetwork([{ dir: d1!.dir }, { dir: d2!.dir }, { dir: c!.dir }])
    const [D1, D2, C] = nodes as [MpinNode, MpinNode, MpinNode]
    const dtas = [D1, D2].flatMap((d) => ['--dta', d.node.identity.cid.toString()])
    const requested = await cli(C, 'mpin', 'request', '--issuance', 'client-secret', '--curve', 'BN254', ...dtas, '--wait', '--json')
    assert.is(requested.code, 0, requested.stderr)
    const v = JSON.parse(requested.stdout) as { id: string, status: string, secretAvailable: boolean }
    assert.equal([v.status, v.secretAvailable], ['complete', true])
    assert.match((await cli(C, 'mpin', 'show', v.id)).stdout, '2/2 answered')
    assert.equal((JSON.parse((await cli(C, 'mpin', 'list', '--json')).stdout) as { issuances: Array<{ id: string }> }).issuances.map((i) => i.id), [v.id])
    const out = join(C.dir, '..', 'client-secret.hex')
    const exported = await cli(C, 'mpin', 'export', v.id, '--out', out)
    assert.is(exported.code, 0, exported.stderr)
    assert.is((await stat(out)).mode & 0o777, 0o600)
    const hex = (await readFile(out, 'utf8')).trim()
    const handle = C.mpin.issuance(v.id)?.handle as string
    assert.is(hex, toHex(await C.services.keystore!.use(handle, (s) => Uint8Array.from(s))))
    assert.not.ok(exported.stdout.includes(hex), 'the secret is not printed')
    assert.is((await cli(C, 'mpin', 'export', v.id, '--out', out)).code, 1, 'refuses to overwrite')
    const refused = await cli(C, 'mpin', 'request', '--issuance', 'server-secret', ...dtas, '--wait')
    assert.is(refused.code, 3)
    assert.match(refused.stdout, 'NotEntitledError')
    const fingerprints = JSON.parse((await cli(D1, 'mpin', 'dta', '--json')).stdout) as { masters: Array<{ curve: string, fingerprint: string }> }
    assert.equal(fingerprints.masters, [{ curve: 'BN254', fingerprint: toHex(D1.mpin.state.masters.BN254?.fingerprint as Uint8Array) }])
  } finally {
    await stopAll(nodes)
  }
})

test.run()
