// `milagro trace` on a real custody flow: three nodes over loopback TCP run an order to redemption
// and stop; the order is traced over the three homes, over two of them, with an unknown subject,
// with one home tampered — through the command (in process) and through the real `milagro` entry
// (a child process). Every case checks that not a byte of any home changed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { register } from '../../../node/commands/trace.ts'
import type { TraceReport } from '../../../node/commands/trace-core.ts'
import { cidOf } from '../../../protocol/codec.ts'
import { listEntries } from '../../../storage/inspect.ts'
import { createStores, dataPaths } from '../../../storage/stores.ts'
import { compact, flipOnDisk } from '../../storage/corrupt.ts'
import { run } from './home-log.ts'
import { snapshotTree, stoppedCustodyFlow, type StoppedFlow } from './trace-fixture.ts'
import { makeHomes, startMpinNetwork, stopAll, type MpinNode } from '../services/mpin-harness.ts'

const cli = fileURLToPath(new URL('../../../bin/milagro.js', import.meta.url))
const P = 0
const B = 1
const F = 2
/** Sender and recipients (by node) of each message of the flow. */
const FLOW: Record<string, [number, number[]]> = {
  'custody/order': [P, [B, F]],
  'custody/beneficiary-key': [B, [P]],
  'custody/fiduciary-key': [F, [P]],
  'custody/address': [P, [B, F]],
  'custody/release-request': [P, [F]],
  'custody/release': [F, [B]],
  'custody/released': [F, [P]],
  'custody/redeemed': [B, [P]]
}

let flow: StoppedFlow
let scratch = ''
test.before(async () => {
  flow = await stoppedCustodyFlow('trace')
  scratch = await mkdtemp(join(tmpdir(), 'milagro-trace-test-'))
})
test.after(async () => {
  await flow?.remove()
  if (scratch !== '') await rm(scratch, { recursive: true, force: true })
})

const homeArgs = (dirs: readonly string[]): string[] => dirs.flatMap((d) => ['--home', d])
const snapshots = async (dirs: readonly string[]): Promise<string[][]> => await Promise.all(dirs.map(snapshotTree))

async function trace (subject: string, dirs: readonly string[]): Promise<{ report: TraceReport, status: number, text: string, textStatus: number }> {
  const before = await snapshots(dirs)
  const json = await run(register, ['trace', subject, ...homeArgs(dirs), '--json'])
  const text = await run(register, ['trace', subject, ...homeArgs(dirs)])
  assert.equal(await snapshots(dirs), before, 'no file of any home changed')
  return { report: JSON.parse(json.out) as TraceReport, status: json.status, text: text.out, textStatus: text.status }
}

function child (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], signal: AbortSignal.timeout(30_000) })
    let stdout = ''
    let stderr = ''
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    c.on('error', reject)
    c.on('close', (code) => { resolve({ code, stdout, stderr }) })
  })
}

