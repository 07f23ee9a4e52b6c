import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { chmod, rm, stat } from 'node:fs/promises'
import { connect } from 'node:net'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { adminCall, adminRequest } from '../../../node/admin/client.ts'
import { MAX_REQUEST_BYTES } from '../../../node/admin/protocol.ts'
import { homePaths } from '../../../node/home.ts'
import type { MilagroNode } from '../../../node/node.ts'
import { addrOf, makeHome, startNode, stopNodes } from '../node-harness.ts'

/** Writes raw lines on one connection and collects one reply line per request line. */
async function rawExchange (path: string, payload: string, replies: number, signal: AbortSignal): Promise<{ lines: Array<Record<string, unknown>>, closed: boolean }> {
  return await new Promise((resolve, reject) => {
    const socket = connect(path)
    const lines: Array<Record<string, unknown>> = []
    let closed = false
    const finish = (): void => { signal.removeEventListener('abort', onAbort); socket.destroy(); resolve({ lines, closed }) }
    const onAbort = (): void => { socket.destroy(); reject(new Error(`got ${lines.length}/${replies} replies`)) }
    signal.addEventListener('abort', onAbort, { once: true })
    createInterface({ input: socket }).on('line', (l) => {
      lines.push(JSON.parse(l) as Record<string, unknown>)
      if (lines.length === replies) setImmediate(finish)
    })
    socket.on('end', () => { closed = true; if (lines.length === replies) finish() })
    socket.on('error', reject)
    socket.on('connect', () => { socket.write(payload) })
  })
}

/** Runs a connect attempt to `path` as user nobody (65534); resolves with 'connected' or the error code. */
async function connectAs (uid: number, path: string): Promise<string> {
  const code = `require('node:net').connect(${JSON.stringify(path)}).on('connect', function () { console.log('connected'); this.destroy() }).on('error', (e) => console.log(e.code))`
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', code], { uid, gid: uid, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.on('error', reject)
    child.on('exit', () => { out.trim() === '' ? reject(new Error(`child printed nothing: ${err}`)) : resolve(out.trim()) })
  })
}

test('the socket is 0600 in a 0700 home and answers status, identity, log.head, peers, checkpoint', async () => {
  const dir = await makeHome('admin')
  let node: MilagroNode | undefined
  try {
    node = await startNode(dir)
    const path = homePaths(dir).adminSocketPath
    const s = await stat(path)
    assert.ok(s.isSocket())
    assert.is(s.mode & 0o777, 0o600)
    assert.is((await stat(dir)).mode & 0o777, 0o700)
    const status = await adminCall(path, { cmd: 'status' }) as Record<string, unknown>
    assert.is(status.identity, node.identity.cid.toString())
    assert.is(status.peerId, node.libp2p.peerId.toString())
    assert.is(status.log, null)
    await node.send([node.identity.cid], 'test/self', { n: 1 })
    const head = await adminCall(path, { cmd: 'log.head' }) as { seq: number, cid: string }
    assert.is(head.seq, 0)
    assert.is(head.cid, node.log.head?.cid.toString())
    const identity = await adminCall(path, { cmd: 'identity' }) as Record<string, unknown>
    assert.equal(Object.keys(identity).sort(), ['cid', 'created', 'custodyKey', 'encryptionKey', 'name', 'peerId', 'signingKey', 'supersedes'])
    assert.is(identity.name, 'admin')
    assert.equal(await adminCall(path, { cmd: 'peers' }), [])
    const ckpt = await adminCall(path, { cmd: 'checkpoint' }) as Record<string, unknown>
    assert.equal(ckpt.checkpoints, [])
    assert.is(ckpt.every, 1000)
  } finally {
    await stopNodes([node])
    await rm(dirname(dir), { recursive: true, force: true })
  }
})

