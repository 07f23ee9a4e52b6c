// The pool's worker module (run by piscina in each worker thread). It loads mcl-wasm once per
// curve as soon as the thread starts (BN254 and BLS12-381, each in its own instance, see
// ../mpin/mcl-instance.ts) and serves batches of M-Pin verifications and share issuance, and
// Ed25519 batch verification. Each exported function is a piscina handler, selected by name.
//
// Server secrets are kept decoded and precomputed in a small per-thread LRU cache, so that a
// server verifying many logins pays the G2 subgroup check and line precomputation once. The
// logins of one task that share a server secret are checked together by serverVerifyBatch (one
// multi-pairing for the group, results per login identical to serverVerify's).
import { workerData } from 'node:worker_threads'
import { loadCurve } from '../mpin/curves.ts'
import type { MpinCurve } from '../mpin/curves.ts'
import { serverVerifyBatch } from '../mpin/batch.ts'
import { clientSecretShare, PreparedServerSecret, serverSecretShare, timePermitShare } from '../mpin/mpin.ts'
import { curveNames, isCurveName } from '../mpin/params.ts'
import type { CurveName } from '../mpin/params.ts'
import { verifyEd25519Batch } from './ed25519-batch.ts'
import type { Ed25519BatchItem } from './ed25519-batch.ts'
import { failure } from './jobs.ts'
import type { MpinIssueJob, MpinVerifyJob, Outcome } from './jobs.ts'

const wanted: readonly CurveName[] = (workerData as { curves?: CurveName[] } | undefined)?.curves ?? curveNames
// Started at import, awaited by the handlers: no top-level await, so piscina can load the module either way.
const warm = Promise.all(wanted.map(async (name) => await loadCurve(name)))
warm.catch(() => {})

const SECRET_CACHE = 16
const secrets = new Map<string, PreparedServerSecret>()

async function curveOf (name: unknown): Promise<MpinCurve> {
  if (!isCurveName(name)) throw new TypeError(`unknown curve ${String(name)}`)
  await warm
  return await loadCurve(name)
}

function secretKey (curve: unknown, serverSecret: Uint8Array): string {
  return `${String(curve)}:${Buffer.from(serverSecret.buffer, serverSecret.byteOffset, serverSecret.byteLength).toString('hex')}`
}

function prepared (curve: MpinCurve, serverSecret: Uint8Array): PreparedServerSecret {
  const key = secretKey(curve.name, serverSecret)
  let entry = secrets.get(key)
  if (entry !== undefined) {
    secrets.delete(key)
  } else {
    entry = new PreparedServerSecret(curve, serverSecret)
    if (secrets.size >= SECRET_CACHE) {
      const [oldest] = secrets
      if (oldest !== undefined) {
        secrets.delete(oldest[0])
        oldest[1].destroy()
      }
    }
  }
  secrets.set(key, entry)
  return entry
}

/** Resolves once this thread's curves are loaded (used to warm the pool up). */
export async function ready (): Promise<readonly CurveName[]> {
  await warm
  return wanted
}

export async function mpinVerify (jobs: readonly MpinVerifyJob[]): Promise<Array<Outcome<null>>> {
  const out = new Array<Outcome<null>>(jobs.length)
  const groups = new Map<string, number[]>()
  jobs.forEach((job, i) => {
    const key = secretKey(job.curve, job.serverSecret)
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [i])
    else group.push(i)
  })
  for (const indexes of groups.values()) {
    const first = jobs[indexes[0] as number] as MpinVerifyJob
    try {
      const curve = await curveOf(first.curve)
      const results = serverVerifyBatch(curve, prepared(curve, first.serverSecret), indexes.map((i) => jobs[i] as MpinVerifyJob))
      results.forEach((err, k) => { out[indexes[k] as number] = err === null ? { ok: true, value: null } : failure(err) })
    } catch (err) {
      for (const i of indexes) out[i] = failure(err)
    }
  }
  return out
}

export async function mpinIssue (jobs: readonly MpinIssueJob[]): Promise<Array<Outcome<Uint8Array>>> {
  const out: Array<Outcome<Uint8Array>> = []
  for (const job of jobs) {
    try {
      const curve = await curveOf(job.curve)
      switch (job.kind) {
        case 'server-secret': out.push({ ok: true, value: serverSecretShare(curve, job.share) }); break
        case 'client-secret': out.push({ ok: true, value: clientSecretShare(curve, job.share, job.hashedId) }); break
        case 'time-permit': out.push({ ok: true, value: timePermitShare(curve, job.share, job.date, job.hashedId) }); break
        default: throw new TypeError(`unknown issuance kind ${String((job as { kind: unknown }).kind)}`)
      }
    } catch (err) {
      out.push(failure(err))
    }
  }
  return out
}

export function ed25519Verify (items: readonly Ed25519BatchItem[]): boolean[] {
  return verifyEd25519Batch(items)
}
