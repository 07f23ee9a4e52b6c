// Who gets in: the REST API refuses requests without this node's current token (401, state
// unchanged), sends no CORS headers, the admin socket is refused in a home others can reach, and a
// running `milagro start` keeps its memory out of core dumps.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createApiToken, readApiToken } from '../../node/api/token.ts'
import { homePaths, initHome } from '../../node/home.ts'
import type { MilagroNode } from '../../node/node.ts'
import { makeHome, startCustodyNode, stopAll, type CustodyNode } from '../node/services/custody-harness.ts'
import { startNode } from '../node/node-harness.ts'

interface Answer { readonly status: number, readonly headers: Headers, readonly body: string }

async function send (url: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const res = await fetch(url + path, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000)
  })
  return { status: res.status, headers: res.headers, body: await res.text() }
}

/** What the node's state looks like from outside: its log head and its orders. */
async function snapshot (n: CustodyNode): Promise<string> {
  const head = n.node.log.head
  return JSON.stringify({ head: head === undefined ? null : [head.seq, head.cid.toString()], orders: n.custody.orders({ limit: 500 }).orders.map((o) => o.id.toString()), outbox: n.node.parts.outbox.count() })
}

test('REST: no token, a wrong one, another node\'s, a rotated (expired) one, a wrong scheme: 401 UnauthenticatedError on every route, state unchanged, the token never echoed', async () => {
  let nodes: CustodyNode[] = []
  try {
    nodes = await Promise.all(['access-a', 'access-b'].map(async (name) => await startCustodyNode(await makeHome(name))))
    const [a, b] = nodes as [CustodyNode, CustodyNode]
    const url = a.services.api?.url as string
    const good = await readApiToken(a.node.home.paths.apiTokenPath)
    const other = await readApiToken(b.node.home.paths.apiTokenPath)
    const self = a.node.identity.cid.toString()
    // An order of a's, so that release and export have a real target.
    const order = (await send(url, 'POST', '/v1/orders', { authorization: `Bearer ${good}` }, { beneficiary: self, fiduciary: self }))
    assert.is(order.status, 201, order.body)
    const id = (JSON.parse(order.body) as { id: string }).id
    await a.custody.waitFor(id, (o) => o.wallet !== null, { signal: AbortSignal.timeout(20_000) })

    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/status'], ['GET', '/v1/identity'], ['GET', `/v1/identities/${self}`], ['GET', '/v1/orders'], ['GET', `/v1/orders/${id}`],
      ['POST', '/v1/orders', { beneficiary: self, fiduciary: self }], ['POST', `/v1/orders/${id}/release`, {}],
      ['POST', `/v1/orders/${id}/export`, { format: 'wif', recipientKey: 'ab'.repeat(32) }], ['GET', '/v1/openapi.json'],
      ['GET', '/v1/nope'], ['POST', '/v1/mpin/issuances', {}]
    ]
    const presented: Array<[string, Record<string, string>]> = [
      ['no header', {}],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['wrong token', { authorization: `Bearer ${'A'.repeat(43)}` }],
      ['another node\'s token', { authorization: `Bearer ${other}` }],
      ['token with a byte changed', { authorization: `Bearer ${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}` }],
      ['token prefix', { authorization: `Bearer ${good.slice(0, 20)}` }],
      ['basic scheme', { authorization: `Basic ${Buffer.from(`x:${good}`).toString('base64')}` }],
      ['token without scheme', { authorization: good }],
      ['token in a query-like header', { 'x-api-token': good }]
    ]
    const before = await snapshot(a)
    let checked = 0
    for (const [why, headers] of presented) {
      for (const [method, path, body] of routes) {
        const r = await send(url, method, path, headers, body)
        assert.is(r.status, 401, `${why}: ${method} ${path} → ${r.status} ${r.body}`)
        assert.equal(JSON.parse(r.body), { error: { name: 'UnauthenticatedError', message: 'a valid bearer token is required' } })
        assert.is(r.headers.get('www-authenticate'), 'Bearer')
        assert.not.ok(r.body.includes(good.slice(0, 12)) || r.body.includes(other.slice(0, 12)), 'a token echoed in the answer')
        checked++
      }
    }
    assert.is(checked, presented.length * routes.length)
    assert.is(await snapshot(a), before, 'a refused request changed the state')
    // health needs no token, and says nothing about the node
    const health = await send(url, 'GET', '/v1/health', {})
    assert.equal([health.status, JSON.parse(health.body)], [200, { ok: true }])

    // Rotation: a new token file (the old token "expires") takes effect at the next start.
    await a.node.stop()
    const rotated = await createApiToken(a.node.home.paths.apiTokenPath)
    await a.node.start()
    const url2 = a.services.api?.url as string
    const old = await send(url2, 'GET', '/v1/status', { authorization: `Bearer ${good}` })
    assert.is(old.status, 401)
    const fresh = await send(url2, 'GET', '/v1/status', { authorization: `Bearer ${rotated}` })
    assert.is(fresh.status, 200)
  } finally {
    await stopAll(nodes)
  }
})

