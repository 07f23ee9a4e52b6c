// `milagro trace`'s judgement: one service flow (a thread of envelopes) joined across several
// nodes' logs, and checked. Pure: it works on what the collector (trace-collect.ts) read from each
// home's verified log, so it can be tested on a small in-memory fixture. It keeps only the
// envelopes of the thread (the subject, and those with `thread` = subject) and the facts with a
// top-level link to one of them, whatever it is handed.
//
// A flow's subject is the CID of its first envelope (a custody or threshold order, a safeguard
// deposit, an M-Pin request); every later envelope has `thread` = subject and `prev` = the
// envelopes it answers (docs/PROTOCOL.md, "Custody flow"). Each envelope is in its sender's log
// (`envelope.sent`) and in each recipient's (`envelope.received`), next to the fact the node
// recorded for it. A message a node sends to itself has only its `envelope.sent`.
//
// What is checked — a failure makes the trace fail:
//   - every given home's log verifies from genesis (a home that does not is reported, and its
//     entries are not used at all);
//   - the subject is in at least one verified log;
//   - every `prev` link of an envelope resolves to an envelope of the thread. When the sender's
//     home is not given, an unresolved link is only a warning: the envelope it names may have gone
//     between nodes whose homes were not given;
//   - an envelope received by a given home is in its sender's log as sent, when the sender's home
//     is given;
//   - Lamport clocks: a receiver's `envelope.received` entry has a clock greater than the
//     envelope's header clock (the sender's clock when it sealed), and so does the sender's
//     `envelope.sent` entry (appended after the seal);
//   - one CID, one envelope: the same bytes in every log (each log's audit already checked that
//     the bytes hash to the CID and that the sender's signature verifies).
// Warnings — the trace still succeeds: an envelope sent to a given home that is not in that
// home's log ("not delivered (yet)": a node may have been stopped before the delivery); a party
// of the flow whose home was not given (its side is absent); an unresolved `prev` as above; a
// subject that is itself an envelope of another thread.
//
// Facts are attached to the envelope they record: the body's `envelope` link (custody, safeguard,
// threshold, every `*.rejected`), else its `answer` link when it is a single link (M-Pin: issued,
// refused, received), else — a fact whose kind is the subject's type with `.` for `/`
// (`mpin.request`) — the subject. Facts of the thread that record no envelope of it (shares
// generated, combinations) are listed per home as local facts.
import { CID } from 'multiformats/cid'
import type { DecodedEnvelope } from '../../protocol/envelope.ts'

export const SENT = 'envelope.sent'
export const RECEIVED = 'envelope.received'

/** An `envelope.sent` or `envelope.received` entry of a verified log, with its envelope (hash and signature verified). */
export interface LoggedEnvelope {
  readonly seq: number
  readonly clock: number
  readonly time: number
  readonly kind: typeof SENT | typeof RECEIVED
  readonly envelope: DecodedEnvelope
}

/** A fact entry of a verified log that names the subject or an envelope of the thread. */
export interface LoggedFact {
  readonly seq: number
  readonly clock: number
  readonly time: number
  readonly kind: string
  readonly body: Readonly<Record<string, unknown>>
}

/** What the collector read from one home. */
export interface HomeLog {
  /** The home directory. */
  readonly home: string
  /** The node's name (its config). */
  readonly name: string
  readonly identity: CID
  /** The log verified from genesis; when false, `envelopes` and `facts` are empty. */
  readonly verified: boolean
  readonly entries: number
  /** What is wrong with the log, when it does not verify. */
  readonly problem?: string
  readonly envelopes: readonly LoggedEnvelope[]
  readonly facts: readonly LoggedFact[]
  /** Names of identities this home knows (identity CID → name), for display. */
  readonly names?: ReadonlyMap<string, string>
}

export interface FactRef {
  readonly seq: number
  readonly kind: string
  /** A `*.rejected` fact: the node refused the envelope. */
  readonly rejected: boolean
  readonly error?: string
  readonly message?: string
  /** Envelopes a rejection was answered with (sent again). */
  readonly answer?: readonly string[]
}

export interface LogRef {
  readonly seq: number
  readonly clock: number
  readonly time: number
}

export interface Party {
  readonly identity: string
  readonly name: string | null
  /** Index in `homes` of the given home that is this identity, or null. */
  readonly home: number | null
}

/**
 * sent/received: the entry is in the log; own: a recipient that is the sender (no received entry);
 * missing: the home is given and verified but the entry is not there; absent: the home was not
 * given; unverified: the home was given but its log does not verify.
 */
export type Presence = 'sent' | 'received' | 'own' | 'missing' | 'absent' | 'unverified'

