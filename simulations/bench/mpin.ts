// Figures for M-Pin and the crypto pool (issue 6):
//   mpin.verify.bn254        server verifications/s through the pool, all cores, logins submitted
//                            in batches (each worker checks its 128 with one multi-pairing,
//                            crypto/mpin/batch.ts); peer: Apache milagro-crypto-js 3.3
//                            MPIN.SERVER_1 + SERVER_2 on BN254, one thread (its per-core rate)
//   mpin.verify.bn254.single the same, one login per call (as one REST pass 2 would submit it), from
//                            4 × size concurrent callers; the pool coalesces what waits
//   mpin.verify.bn254.1core  serverVerify in-process on one thread, one login at a time
//   mpin.verify.bls12-381    server verifications/s through the pool, all cores, batches
//   mpin.issue               client-secret shares issued/s through the pool, all cores, BLS12-381
//                            (the default curve); mpin.issue.bn254 the same on BN254 beside
//                            milagro-crypto-js MPIN.GET_CLIENT_SECRET on one thread
//   pool.scaling             BN254 verification throughput with 2 workers ÷ 1 worker, both warm:
//                            the same 2-worker pool kept busy with 128-login tasks one at a time
//                            (one worker busy) versus two at a time
// Logins are prepared in-process (distinct users, one server secret, correct PINs); every
// measured verification must accept, or the script throws. Each pool is warmed for ~1 s first
// (JIT, the workers' server-secret cache). The machines are shared, and another process busy on
// one of 2 cores halves a pool figure while it lasts: every figure here, ours and the peer's
// alike, is the median of several short windows. About 30 s in all.
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { CryptoPool } from '../../crypto/pool/pool.ts'
import type { MpinIssueJob, MpinVerifyJob } from '../../crypto/pool/jobs.ts'
import { loadCurve } from '../../crypto/mpin/curves.ts'
import { hashId } from '../../crypto/mpin/map.ts'
import {
  client1, client2, clientSecretShare, extractPin, prepareServerSecret, randomScalar, serverSecretShare, serverVerify
} from '../../crypto/mpin/mpin.ts'
import type { CurveName } from '../../crypto/mpin/params.ts'
import { opsPerSecond } from '../measure.ts'
import type { Report } from '../bench.ts'

export const figures = ['mpin.', 'pool.']

const WINDOW_MS = 2500

async function makeLogins (curveName: CurveName, n: number): Promise<MpinVerifyJob[]> {
  const curve = await loadCurve(curveName)
  const s = randomScalar(curve)
  const serverSecret = serverSecretShare(curve, s)
  const jobs: MpinVerifyJob[] = []
  for (let u = 0; jobs.length < n; u++) {
    const hid = hashId(curve, new TextEncoder().encode(`bench-user-${u}@example.org`))
    const token = extractPin(curve, clientSecretShare(curve, s, hid), hid, 1000 + u)
    for (let i = 0; i < 8 && jobs.length < n; i++) {
      const pass1 = client1(curve, { hashedId: hid, pin: 1000 + u, token })
      const y = randomScalar(curve)
      jobs.push({ curve: curveName, serverSecret, hashedId: hid, U: pass1.U, y, V: client2(curve, pass1.x, y, pass1.sec) })
    }
  }
  return jobs
}

/** Items/s through `run` with `lanes` calls in flight: the median of five windows of `ms / 5`, after one warm-up call. */
async function poolRate (run: () => Promise<number>, lanes: number, ms = WINDOW_MS): Promise<number> {
  await run()
  return await windows(run, lanes, ms)
}

function median (xs: number[]): number {
  return xs.sort((a, b) => a - b)[xs.length >> 1] as number
}

/** Items/s through `run` with `lanes` calls in flight, over one window of `ms`. */
async function window (run: () => Promise<number>, lanes: number, ms: number): Promise<number> {
  let done = 0
  const start = performance.now()
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (performance.now() - start < ms) {
      const n = await run() // not `done += await run()`: that reads `done` before awaiting and loses other lanes' counts
      done += n
    }
  }))
  return done / ((performance.now() - start) / 1000)
}

async function windows (run: () => Promise<number>, lanes: number, ms: number): Promise<number> {
  const rates: number[] = []
  for (let w = 0; w < 5; w++) rates.push(await window(run, lanes, ms / 5))
  return median(rates)
}

