// The pool's worker module (run by piscina in each worker thread). It loads mcl-wasm once per
// curve as soon as the thread starts (BN254 and BLS12-381, each in its own instance, see
// ../mpin/mcl-instance.ts) and serves batches of M-Pin verifications and share issuance, and
// Ed25519 batch verification. Each exported function is a piscina handler, selected by name.
//
// Server secrets are kept decoded and precomputed in a small per-thread LRU cache, so that a
// server verifying many logins pays the G2 subgroup check and line precomputation once.
import { workerData } from 'node:worker_threads'
import { loadCurve } from '../mpin/curves.ts'
import type { MpinCurve } from '../mpin/curves.ts'
import { clientSecretShare, PreparedServerSecret, serverSecretShare, serverVerify, timePermitShare } from '../mpin/mpin.ts'
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

function prepared (curve: MpinCurve, serverSecret: Uint8Array): PreparedServerSecret {
  const key = `${curve.name}:${Buffer.from(serverSecret.buffer, serverSecret.byteOffset, serverSecret.byteLength).toString('hex')}`
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
  const out: Array<Outcome<null>> = []
  for (const job of jobs) {
    try {
      const curve = await curveOf(job.curve)
      serverVerify(curve, { ...job, serverSecret: prepared(curve, job.serverSecret) })
      out.push({ ok: true, value: null })
    } catch (err) {
      out.push(failure(err))
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