export interface Side extends Party {
  readonly status: Presence
  readonly entry: LogRef | null
  /** Facts this node recorded for the envelope. */
  readonly facts: readonly FactRef[]
}

export interface TracedEnvelope {
  /** Position in the timeline, from 1. */
  readonly n: number
  readonly cid: string
  readonly type: string
  /** Header time (ms) and Lamport clock. */
  readonly time: number
  readonly clock: number
  readonly thread: string | null
  readonly prev: readonly string[]
  readonly bytes: number
  readonly sender: Side
  readonly recipients: readonly Side[]
}

export interface TracedHome {
  readonly home: string
  readonly name: string
  readonly identity: string
  readonly verified: boolean
  readonly entries: number
  readonly problem: string | null
  /** Entries of this log in the trace (envelopes and facts). */
  readonly traced: number
}

export interface LocalFact extends FactRef {
  readonly home: number
  /** The envelope the fact names that is not in this node's log, if any. */
  readonly envelope: string | null
}

export type IssueCode =
  | 'home-unverified' | 'unknown-subject' | 'prev-unresolved' | 'not-sent' | 'clock' | 'bytes-differ'
  | 'not-delivered' | 'absent' | 'prev-not-visible' | 'subject-in-thread'

export interface TraceIssue {
  readonly code: IssueCode
  readonly message: string
  readonly envelope?: string
  readonly home?: number
}