/** Calls/s of `fn` on this thread: the median of `n` windows of `ms` each. */
function medianOps (fn: () => unknown, ms: number, n = 3): number {
  return median(Array.from({ length: n }, () => opsPerSecond(fn, ms)))
}

function verifyAll (pool: CryptoPool, jobs: readonly MpinVerifyJob[]): () => Promise<number> {
  return async () => {
    const results = await pool.mpinVerifyBatch(jobs)
    const failed = results.find((r) => r !== null)
    if (failed != null) throw new Error(`bench login rejected: ${failed.name}`, { cause: failed })
    return results.length
  }
}

/** `jobs` as one raw task (one worker), every login must pass. */
function verifyTask (pool: CryptoPool, jobs: readonly MpinVerifyJob[]): () => Promise<number> {
  return async () => {
    const results = await pool.run<Array<{ ok: boolean }>>('mpinVerify', jobs)
    if (!results.every((r) => r.ok)) throw new Error('bench login rejected')
    return results.length
  }
}

/** Runs mixed work on every worker for about `ms`, so that the measured windows see tiered-up code. */
async function warmUp (pool: CryptoPool, bnJobs: readonly MpinVerifyJob[], blsJobs: readonly MpinVerifyJob[], ms = 1000): Promise<void> {
  const start = performance.now()
  while (performance.now() - start < ms) {
    await Promise.all([verifyAll(pool, bnJobs)(), verifyAll(pool, blsJobs.slice(0, 32))()])
  }
}

/**
 * Same work unit (a 128-login task) kept running on one worker, then on two at once, in
 * alternating short windows; the median of the five ratios (a burst from another process then
 * spoils one ratio, not the figure).
 */
async function scaling (pool: CryptoPool, jobs: readonly MpinVerifyJob[]): Promise<number> {
  const task = verifyTask(pool, jobs.slice(0, 128))
  const ratios: number[] = []
  for (let w = 0; w < 5; w++) {
    const one = await window(task, 1, WINDOW_MS / 5)
    const two = await window(task, 2, WINDOW_MS / 5)
    ratios.push(two / one)
  }
  return median(ratios)
}

async function withPool<T> (size: number, fn: (pool: CryptoPool) => Promise<T>): Promise<T> {
  const pool = new CryptoPool({ size })
  await pool.start()
  try {
    return await fn(pool)
  } finally {
    await pool.stop()
  }
}

interface MilagroBn254 {
  MPIN: {
    HASH_TYPE: number
    SERVER_1: (sha: number, date: number, id: number[], hid: number[], htid: number[]) => void
    SERVER_2: (date: number, hid: number[], htid: null, y: number[], sst: number[], xID: number[], xCID: null, V: number[], e: null, f: null) => number
    GET_CLIENT_SECRET: (s: number[], hcid: number[], cst: number[]) => number
    HASH_ID: (sha: number, id: number[]) => number[]
  }
}

/** milagro-crypto-js (a dev dependency) on one thread: SERVER_1 + SERVER_2 per login, and GET_CLIENT_SECRET. */
async function milagroRates (): Promise<{ verify: number, issue: number } | undefined> {
  const require = createRequire(import.meta.url)
  let CTX: new (curve: string) => MilagroBn254
  try {
    CTX = require('milagro-crypto-js') as typeof CTX
  } catch {
    return undefined
  }
  const ctx = new CTX('BN254')
  const curve = await loadCurve('BN254')
  const s = randomScalar(curve)
  const id = new TextEncoder().encode('bench-user-milagro@example.org')
  const hid = hashId(curve, id)
  const token = extractPin(curve, clientSecretShare(curve, s, hid), hid, 4242)
  const pass1 = client1(curve, { hashedId: hid, pin: 4242, token })
  const y = randomScalar(curve)
  const V = [...client2(curve, pass1.x, y, pass1.sec)]
  const sst = [...serverSecretShare(curve, s)]
  const sha = ctx.MPIN.HASH_TYPE
  const verify = medianOps(() => {
    const HID: number[] = []
    const HTID: number[] = []
    ctx.MPIN.SERVER_1(sha, 0, [...id], HID, HTID)
    const rc = ctx.MPIN.SERVER_2(0, HID, null, [...y], sst, [...pass1.U], null, V, null, null)
    if (rc !== 0) throw new Error(`milagro-crypto-js SERVER_2 returned ${rc}`)
  }, 700)
  const hcid = ctx.MPIN.HASH_ID(sha, [...id])
  const issue = medianOps(() => ctx.MPIN.GET_CLIENT_SECRET([...s], hcid, []), 400)
  return { verify, issue }
}

