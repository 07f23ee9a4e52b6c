// Service-level figures for the M-Pin D-TA (issue 6), on whole nodes in this process (TCP
// loopback, each node with its own crypto pool sized to the cores, software key store):
//   mpin-service.issuance            complete distributed issuances/s: a client secret asked from two
//                                    D-TAs over the network, shares checked, summed and stored
//                                    (BLS12-381, 8 requests in flight)
//   mpin-service.login.bn254         authentications/s through the REST API: POST pass1, the client's
//   mpin-service.login.bls12-381     pass 2 (one G1 multiplication in this process), POST pass2
//                                    (verified in the pool), 16 clients at once; peer on BN254:
//                                    milagro-crypto-js SERVER_1 + SERVER_2 on one thread (its
//                                    verification alone, no HTTP)
//   mpin-service.login.p50           one login at a time, median ms from pass 1 to the answer (BLS12-381)
// The three nodes and the clients share the machine's cores, so these are end-to-end figures of one
// box, not of a dedicated authentication server. Every measured login must be accepted.
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CID } from 'multiformats/cid'
import { client1, client2, extractPin, fromHex, hashId, loadCurve, toHex, type CurveName, type MpinCurve } from '../../crypto/index.ts'
import { readApiToken } from '../../node/api/token.ts'
import { initHome, loadHome } from '../../node/home.ts'
import { silentLogger } from '../../node/logger.ts'
import { createNode, type MilagroNode } from '../../node/node.ts'
import { nodeServices, type Services } from '../../node/services/compose.ts'
import type { MpinInit } from '../../node/services/mpin.ts'
import { exportKeyPair, openSecret } from '../../node/services/mpin-export.ts'
import type { Report } from '../bench.ts'

export const figures = ['mpin-service.']

const PIN = 2024

interface Running { readonly node: MilagroNode, readonly services: Services, readonly url: string, readonly token: string }

async function start (dir: string, mpin: MpinInit): Promise<Running> {
  const home = await loadHome(dir)
  const { options, services } = nodeServices(home, silentLogger(), { api: { host: '127.0.0.1', port: 0 }, mpin })
  const node = createNode(home, { logger: silentLogger(), heartbeatIntervalMs: 100, directory: { announceIntervalMs: 1_000 }, ...options })
  await node.start()
  if (services.api === undefined || services.mpin === undefined) throw new Error('services did not start')
  return { node, services, url: services.api.url, token: await readApiToken(home.paths.apiTokenPath) }
}

async function introduce (a: MilagroNode, b: MilagroNode, signal: AbortSignal): Promise<void> {
  const knows = async (x: MilagroNode, y: MilagroNode): Promise<void> => {
    while ((await x.directory.get(y.identity.cid))?.bound !== true) await once(x.directory, 'identity:added', { signal })
  }
  const addr = b.libp2p.getMultiaddrs().find((m) => m.toString().includes('/tcp/'))
  if (addr === undefined) throw new Error('no TCP address')
  const waits = Promise.all([knows(a, b), knows(b, a)])
  await a.connect(addr.toString(), { signal })
  await waits
}