test('malformed and unknown requests get typed error replies; the node keeps running', async () => {
  const dir = await makeHome('admin')
  let node: MilagroNode | undefined
  try {
    node = await startNode(dir)
    const path = homePaths(dir).adminSocketPath
    const signal = AbortSignal.timeout(5_000)
    const payload = [
      'not json',
      '{"cmd": 5, "id": 1}',
      '{"cmd": "reboot", "id": 2}',
      '{"cmd": "connect", "id": 3}',
      '{"cmd": "status", "id": 4, "extra": true}',
      '{"cmd": "connect", "id": 5, "addr": "/not/a/multiaddr"}',
      '[1, 2]',
      '{"cmd": "status", "id": 6}'
    ].join('\n') + '\n'
    const { lines, closed } = await rawExchange(path, payload, 8, signal)
    assert.is(closed, false, 'the connection stays open after errors')
    const errors = lines.map((l) => (l.ok === true ? 'ok' : (l.error as { name: string }).name))
    assert.equal(errors, ['MalformedRequestError', 'MalformedRequestError', 'UnknownCommandError', 'MalformedRequestError', 'MalformedRequestError', errors[5], 'MalformedRequestError', 'ok'])
    assert.ok(errors[5] !== 'ok' && errors[5] !== 'MalformedRequestError', `a bad multiaddr fails in the command: ${String(errors[5])}`)
    assert.equal(lines.map((l) => l.id), [undefined, 1, 2, 3, 4, 5, undefined, 6])
    // An oversized line is refused and that connection closed; a new one works.
    const big = await rawExchange(path, '{"cmd":"status","pad":"' + 'x'.repeat(MAX_REQUEST_BYTES + 10) + '"}\n', 1, signal)
    assert.is((big.lines[0]?.error as { name: string }).name, 'RequestTooLargeError')
    const again = await adminRequest(path, { cmd: 'status' }, { signal })
    assert.is(again.ok, true)
    assert.ok(node.started)
  } finally {
    await stopNodes([node])
    await rm(dirname(dir), { recursive: true, force: true })
  }
})

test('another user cannot connect: the socket mode alone refuses uid 65534 (control: 0666 lets it in)', async () => {
  const dir = await makeHome('admin')
  let node: MilagroNode | undefined
  try {
    node = await startNode(dir)
    const path = homePaths(dir).adminSocketPath
    // Open the way to the socket (home 0711, its parent 0755) so that only the socket's own mode decides.
    await chmod(dir, 0o711)
    await chmod(dirname(dir), 0o755)
    assert.is(await connectAs(65534, path), 'EACCES')
    await chmod(path, 0o666)
    assert.is(await connectAs(65534, path), 'connected', 'the control case: the same user gets in when the mode allows it')
    await chmod(path, 0o600)
    await chmod(dir, 0o700)
  } finally {
    await stopNodes([node])
    await rm(dirname(dir), { recursive: true, force: true })
  }
})

test('connect dials a peer; stop stops the node and removes the socket; then the client says no node runs', async () => {
  const [dirA, dirB] = await Promise.all([makeHome('a'), makeHome('b')])
  let a: MilagroNode | undefined
  let b: MilagroNode | undefined
  try {
    a = await startNode(dirA)
    b = await startNode(dirB)
    const path = homePaths(dirA).adminSocketPath
    const connected = await adminCall(path, { cmd: 'connect', addr: addrOf(b) }) as { peerId: string }
    assert.is(connected.peerId, b.libp2p.peerId.toString())
    const stopped = new Promise<void>((resolve) => { a!.once('node:stopped', resolve) })
    assert.equal(await adminCall(path, { cmd: 'stop' }), { stopping: true })
    await stopped
    assert.is(a.started, false)
    await rejects(stat(path), { code: 'ENOENT' })
    await rejects(adminCall(path, { cmd: 'status' }), { name: 'AdminUnavailableError' })
  } finally {
    await stopNodes([a, b])
    await Promise.all([dirA, dirB].map(async (d) => { await rm(dirname(d), { recursive: true, force: true }) }))
  }
})

test.run()