test('three homes: every envelope of the order with its sender\'s and receivers\' log seqs and facts; status 0', async () => {
  const { report: r, status, text, textStatus } = await trace(flow.order.toString(), flow.dirs)
  assert.is(status, 0)
  assert.is(r.ok, true)
  assert.is(r.found, true)
  assert.is(r.type, 'custody/order')
  assert.equal(r.failures, [])
  assert.equal(r.warnings, [])
  assert.equal(r.homes.map((h) => [h.home, h.name, h.identity, h.verified]), flow.dirs.map((d, i) => [d, flow.names[i], flow.identities[i], true]))
  const types = r.envelopes.map((e) => e.type)
  assert.equal(new Set(types), new Set(Object.keys(FLOW)))
  assert.is(types.length, 8)
  // Causal order: the keys answer the order, the address both keys, and so on.
  assert.equal([types[0], types[3], types[4], types[5]], ['custody/order', 'custody/address', 'custody/release-request', 'custody/release'])
  assert.equal(new Set(types.slice(1, 3)), new Set(['custody/beneficiary-key', 'custody/fiduciary-key']))
  assert.equal(new Set(types.slice(6)), new Set(['custody/released', 'custody/redeemed']))
  assert.is(r.envelopes[0]?.cid, flow.order.toString())
  for (const e of r.envelopes) {
    const [from, to] = FLOW[e.type] as [number, number[]]
    const fact = e.type.replace('/', '.')
    const logged = flow.envelopeEntries[from]?.get(e.cid)
    assert.equal([e.sender.identity, e.sender.home, e.sender.status], [flow.identities[from], from, 'sent'], e.type)
    assert.equal(e.sender.entry?.seq, logged?.seq, `${e.type}: the sender's seq`)
    assert.is(logged?.kind, 'envelope.sent')
    assert.ok((e.sender.entry?.clock ?? 0) > e.clock)
    assert.equal(e.sender.facts.map((f) => f.kind), [fact], `${e.type}: the sender's fact`)
    assert.equal(flow.facts[from]?.get(e.cid), [fact])
    assert.equal(e.recipients.map((s) => s.home), to, `${e.type}: recipients`)
    for (const s of e.recipients) {
      const at = flow.envelopeEntries[s.home as number]?.get(e.cid)
      assert.is(s.status, 'received')
      assert.is(at?.kind, 'envelope.received')
      assert.equal(s.entry?.seq, at?.seq, `${e.type}: ${s.name ?? ''}'s seq`)
      assert.equal(s.entry?.clock, at?.clock)
      assert.ok((s.entry?.clock ?? 0) > e.clock)
      assert.equal(s.facts.map((f) => [f.kind, f.rejected]), [[fact, false]], `${e.type}: ${s.name ?? ''}'s fact`)
    }
    const position = new Map(r.envelopes.map((x) => [x.cid, x.n]))
    for (const p of e.prev) assert.ok((position.get(p) ?? Infinity) < e.n, `${e.type}: prev ${p} comes first`)
  }
  assert.equal(r.localFacts.map((f) => [f.home, f.kind]), [[B, 'custody.share'], [F, 'custody.share']])
  assert.is(textStatus, 0)
  assert.match(text, new RegExp(`^trace of ${flow.order.toString()} \\(custody/order\\): 8 envelopes in 3 logs`))
  assert.match(text, /\n {3}5\. custody\/release-request {2}bafy/)
  assert.match(text, /OK: 8 envelopes traced; every link resolves, every received envelope is in its sender's log, clocks agree$/)
})

test('two of the three homes: the fiduciary\'s side is absent (a warning), status 0', async () => {
  const { report: r, status, text } = await trace(flow.order.toString(), [flow.dirs[P], flow.dirs[B]])
  assert.is(status, 0)
  assert.is(r.ok, true)
  assert.equal(r.failures, [])
  assert.equal(r.warnings.map((w) => w.code), ['absent'])
  assert.match(r.warnings[0]?.message ?? '', new RegExp(`^${flow.names[F]} \\(${flow.identities[F]}\\) took part \\(sent 3, was sent 3 of these envelopes\\) but its home was not given`))
  assert.is(r.envelopes.length, 8)
  for (const e of r.envelopes) {
    const [from, to] = FLOW[e.type] as [number, number[]]
    assert.is(e.sender.status, from === F ? 'absent' : 'sent', e.type)
    assert.equal(e.recipients.map((s) => s.status), to.map((n) => n === F ? 'absent' : 'received'), e.type)
  }
  assert.match(text, /\nWARN .* its home was not given: its side is absent\n/)
  assert.match(text, new RegExp(`\n +received ${flow.names[F]} \\(home not given\\) +—\n`))
})

test('an unknown subject: status 1 and a message; not a CID: a usage error', async () => {
  const unknown = cidOf(new TextEncoder().encode('no such order')).toString()
  const { report: r, status, text, textStatus } = await trace(unknown, flow.dirs)
  assert.is(status, 1)
  assert.is(r.found, false)
  assert.equal(r.failures.map((f) => f.code), ['unknown-subject'])
  assert.equal(r.envelopes, [])
  assert.is(textStatus, 1)
  assert.match(text, new RegExp(`FAIL ${unknown} is in none of the 3 verified logs: no envelope, thread or fact names it`))
  let caught: unknown
  await run(register, ['trace', 'not-a-cid', '--home', flow.dirs[P]]).catch((e: unknown) => { caught = e })
  assert.equal([(caught as { code?: string } | undefined)?.code, (caught as Error | undefined)?.name], ['commander.invalidArgument', 'CommanderError'])
})

test('a home whose log was tampered (one byte of an entry block): reported as not verifying, its entries unused, status 1', async () => {
  // A copy of the fiduciary's home, with its blocks compacted into tables, one byte flipped in the
  // block of its envelope.sent entry for the fiduciary key.
  const home = join(scratch, 'fiduciary', 'home')
  await cp(flow.dirs[F], home, { recursive: true })
  await compact(home)
  const key = [...(flow.envelopeEntries[F] ?? new Map()).entries()].find(([, e]) => e.kind === 'envelope.sent')
  assert.ok(key !== undefined)
  const seq = key[1].seq
  const stores = createStores(dataPaths(home), { createIfMissing: false })
  await stores.start()
  let victim: Uint8Array | undefined
  for await (const item of listEntries(stores, { from: seq, to: seq })) victim = item.entry?.bytes
  await stores.stop()
  assert.ok(victim !== undefined)
  flipOnDisk(dataPaths(home).blocks, victim, '.ldb')
  const dirs = [flow.dirs[P], flow.dirs[B], home]
  const { report: r, status, text } = await trace(flow.order.toString(), dirs)
  assert.is(status, 1)
  assert.is(r.ok, false)
  assert.equal(r.homes.map((h) => h.verified), [true, true, false])
  assert.match(r.homes[2]?.problem ?? '', new RegExp(`^seq ${seq} \\(bafy\\w+\\): .*\\[hash-mismatch\\]$`))
  assert.equal(r.failures.map((f) => [f.code, f.home]), [['home-unverified', 2]])
  for (const e of r.envelopes) {
    const [from, to] = FLOW[e.type] as [number, number[]]
    assert.is(e.sender.status, from === F ? 'unverified' : 'sent', e.type)
    assert.equal(e.recipients.map((s) => s.status), to.map((n) => n === F ? 'unverified' : 'received'), e.type)
  }
  assert.match(text, /LOG DOES NOT VERIFY: seq \d+ .*\[hash-mismatch\]/)
  assert.match(text, /\nFAIL: 1 problem$/)
})

test('through the real `milagro` entry: the trace (status 0), JSON, an unknown subject (1), not a home (1, typed)', async () => {
  const before = await snapshots(flow.dirs)
  const ok = await child(['trace', flow.order.toString(), ...homeArgs(flow.dirs)])
  assert.is(ok.code, 0, ok.stderr)
  assert.match(ok.stdout, /OK: 8 envelopes traced/)
  const json = await child(['trace', flow.order.toString(), ...homeArgs(flow.dirs), '--json'])
  assert.is(json.code, 0, json.stderr)
  const r = JSON.parse(json.stdout) as TraceReport
  assert.equal([r.ok, r.envelopes.length, r.homes.length], [true, 8, 3])
  const unknown = await child(['trace', cidOf(new Uint8Array([7])).toString(), ...homeArgs(flow.dirs)])
  assert.is(unknown.code, 1)
  assert.match(unknown.stdout, /FAIL bafy\w+ is in none of the 3 verified logs/)
  const notHome = await child(['trace', flow.order.toString(), '--home', flow.dirs[P], '--home', scratch])
  assert.is(notHome.code, 1)
  assert.match(notHome.stderr, /^milagro: LogNotFoundError: no log under /)
  assert.equal(await snapshots(flow.dirs), before)
})

test('an M-Pin issuance (another service, facts linked by `answer`): the request to both D-TAs and the client itself, both shares, each with its facts', async () => {
  let nodes: MpinNode[] = []
  try {
    const homes = await makeHomes(['trace-dta-1', 'trace-dta-2', 'trace-client'])
    nodes = await startMpinNetwork(homes.map((h) => ({ dir: h.dir })))
    const [D1, D2, C] = nodes as [MpinNode, MpinNode, MpinNode]
    const signal = AbortSignal.timeout(40_000)
    const request = await C.mpin.requestIssuance({ issuance: 'client-secret', curve: 'BN254', dtas: [D1.node.identity.cid, D2.node.identity.cid] })
    assert.is((await C.mpin.waitFor(request.id, (v) => v.status !== 'pending', { signal })).status, 'complete')
    await stopAll(nodes, { remove: false })
    const dirs = nodes.map((n) => n.dir)
    const { report: r, status, text } = await trace(request.id.toString(), dirs)
    assert.match(text, /\n +received trace-client \[3\] +own envelope \(#\d+\)\n/)
    assert.is(status, 0)
    assert.equal([r.ok, r.type, r.failures, r.warnings], [true, 'mpin/request', [], []])
    const [req, ...shares] = r.envelopes
    assert.equal([req?.cid, req?.sender.home, req?.sender.facts.map((f) => f.kind)], [request.id.toString(), 2, ['mpin.request']])
    assert.equal(req?.recipients.map((s) => [s.home, s.status]), [[0, 'received'], [1, 'received'], [2, 'own']])
    assert.equal(new Set(shares.map((e) => e.sender.home)), new Set([0, 1]))
    for (const e of shares) {
      assert.equal([e.type, e.prev, e.sender.status, e.sender.facts.map((f) => f.kind)], ['mpin/share', [request.id.toString()], 'sent', ['mpin.issued']])
      assert.equal(e.recipients.map((s) => [s.home, s.status, s.facts.map((f) => f.kind)]), [[2, 'received', ['mpin.received']]])
    }
    assert.equal(r.localFacts.map((f) => [f.home, f.kind]), [[2, 'mpin.combined']])
  } finally {
    await stopAll(nodes)
  }
})

test.run()