async function call (r: Running, method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
  const res = await fetch(r.url + path, {
    method,
    headers: { authorization: `Bearer ${r.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const json = await res.json() as any
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

function median (xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1] as number
}

/** Items/s with `lanes` loops of `run` in flight: the median of five windows of `ms / 5`. */
async function rate (run: () => Promise<void>, lanes: number, ms: number): Promise<number> {
  const rates: number[] = []
  for (let w = 0; w < 5; w++) {
    let done = 0
    const t0 = performance.now()
    await Promise.all(Array.from({ length: lanes }, async () => {
      while (performance.now() - t0 < ms / 5) {
        await run()
        done++
      }
    }))
    rates.push(done / ((performance.now() - t0) / 1000))
  }
  return median(rates)
}

/** A client of `auth` with a secret from the D-TAs: returns a function that logs in once over HTTP. */
async function client (auth: Running, name: CurveName, curve: MpinCurve, dtas: readonly string[], label: string): Promise<() => Promise<void>> {
  const id = `${auth.node.identity.cid.toString()}/${label}`
  const created = await call(auth, 'POST', '/v1/mpin/issuance', { issuance: 'client-secret', curve: name, dtas, id })
  const done = await call(auth, 'GET', `/v1/mpin/issuance/${created.id as string}?wait=complete&timeoutMs=30000`)
  if (done.status !== 'complete') throw new Error(`issuance ${done.status as string}`)
  const kp = exportKeyPair()
  const sealed = await call(auth, 'POST', `/v1/mpin/issuance/${created.id as string}/secret`, { recipientKey: toHex(kp.publicKey) })
  const { CID } = await import('multiformats/cid')
  const secret = openSecret(kp.secretKey, CID.parse(created.id), { enc: fromHex(sealed.enc), ciphertext: fromHex(sealed.ciphertext) })
  const hashedId = hashId(curve, new TextEncoder().encode(id))
  const token = extractPin(curve, secret, hashedId, PIN)
  const prepared = Array.from({ length: 8 }, () => client1(curve, { hashedId, pin: PIN, token }))
  let k = 0
  return async () => {
    const c1 = prepared[k++ % prepared.length] as ReturnType<typeof client1>
    const p1 = await call(auth, 'POST', '/v1/mpin/pass1', { curve: name, id, U: toHex(c1.U) })
    const p2 = await call(auth, 'POST', '/v1/mpin/pass2', { challenge: p1.challenge, V: toHex(client2(curve, c1.x, fromHex(p1.y), c1.sec)) })
    if (p2.accepted !== true) throw new Error(`bench login rejected: ${JSON.stringify(p2.error)}`)
  }
}

/** milagro-crypto-js SERVER_1 + SERVER_2 per second on one thread (BN254), or undefined when absent. */
async function milagroVerifyRate (): Promise<number | undefined> {
  const require = createRequire(import.meta.url)
  let CTX: new (c: string) => any
  try {
    CTX = require('milagro-crypto-js')
  } catch {
    return undefined
  }
  const M = new CTX('BN254').MPIN
  const rng = new (new CTX('BN254').RAND)()
  rng.clean()
  rng.seed(32, [...crypto.getRandomValues(new Uint8Array(32))])
  const sha = M.HASH_TYPE
  const s: number[] = []
  M.RANDOM_GENERATE(rng, s)
  const id = [...new TextEncoder().encode('bench-user@example.org')]
  const sst: number[] = []
  M.GET_SERVER_SECRET(s, sst)
  const token: number[] = []
  M.GET_CLIENT_SECRET(s, M.HASH_ID(sha, id), token)
  M.EXTRACT_PIN(sha, id, PIN, token)
  const X: number[] = []
  const SEC: number[] = []
  const xID: number[] = []
  M.CLIENT_1(sha, 0, id, rng, X, PIN, token, SEC, xID, [], null)
  const Y: number[] = []
  M.RANDOM_GENERATE(rng, Y)
  M.CLIENT_2(X, Y, SEC)
  const times: number[] = []
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now()
    const HID: number[] = []
    const HTID: number[] = []
    M.SERVER_1(sha, 0, id, HID, HTID)
    if (M.SERVER_2(0, HID, null, Y, sst, xID, null, SEC, null, null) !== 0) throw new Error('milagro-crypto-js rejected its own login')
    times.push(performance.now() - t0)
  }
  return 1000 / median(times)
}

export async function bench (report: Report): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'milagro-bench-mpin-'))
  const nodes: Running[] = []
  try {
    const dirs = await Promise.all(['dta-1', 'dta-2', 'auth'].map(async (name) => {
      const dir = join(root, name)
      await initHome(dir, { name, listen: ['/ip4/127.0.0.1/tcp/0'] })
      return dir
    }))
    const authCid: CID = (await loadHome(dirs[2] as string)).keys.identity.cid
    for (const [i, dir] of dirs.entries()) nodes.push(await start(dir, i < 2 ? { authServers: [authCid] } : {}))
    const signal = AbortSignal.timeout(30_000)
    const [d1, d2, auth] = nodes as [Running, Running, Running]
    await introduce(d1.node, d2.node, signal)
    await introduce(d1.node, auth.node, signal)
    await introduce(d2.node, auth.node, signal)
    const dtas = [d1, d2].map((d) => d.node.identity.cid.toString())

    // Distributed issuance, end to end.
    let n = 0
    const issue = async (): Promise<void> => {
      const created = await call(auth, 'POST', '/v1/mpin/issuance', { issuance: 'client-secret', curve: 'BLS12-381', dtas, id: `${authCid.toString()}/issue-${n++}` })
      const done = await call(auth, 'GET', `/v1/mpin/issuance/${created.id as string}?wait=complete&timeoutMs=30000`)
      if (done.status !== 'complete') throw new Error(`issuance ${done.status as string}`)
    }
    await issue()
    report({ name: 'mpin-service.issuance', value: await rate(issue, 8, 5000), unit: 'issuances/s' })

    for (const name of ['BN254', 'BLS12-381'] as const) {
      const curve = await loadCurve(name)
      await call(auth, 'POST', '/v1/mpin/issuance', { issuance: 'server-secret', curve: name, dtas }).then(async (c) => await call(auth, 'GET', `/v1/mpin/issuance/${c.id as string}?wait=complete&timeoutMs=30000`))
      const clients = await Promise.all(Array.from({ length: 4 }, async (_, i) => await client(auth, name, curve, dtas, `${name}-user-${i}`)))
      let c = 0
      const login = async (): Promise<void> => { await (clients[c++ % clients.length] as () => Promise<void>)() }
      for (let i = 0; i < 32; i++) await login() // warm-up: JIT, the pool's server-secret cache
      const value = await rate(login, 16, 4000)
      if (name === 'BN254') {
        const peer = await milagroVerifyRate()
        report({ name: 'mpin-service.login.bn254', value, unit: 'logins/s', ...(peer === undefined ? {} : { peer: 'milagro-crypto-js SERVER_2, 1 thread, no HTTP', peerValue: peer }) })
      } else {
        report({ name: 'mpin-service.login.bls12-381', value, unit: 'logins/s' })
        const times: number[] = []
        for (let i = 0; i < 40; i++) {
          const t0 = performance.now()
          await login()
          times.push(performance.now() - t0)
        }
        report({ name: 'mpin-service.login.p50', value: median(times), unit: 'ms' })
      }
    }
  } finally {
    await Promise.allSettled(nodes.map(async (r) => { await r.node.stop() }))
    await rm(root, { recursive: true, force: true })
  }
}