test('CORS is closed: no Access-Control-* header on any answer, preflight included, whatever the Origin', async () => {
  let nodes: CustodyNode[] = []
  try {
    nodes = [await startCustodyNode(await makeHome('cors'))]
    const n = nodes[0] as CustodyNode
    const url = n.services.api?.url as string
    const token = await readApiToken(n.node.home.paths.apiTokenPath)
    const answers: Answer[] = []
    for (const origin of ['https://evil.example', 'null', url]) {
      answers.push(await send(url, 'OPTIONS', '/v1/orders', { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' }))
      answers.push(await send(url, 'GET', '/v1/status', { origin, authorization: `Bearer ${token}` }))
      answers.push(await send(url, 'GET', '/v1/status', { origin }))
      answers.push(await send(url, 'GET', '/v1/health', { origin }))
    }
    // A preflight carries no token: refused like any unauthenticated request, and without CORS headers.
    assert.equal(answers.map((a) => a.status), [401, 200, 401, 200, 401, 200, 401, 200, 401, 200, 401, 200])
    for (const a of answers) assert.equal([...a.headers.keys()].filter((k) => k.startsWith('access-control-')), [])
  } finally {
    await stopAll(nodes)
  }
})

test('admin socket: a home accessible by group or others is refused at start (AdminSocketPermissionError), nothing left running; 0700 starts', async () => {
  const dir = await makeHome('admin-perms')
  let node: MilagroNode | undefined
  try {
    for (const mode of [0o755, 0o750, 0o705, 0o777]) {
      await chmod(dir, mode)
      await rejects(startNode(dir), (e: Error) => e.name === 'AdminSocketPermissionError' && e.message.includes(`mode ${mode.toString(8)}`))
      assert.is(await stat(homePaths(dir).adminSocketPath).then(() => 'present', () => 'absent'), 'absent')
    }
    await chmod(dir, 0o700)
    node = await startNode(dir)
    assert.is((await stat(homePaths(dir).adminSocketPath)).mode & 0o777, 0o600)
  } finally {
    await node?.stop()
    await rm(dirname(dir), { recursive: true, force: true })
  }
})

test('milagro start excludes every memory mapping from core dumps (/proc/<pid>/coredump_filter is 0) before it reads a secret', async () => {
  if (process.platform !== 'linux') {
    console.log('SKIP: /proc/<pid>/coredump_filter is Linux-only')
    return
  }
  const base = await mkdtemp(join(tmpdir(), 'milagro-core-'))
  const home = join(base, 'home')
  await initHome(home, { name: 'core', listen: ['/ip4/127.0.0.1/tcp/0'], api: { host: '127.0.0.1', port: 0 } })
  const runner = fileURLToPath(new URL('../node/commands/cli-runner.ts', import.meta.url))
  const child = spawn(process.execPath, [runner, 'start', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MILAGRO_LOG_LEVEL: 'warn' } })
  const exited = new Promise((resolve) => { child.once('exit', resolve) })
  try {
    // Our own filter is not 0 (the default is 0x33): the child's comes from the node, not inherited.
    assert.is.not(Number.parseInt((await readFile('/proc/self/coredump_filter', 'utf8')).trim(), 16), 0)
    await new Promise<void>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('running')) resolve() })
      child.on('exit', (code) => { reject(new Error(`start exited (${code ?? 'signal'}) before running: ${out}`)) })
      AbortSignal.timeout(30_000).addEventListener('abort', () => { reject(new Error('start did not run within 30 s')) })
    })
    const filter = (await readFile(`/proc/${child.pid as number}/coredump_filter`, 'utf8')).trim()
    assert.is(Number.parseInt(filter, 16), 0, `coredump_filter is ${filter}`)
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
    await rm(base, { recursive: true, force: true })
  }
})

test.run()