function issueJobs (curveName: CurveName, share: Uint8Array, n: number, hid: (i: number) => Uint8Array): MpinIssueJob[] {
  return Array.from({ length: n }, (_, i) => ({ kind: 'client-secret' as const, curve: curveName, share, hashedId: hid(i) }))
}

export async function bench (report: Report): Promise<void> {
  const cores = availableParallelism()
  const bn = await loadCurve('BN254')
  const bls = await loadCurve('BLS12-381')
  const bnJobs = await makeLogins('BN254', 256)
  const blsJobs = await makeLogins('BLS12-381', 128)
  const milagro = await milagroRates()

  // One thread, in-process, same work as a pool worker does per job (server secret prepared once).
  const prepared = prepareServerSecret(bn, (bnJobs[0] as MpinVerifyJob).serverSecret)
  let k = 0
  const single = medianOps(() => {
    const job = bnJobs[k++ % bnJobs.length] as MpinVerifyJob
    serverVerify(bn, { ...job, serverSecret: prepared })
  }, 500)
  prepared.destroy()
  report({ name: 'mpin.verify.bn254.1core', value: single, unit: 'verifications/s', ...(milagro === undefined ? {} : { peer: 'milagro-crypto-js SERVER_2 (1 thread)', peerValue: milagro.verify }) })

  const bnHids = Array.from({ length: 256 }, (_, i) => hashId(bn, new TextEncoder().encode(`issue-${i}`)))
  const blsHids = Array.from({ length: 128 }, (_, i) => hashId(bls, new TextEncoder().encode(`issue-${i}`)))
  let scaled: number | undefined
  await withPool(cores, async (pool) => {
    await warmUp(pool, bnJobs, blsJobs)
    const bnRate = await poolRate(verifyAll(pool, bnJobs), 2)
    report({ name: 'mpin.verify.bn254', value: bnRate, unit: 'verifications/s', ...(milagro === undefined ? {} : { peer: 'milagro-crypto-js SERVER_2 (1 thread)', peerValue: milagro.verify }) })
    let next = 0
    const singleRate = await poolRate(async () => {
      const job = bnJobs[next++ % bnJobs.length] as MpinVerifyJob
      await pool.mpinVerify(job)
      return 1
    }, 4 * pool.size)
    report({ name: 'mpin.verify.bn254.single', value: singleRate, unit: 'verifications/s', ...(milagro === undefined ? {} : { peer: 'milagro-crypto-js SERVER_2 (1 thread)', peerValue: milagro.verify }) })
    const blsRate = await poolRate(verifyAll(pool, blsJobs), 2)
    report({ name: 'mpin.verify.bls12-381', value: blsRate, unit: 'verifications/s' })
    const blsIssue = issueJobs('BLS12-381', randomScalar(bls), 128, (i) => blsHids[i] as Uint8Array)
    const issueRate = await poolRate(async () => (await pool.mpinIssueBatch(blsIssue)).length, 2, 1500)
    report({ name: 'mpin.issue', value: issueRate, unit: 'shares/s' })
    const bnIssue = issueJobs('BN254', randomScalar(bn), 256, (i) => bnHids[i] as Uint8Array)
    const bnIssueRate = await poolRate(async () => (await pool.mpinIssueBatch(bnIssue)).length, 2, 1500)
    report({ name: 'mpin.issue.bn254', value: bnIssueRate, unit: 'shares/s', ...(milagro === undefined ? {} : { peer: 'milagro-crypto-js GET_CLIENT_SECRET (1 thread)', peerValue: milagro.issue }) })
    if (pool.size === 2) scaled = await scaling(pool, bnJobs)
  })
  scaled ??= await withPool(2, async (pool) => {
    await warmUp(pool, bnJobs, blsJobs)
    return await scaling(pool, bnJobs)
  })
  report({ name: 'pool.scaling', value: scaled, unit: `× (2 workers ÷ 1, ${cores} cores)` })
}