export interface TraceReport {
  readonly subject: string
  /** The subject envelope's type, when a log holds it. */
  readonly type: string | null
  /** Some verified log holds the subject or an envelope or fact of its thread. */
  readonly found: boolean
  /** No failure (warnings allowed). */
  readonly ok: boolean
  readonly homes: readonly TracedHome[]
  readonly envelopes: readonly TracedEnvelope[]
  readonly localFacts: readonly LocalFact[]
  readonly failures: readonly TraceIssue[]
  readonly warnings: readonly TraceIssue[]
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function factRef (f: LoggedFact): FactRef {
  const str = (k: string): string | undefined => typeof f.body[k] === 'string' ? f.body[k] : undefined
  const error = str('error')
  const message = str('message')
  const answer = Array.isArray(f.body.answer) ? f.body.answer.flatMap((a) => { const c = CID.asCID(a); return c === null ? [] : [c.toString()] }) : undefined
  return {
    seq: f.seq,
    kind: f.kind,
    rejected: f.kind.endsWith('.rejected'),
    ...(error !== undefined ? { error } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(answer !== undefined ? { answer } : {})
  }
}

/** The envelope a fact records (see the header), or undefined. */
export function recordedEnvelope (fact: Pick<LoggedFact, 'kind' | 'body'>, subject: CID, subjectType: string | null): string | undefined {
  const envelope = CID.asCID(fact.body.envelope)
  if (envelope !== null) return envelope.toString()
  const answer = CID.asCID(fact.body.answer)
  if (answer !== null) return answer.toString()
  if (subjectType !== null && fact.kind === subjectType.replace('/', '.')) return subject.toString()
  return undefined
}

/** Envelopes in causal order (a `prev` before what answers it), then by header time and CID. */
function causalOrder (envelopes: ReadonlyMap<string, DecodedEnvelope>): string[] {
  const waiting = new Map<string, number>()
  const answers = new Map<string, string[]>()
  for (const [cid, e] of envelopes) {
    const known = e.header.prev.map((p) => p.toString()).filter((p) => envelopes.has(p) && p !== cid)
    waiting.set(cid, known.length)
    for (const p of known) answers.set(p, [...(answers.get(p) ?? []), cid])
  }
  const key = (cid: string): [number, string] => [envelopes.get(cid)?.header.time ?? 0, cid]
  const before = (a: string, b: string): number => { const [ta, ca] = key(a); const [tb, cb] = key(b); return ta - tb || (ca < cb ? -1 : ca > cb ? 1 : 0) }
  const ready = [...waiting].filter(([, n]) => n === 0).map(([c]) => c)
  const out: string[] = []
  while (ready.length > 0) {
    ready.sort(before)
    const next = ready.shift() as string
    out.push(next)
    for (const a of answers.get(next) ?? []) {
      const n = (waiting.get(a) ?? 0) - 1
      waiting.set(a, n)
      if (n === 0) ready.push(a)
    }
  }
  // A cycle cannot happen with content addressing (a prev is hashed into what names it); keep any rest.
  const rest = [...envelopes.keys()].filter((c) => !out.includes(c)).sort(before)
  return [...out, ...rest]
}

/** Joins the homes' records of `subject`'s thread into one timeline and checks it. */
export function traceThread (subject: CID, homes: readonly HomeLog[]): TraceReport {
  const subjectId = subject.toString()
  const byIdentity = new Map<string, number>()
  homes.forEach((h, i) => {
    const id = h.identity.toString()
    const other = byIdentity.get(id)
    if (other !== undefined) throw new RangeError(`${(homes[other] as HomeLog).home} and ${h.home} are the same node (${id}): give each node's home once`)
    byIdentity.set(id, i)
  })
  const names = new Map<string, string>()
  for (const h of homes) for (const [id, name] of h.names ?? []) names.set(id, name)
  for (const h of homes) names.set(h.identity.toString(), h.name)

  const failures: TraceIssue[] = []
  const warnings: TraceIssue[] = []
  homes.forEach((h, i) => {
    if (!h.verified) failures.push({ code: 'home-unverified', home: i, message: `${h.name} (${h.home}): the log does not verify${h.problem !== undefined ? ` at ${h.problem}` : ''}; its entries are not used` })
  })

  // One envelope per CID; the same bytes everywhere.
  const envelopes = new Map<string, DecodedEnvelope>()
  const sent = new Map<string, LoggedEnvelope>() // cid → the sender's entry
  const received = new Map<string, Map<number, LoggedEnvelope>>() // cid → home → entry
  const inThread = (e: DecodedEnvelope): boolean => e.cid.equals(subject) || e.header.thread?.equals(subject) === true
  const counted = homes.map(() => 0)
  homes.forEach((h, i) => {
    if (!h.verified) return
    for (const le of h.envelopes) {
      if (!inThread(le.envelope)) continue
      counted[i] = (counted[i] ?? 0) + 1
      const cid = le.envelope.cid.toString()
      const known = envelopes.get(cid)
      if (known === undefined) envelopes.set(cid, le.envelope)
      else if (!sameBytes(known.bytes, le.envelope.bytes)) failures.push({ code: 'bytes-differ', envelope: cid, home: i, message: `envelope ${cid} has other bytes in ${h.name}'s log than in another's` })
      if (le.kind === SENT) sent.set(cid, le)
      else {
        const m = received.get(cid) ?? new Map<number, LoggedEnvelope>()
        m.set(i, le)
        received.set(cid, m)
      }
    }
  })
  const subjectEnvelope = envelopes.get(subjectId)
  const subjectType = subjectEnvelope?.header.type ?? null

  // Facts per (home, envelope); the rest are local facts.
  const facts = new Map<string, FactRef[]>() // `${home}/${cid}` → facts
  const factsOf = (home: number, cid: string): FactRef[] => facts.get(`${home}/${cid}`) ?? []
  const localCandidates: LocalFact[] = []
  homes.forEach((h, i) => {
    if (!h.verified) return
    const inLog = new Set(h.envelopes.filter((e) => inThread(e.envelope)).map((e) => e.envelope.cid.toString()))
    for (const f of h.facts) {
      if (!Object.values(f.body).some((v) => { const c = CID.asCID(v); return c !== null && (c.equals(subject) || envelopes.has(c.toString())) })) continue
      counted[i] = (counted[i] ?? 0) + 1
      const cid = recordedEnvelope(f, subject, subjectType)
      if (cid !== undefined && inLog.has(cid)) facts.set(`${i}/${cid}`, [...factsOf(i, cid), factRef(f)])
      else localCandidates.push({ ...factRef(f), home: i, envelope: cid ?? null })
    }
  })

  const party = (id: CID): Party => {
    const s = id.toString()
    return { identity: s, name: names.get(s) ?? null, home: byIdentity.get(s) ?? null }
  }
  const ref = (le: LoggedEnvelope | undefined): LogRef | null => le === undefined ? null : { seq: le.seq, clock: le.clock, time: le.time }
  const label = (p: Party): string => p.name ?? p.identity

  const order = causalOrder(envelopes)
  const position = new Map(order.map((cid, i) => [cid, i + 1]))
  const absent = new Map<string, { party: Party, sent: number, received: number }>()
  const traced: TracedEnvelope[] = order.map((cid) => {
    const e = envelopes.get(cid) as DecodedEnvelope
    const h = e.header
    const from = party(h.sender)
    const sentEntry = sent.get(cid)
    const senderHome = from.home === null ? undefined : homes[from.home]
    const senderStatus: Presence = senderHome === undefined ? 'absent' : !senderHome.verified ? 'unverified' : sentEntry !== undefined ? 'sent' : 'missing'
    const sender: Side = { ...from, status: senderStatus, entry: ref(sentEntry), facts: from.home === null ? [] : factsOf(from.home, cid) }
    if (senderStatus === 'absent') {
      const a = absent.get(from.identity) ?? { party: from, sent: 0, received: 0 }
      a.sent++
      absent.set(from.identity, a)
    }
    if (senderStatus === 'missing') {
      failures.push({ code: 'not-sent', envelope: cid, home: from.home as number, message: `envelope ${position.get(cid) ?? '?'} (${h.type}, ${cid}) was received from ${label(from)}, whose log holds no envelope.sent for it` })
    }
    if (sentEntry !== undefined && sentEntry.clock <= h.clock) {
      failures.push({ code: 'clock', envelope: cid, home: from.home as number, message: `envelope ${position.get(cid) ?? '?'} (${h.type}): ${label(from)}'s envelope.sent #${sentEntry.seq} has clock ${sentEntry.clock}, not past the header's ${h.clock}` })
    }
    const recipients: Side[] = h.recipients.map((r) => {
      const to = party(r)
      if (r.equals(h.sender)) return { ...to, status: 'own', entry: ref(sentEntry), facts: [] }
      const home = to.home === null ? undefined : homes[to.home]
      const entry = to.home === null ? undefined : received.get(cid)?.get(to.home)
      const status: Presence = home === undefined ? 'absent' : !home.verified ? 'unverified' : entry !== undefined ? 'received' : 'missing'
      if (status === 'absent') {
        const a = absent.get(to.identity) ?? { party: to, sent: 0, received: 0 }
        a.received++
        absent.set(to.identity, a)
      }
      if (status === 'missing') {
        warnings.push({ code: 'not-delivered', envelope: cid, home: to.home as number, message: `envelope ${position.get(cid) ?? '?'} (${h.type}) sent to ${label(to)} is not in its log: not delivered (yet) — the sender's outbox keeps it until the recipient acknowledges; a node stopped before the delivery receives it when both run again` })
      }
      if (entry !== undefined && entry.clock <= h.clock) {
        failures.push({ code: 'clock', envelope: cid, home: to.home as number, message: `envelope ${position.get(cid) ?? '?'} (${h.type}): ${label(to)}'s envelope.received #${entry.seq} has clock ${entry.clock}, not past the header's ${h.clock}` })
      }
      return { ...to, status, entry: ref(entry), facts: to.home === null ? [] : factsOf(to.home, cid) }
    })
    // A subject that is itself in a thread answers envelopes of that thread: said once, below.
    for (const p of cid === subjectId && h.thread !== null ? [] : h.prev) {
      const pid = p.toString()
      if (envelopes.has(pid) || pid === subjectId) continue
      const issue = { envelope: cid, message: `envelope ${position.get(cid) ?? '?'} (${h.type}, ${cid}) answers ${pid}, which is in no given log as an envelope of this thread` }
      if (senderStatus === 'sent' || senderStatus === 'missing') failures.push({ code: 'prev-unresolved', ...issue })
      else warnings.push({ code: 'prev-not-visible', ...issue, message: `${issue.message} (its sender's home was not given: it may have gone between nodes whose homes were not given)` })
    }
    return { n: position.get(cid) as number, cid, type: h.type, time: h.time, clock: h.clock, thread: h.thread?.toString() ?? null, prev: h.prev.map((p) => p.toString()), bytes: e.bytes.length, sender, recipients }
  })
  for (const { party: p, sent: s, received: r } of absent.values()) {
    warnings.push({ code: 'absent', message: `${label(p)}${p.name !== null ? ` (${p.identity})` : ''} took part (sent ${s}, was sent ${r} of these envelopes) but its home was not given: its side is absent` })
  }
  if (subjectEnvelope !== undefined && subjectEnvelope.header.thread !== null) {
    warnings.push({ code: 'subject-in-thread', envelope: subjectId, message: `the subject is itself an envelope of thread ${subjectEnvelope.header.thread.toString()}: trace that id for the whole flow` })
  }

  const found = envelopes.size > 0 || localCandidates.length > 0
  if (!found) {
    const unverified = homes.filter((h) => !h.verified).length
    failures.push({ code: 'unknown-subject', message: `${subjectId} is in none of the ${homes.length - unverified} verified log${homes.length - unverified === 1 ? '' : 's'}${unverified > 0 ? ` (${unverified} not searched: not verified)` : ''}: no envelope, thread or fact names it` })
  }
  return {
    subject: subjectId,
    type: subjectType,
    found,
    ok: failures.length === 0,
    homes: homes.map((h, i) => ({ home: h.home, name: h.name, identity: h.identity.toString(), verified: h.verified, entries: h.entries, problem: h.problem ?? null, traced: counted[i] ?? 0 })),
    envelopes: traced,
    localFacts: localCandidates.sort((a, b) => a.home - b.home || a.seq - b.seq),
    failures,
    warnings
  }
}
