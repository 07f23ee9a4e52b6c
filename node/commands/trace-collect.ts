// What `milagro trace` reads from one home: the log verified from genesis exactly as `milagro
// audit` verifies it (storage/audit.ts with the same machine, signing keys and envelope checks),
// and, on the way, the entries of one thread — no second pass over the log:
//   - every `envelope.sent` / `envelope.received` entry whose envelope is the subject or has
//     `thread` = subject: taken in the audit's envelope check, once the envelope's hash, sender
//     signature and sender/recipient agreement with the entry have passed (the envelope is decoded
//     there, from the very bytes the audit checked);
//   - every fact entry (a body that is a map) with a top-level link to the subject or to an
//     envelope of the thread taken before it: taken as the audit's replay folds it. Every fact of
//     the four services carries its thread's id (`order`, `deposit`, `request`), so none is missed.
// The audit reads entries in seq order and folds only entries before its first problem; when the
// log does not verify, nothing collected is kept.
import { CID } from 'multiformats/cid'
import { decodeEnvelope, type DecodedEnvelope } from '../../protocol/envelope.ts'
import { fullNodeMachine } from '../../protocol/index.ts'
import { audit } from '../../storage/audit.ts'
import { describeProblem } from '../../storage/errors.ts'
import type { Stores } from '../../storage/stores.ts'
import type { OpenedHome } from '../home.ts'
import { envelopeVerifier, identityResolver } from './log-home.ts'
import { RECEIVED, SENT, type HomeLog, type LoggedEnvelope, type LoggedFact } from './trace-core.ts'

function plainMap (value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && CID.asCID(value) === null
}

/** Audits the log of `home` (its stores: see trace-home.ts) and collects the thread of `subject`. */
export async function collectThread (
  source: { readonly home: OpenedHome, readonly stores: Stores },
  subject: CID,
  options: { readonly signal?: AbortSignal, readonly onProgress?: (done: number, total: number) => void } = {}
): Promise<HomeLog> {
  const { home, stores } = source
  const dir = home.paths.dir
  const resolveIdentity = identityResolver(stores, dir)
  const verify = envelopeVerifier(resolveIdentity)
  const envelopes: LoggedEnvelope[] = []
  const facts: LoggedFact[] = []
  const thread = new Set<string>([subject.toString()])

  const machine = fullNodeMachine()
  const observing: typeof machine = {
    version: machine.version,
    initial: machine.initial,
    apply (state, entry) {
      const body = entry.body
      if (plainMap(body) && entry.kind !== 'checkpoint') {
        const linked = Object.values(body).some((v) => { const c = CID.asCID(v); return c !== null && thread.has(c.toString()) })
        if (linked) facts.push({ seq: entry.seq, clock: entry.clock, time: entry.time, kind: entry.kind, body })
      }
      return machine.apply(state, entry)
    }
  }
  const report = await audit(stores, {
    machine: observing,
    resolveSigningKey: async (cid) => (await resolveIdentity(cid)).doc.signingKey,
    verifyEnvelope: async (bytes, context) => {
      await verify(bytes, context)
      const { entry } = context
      if (entry.kind !== SENT && entry.kind !== RECEIVED) return
      const envelope: DecodedEnvelope = decodeEnvelope(bytes)
      if (!envelope.cid.equals(subject) && envelope.header.thread?.equals(subject) !== true) return
      thread.add(envelope.cid.toString())
      envelopes.push({ seq: entry.seq, clock: entry.clock, time: entry.time, kind: entry.kind, envelope })
    },
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {})
  })
  const base = { home: dir, name: home.config.name, identity: home.identity.cid, entries: report.entries }
  if (!report.ok) {
    return { ...base, verified: false, ...(report.problem !== undefined ? { problem: describeProblem(report.problem) } : {}), envelopes: [], facts: [] }
  }
  // Names of the flow's parties, from the identity documents this node holds (display only).
  const names = new Map<string, string>()
  for (const le of envelopes) {
    for (const id of [le.envelope.header.sender, ...le.envelope.header.recipients]) {
      const key = id.toString()
      if (names.has(key)) continue
      const doc = await resolveIdentity(id).catch((err: unknown) => {
        if ((err as Error).name === 'UnknownIdentityError') return undefined // a party this node never met
        throw err
      })
      if (doc !== undefined) names.set(key, doc.doc.name)
    }
  }
  return { ...base, verified: true, envelopes, facts, names }
}
