// ServiceCore on a real LevelLog, driving a tiny fake service: subjects that start, work that an
// effect asks for (an envelope sent with the fact recording it), and received messages judged once.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { pino } from 'pino'
import type { DecodedEnvelope } from '../../../protocol/envelope.ts'
import type { Effect } from '../../../protocol/state/effects.ts'
import { createMachine } from '../../../protocol/state/fold.ts'
import { ENVELOPE_OPEN } from '../../../protocol/state/inbox.ts'
import type { LevelLog } from '../../../storage/log.ts'
import type { Logger } from '../../../node/logger.ts'
import { ServiceCore, type ServiceNode } from '../../../node/services/service-base.ts'
import { alice, openLog, tempHome, type Opened } from '../../storage/fixture.ts'

// ---- the fake service's protocol ----

interface FakeState {
  readonly fake: {
    /** Steps recorded per subject: 'start', 'worked', or a judged message's step. */
    readonly subjects: Readonly<Record<string, readonly string[]>>
    /** Envelopes judged (taken or refused), by CID. */
    readonly judged: readonly string[]
    readonly rejected: ReadonlyArray<{ readonly envelope: string, readonly error: string }>
    readonly sent: readonly string[]
  }
}

type FakeFact =
  | { readonly kind: 'fake.fact', readonly subject: string, readonly step: string, readonly envelope: string | null }
  | { readonly kind: 'fake.rejected', readonly subject: string, readonly envelope: string, readonly error: string, readonly message: string }

type WorkEffect = { readonly type: 'fake.work', readonly subject: string }
const isWork = (e: { readonly type: string }): e is WorkEffect => e.type === 'fake.work'

const machine = createMachine<FakeState, Effect>({
  version: 1,
  initial: { fake: { subjects: {}, judged: [], rejected: [], sent: [] } },
  reducer: (s, e) => {
    const b = e.body as Record<string, string>
    const f = s.fake
    switch (e.kind) {
      case 'fake.received': // what the inbox does for a received envelope
        return { state: s, effects: [{ type: ENVELOPE_OPEN, envelope: (e.body as { envelope: CID }).envelope }] }
      case 'fake.sent':
        return { state: { fake: { ...f, sent: [...f.sent, b.envelope as string] } }, effects: [] }
      case 'fake.fact': {
        const subjects = { ...f.subjects, [b.subject as string]: [...(f.subjects[b.subject as string] ?? []), b.step as string] }
        const judged = b.envelope === null ? f.judged : [...f.judged, b.envelope as string]
        return { state: { fake: { ...f, subjects, judged } }, effects: b.step === 'start' ? [{ type: 'fake.work', subject: b.subject as string }] : [] }
      }
      case 'fake.rejected':
        return { state: { fake: { ...f, judged: [...f.judged, b.envelope as string], rejected: [...f.rejected, { envelope: b.envelope as string, error: b.error as string }] } }, effects: [] }
      default:
        return { state: s, effects: [] }
    }
  }
})

const enc = new TextEncoder()
const cidOf = async (text: string): Promise<CID> => CID.createV1(0x71, await sha256.digest(enc.encode(text)))

class NamedError extends Error {
  constructor (name: string, message: string) {
    super(message)
    this.name = name
  }
}

/** Envelopes "received" by the fake node: their header, and the body `open` yields (or the error it throws). */
interface FakeMessage { readonly envelope: DecodedEnvelope, readonly body: { readonly step: string } | Error }

async function message (type: string, subject: string, body: FakeMessage['body'], name = `${type}/${subject}/${Math.random()}`): Promise<FakeMessage> {
  const cid = await cidOf(name)
  const header = { type, thread: await cidOf(subject), sender: alice.identity.cid }
  return { envelope: { cid, header } as unknown as DecodedEnvelope, body }
}

// ---- the fake service ----

interface Harness {
  readonly core: ServiceCore<FakeFact, WorkEffect>
  readonly opened: Opened<FakeState, Effect>
  readonly log: LevelLog<FakeState, Effect>
  readonly lines: Array<{ level: number, msg: string, error?: string }>
  readonly judgements: Array<{ step: string, final: boolean }>
  readonly messages: Map<string, FakeMessage>
  work: (subject: string) => Promise<void>
}

async function fakeService (home: string, init: { parkTtlMs?: number, retryMs?: number } = {}): Promise<Harness> {
  const opened = await openLog<FakeState, Effect>(home, { machine })
  const log = opened.log
  const lines: Harness['lines'] = []
  const logger = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s)) } }) as Logger
  const messages = new Map<string, FakeMessage>()
  const judgements: Harness['judgements'] = []
  const state = (): FakeState['fake'] => log.state.fake
  const node: ServiceNode = {
    log,
    readEnvelope: async (cid) => messages.get(cid.toString())?.envelope,
    open: async (envelope) => {
      const body = messages.get(envelope.cid.toString())?.body
      if (body === undefined || body instanceof Error) throw body ?? new Error('no such envelope')
      return { cid: envelope.cid, header: envelope.header, body }
    },
    // Like the real port: the append is issued before the returned promise first yields.
    recordSent: async (envelope) => { await log.append({ kind: 'fake.sent', body: { envelope: envelope.cid.toString() } }) }
  }
  const h: Harness = {
    core: undefined as unknown as ServiceCore<FakeFact, WorkEffect>,
    opened,
    log,
    lines,
    judgements,
    messages,
    work: async () => {}
  }
  const core: ServiceCore<FakeFact, WorkEffect> = new ServiceCore<FakeFact, WorkEffect>({
    name: 'fake',
    node,
    keystore: { start: async () => {} },
    logger,
    folds: (s) => (s as Partial<FakeState> | null)?.fake !== undefined,
    foldsHint: 'the node log does not fold the fake reducer',
    entry: (fact) => {
      const { kind, ...body } = fact
      return { kind, body }
    },
    accepts: isWork,
    execute: async (effect) => {
      await core.lane(effect.subject, async () => { await h.work(effect.subject) })
      return true
    },
    messages: (type) => type.startsWith('fake/'),
    judge: {
      judged: (_subject, envelope) => state().judged.includes(envelope.cid.toString()),
      judge: async (envelope, body, final) => {
        const step = (body as { step: string }).step
        judgements.push({ step, final })
        const subject = envelope.header.thread?.toString() ?? ''
        if (step === 'boom') throw new Error('the disk is full')
        if (step === 'bad') throw new NamedError('UnauthorizedSenderError', 'not from a party')
        if (state().subjects[subject] === undefined) {
          if (!final) throw new NamedError('PrematureMessageError', 'before its subject')
          throw new NamedError('UnknownSubjectError', 'no such subject')
        }
        return { kind: 'fake.fact', subject, step, envelope: envelope.cid.toString() }
      },
      early: (err) => (err as Error).name === 'PrematureMessageError',
      refused: (err) => ['UnauthorizedSenderError', 'UnknownSubjectError', 'DecryptionError'].includes((err as Error).name),
      rejected: (envelope, err) => ({ kind: 'fake.rejected', subject: envelope.header.thread?.toString() ?? '', envelope: envelope.cid.toString(), error: err.name, message: err.message }),
      refusal: (fact) => fact.kind === 'fake.rejected' ? { error: fact.error, message: fact.message } : undefined,
      record: async (fact) => { await core.commit([{ fact }]) }
    },
    appended: (entry) => {
      const subject = (entry.body as { subject?: unknown } | undefined)?.subject
      if (typeof subject !== 'string') return
      if (entry.kind === 'fake.fact') core.unpark(subject)
      core.wake(subject)
    },
    retryMs: init.retryMs ?? 60_000,
    ...(init.parkTtlMs === undefined ? {} : { parkTtlMs: init.parkTtlMs, maxParked: 16 })
  })
  ;(h as { core: ServiceCore<FakeFact, WorkEffect> }).core = core
  // The work the effect asks for: an envelope sent and the fact recording it, unless recorded already.
  h.work = async (subject) => {
    if (state().subjects[subject]?.includes('worked') === true) return
    const envelope = (await message('fake/work', subject, { step: 'worked' })).envelope
    await core.commit([{ envelope }, { fact: { kind: 'fake.fact', subject, step: 'worked', envelope: null } }])
  }
  return h
}

/** Delivers `m` as the inbox would: stored, then an entry asking to open it. */
async function deliver (h: Harness, m: FakeMessage): Promise<void> {
  h.messages.set(m.envelope.cid.toString(), m)
  await h.log.append({ kind: 'fake.received', body: { envelope: m.envelope.cid } })
}

async function startSubject (h: Harness, subject: CID): Promise<void> {
  await h.core.commit([{ fact: { kind: 'fake.fact', subject: subject.toString(), step: 'start', envelope: null } }])
}

const steps = (h: Harness, subject: CID): readonly string[] | undefined => h.log.state.fake.subjects[subject.toString()]
const waitSteps = async (h: Harness, subject: CID, n: number): Promise<readonly string[]> =>
  await h.core.waitFor(subject, () => steps(h, subject), (s) => s.length >= n, { signal: AbortSignal.timeout(5_000) })

/** Resolves when `check()` holds, checked after each turn of the event loop (one at least). */
async function until (check: () => boolean, signal = AbortSignal.timeout(5_000)): Promise<void> {
  do {
    signal.throwIfAborted()
    await new Promise((resolve) => setImmediate(resolve))
  } while (!check())
}

// ---- tests ----

test('start checks the machine; operations need the service running', async () => {
  const { home, remove } = tempHome()
  const h = await fakeService(home)
  try {
    assert.throws(() => { h.core.assertRunning() }, (err: Error) => err.name === 'ServiceStoppedError' && err.message === 'the fake service is not running')
    await h.core.start()
    h.core.assertRunning()
    await h.core.stop()
    assert.is(h.core.running, false)
    const other = new ServiceCore<FakeFact, WorkEffect>({
      name: 'other', node: { log: h.log } as unknown as ServiceNode, keystore: { start: async () => {} }, logger: pino({ level: 'silent' }) as Logger,
      folds: () => false, foldsHint: 'the node log does not fold the other reducer', entry: () => ({ kind: 'x', body: {} }),
      accepts: isWork, execute: async () => true, messages: () => false, judge: async () => {}, appended: () => {}
    })
    await rejects(other.start(), { name: 'MachineMismatchError', message: 'the node log does not fold the other reducer' })
  } finally {
    await h.opened.close()
    remove()
  }
})

test('an effect\'s envelope.sent and fact are appended in one group commit, envelope first', async () => {
  const { home, remove } = tempHome()
  const h = await fakeService(home)
  try {
    await h.core.start()
    const subject = await cidOf('subject-commit')
    const before = h.log.head?.seq ?? -1
    await startSubject(h, subject)
    assert.equal(await waitSteps(h, subject, 2), ['start', 'worked'])
    const entries = []
    for (let seq = before + 1; seq <= (h.log.head?.seq ?? -1); seq++) entries.push(await h.log.get(seq))
    assert.equal(entries.map((e) => e.kind), ['fake.fact', 'fake.sent', 'fake.fact'])
    // The log signs the last entry of each group commit: one signature for the sent envelope and its fact.
    assert.equal(entries.map((e) => e.sig !== undefined), [true, false, true])
    assert.is(h.log.state.fake.sent.length, 1)
  } finally {
    await h.core.stop()
    await h.opened.close()
    remove()
  }
})

test('a message that came before its subject is parked (not retried) and judged again on the subject\'s next fact', async () => {
  const { home, remove } = tempHome()
  const h = await fakeService(home)
  try {
    await h.core.start()
    const subject = await cidOf('subject-park')
    const early = await message('fake/reply', 'subject-park', { step: 'reply' })
    await deliver(h, early)
    await until(() => h.judgements.length === 1)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(h.judgements, [{ step: 'reply', final: false }])
    assert.is(steps(h, subject), undefined)
    assert.ok(h.log.pending().some((k) => k.effect.type === ENVELOPE_OPEN), 'not marked done while parked')
    assert.is(h.lines.filter((l) => l.level >= 40).length, 0, 'parked, not retried (retries are logged; retryMs is a minute)')
    await startSubject(h, subject)
    assert.equal(await waitSteps(h, subject, 3), ['start', 'worked', 'reply'])
    assert.equal(h.judgements, [{ step: 'reply', final: false }, { step: 'reply', final: false }])
    await h.core.stop()
    assert.equal(h.log.pending(), [], 'every effect marked done by the time stop resolves')
  } finally {
    await h.core.stop()
    await h.opened.close()
    remove()
  }
})

test('with a park time, a message whose subject never comes is judged for good: refused', async () => {
  const { home, remove } = tempHome()
  const h = await fakeService(home, { parkTtlMs: 20 })
  try {
    await h.core.start()
    const never = await message('fake/reply', 'subject-never', { step: 'reply' })
    await deliver(h, never)
    await until(() => h.log.state.fake.rejected.length === 1)
    assert.equal(h.judgements, [{ step: 'reply', final: false }, { step: 'reply', final: true }])
    assert.equal(h.log.state.fake.rejected, [{ envelope: never.envelope.cid.toString(), error: 'UnknownSubjectError' }])
  } finally {
    await h.core.stop()
    await h.opened.close()
    remove()
  }
})

test('a refusal is recorded as the rejected fact, logged, and judged once; the subject is otherwise unchanged', async () => {
  const { home, remove } = tempHome()
  const h = await fakeService(home)
  try {
    await h.core.start()
    const subject = await cidOf('subject-refuse')
    await startSubject(h, subject)
    const before = await waitSteps(h, subject, 2)
    const bad = await message('fake/reply', 'subject-refuse', { step: 'bad' })
    const sealedWrong = await message('fake/reply', 'subject-refuse', new NamedError('DecryptionError', 'not for this node'))
    await deliver(h, bad)
    await deliver(h, sealedWrong)
    await until(() => h.log.state.fake.rejected.length === 2)
    assert.equal(h.log.state.fake.rejected, [
      { envelope: bad.envelope.cid.toString(), error: 'UnauthorizedSenderError' },
      { envelope: sealedWrong.envelope.cid.toString(), error: 'DecryptionError' }
    ])
    assert.equal(steps(h, subject), before)
    const refused = h.lines.filter((l) => l.msg === 'fake message refused')
    assert.equal(refused.map((l) => l.error), ['UnauthorizedSenderError', 'DecryptionError'])
    // The same envelope again (delivered twice): its judgement is recorded, nothing is appended.
    const seq = h.log.head?.seq
    await deliver(h, bad)
    await until(() => h.log.pending().length === 0)
    assert.is(h.log.head?.seq, (seq ?? 0) + 1, 'only the second delivery itself')
    assert.is(h.judgements.filter((j) => j.step === 'bad').length, 1)
  } finally {
    await h.core.stop()
    await h.opened.close()
    remove()
  }
})

test('another service\'s message is not marked done; a node failure is thrown and retried, not recorded', async () => {
  const { home, remove } = tempHome()
  const h = await fakeService(home, { retryMs: 5 })
  try {
    await h.core.start()
    const subject = await cidOf('subject-fail')
    await startSubject(h, subject)
    await waitSteps(h, subject, 2)
    const theirs = await message('theirs/hello', 'subject-fail', { step: 'hello' })
    await deliver(h, theirs)
    const boom = await message('fake/reply', 'subject-fail', { step: 'boom' })
    await deliver(h, boom)
    await until(() => h.lines.some((l) => l.msg === 'fake effect failed; will retry'))
    // The node recovers: the retry judges the message.
    h.messages.set(boom.envelope.cid.toString(), { ...boom, body: { step: 'late' } })
    assert.equal(await waitSteps(h, subject, 3), ['start', 'worked', 'late'])
    assert.is(h.log.state.fake.rejected.length, 0)
    assert.equal(h.judgements.map((j) => j.step), ['boom', 'late'])
    await h.core.stop()
    assert.equal(h.log.pending().map((k) => (k.effect as { envelope?: CID }).envelope?.toString()), [theirs.envelope.cid.toString()])
  } finally {
    await h.core.stop()
    await h.opened.close()
    remove()
  }
})

test('effects not done before a stop (or a crash) run after the restart, once', async () => {
  const { home, remove } = tempHome()
  let h = await fakeService(home)
  const subject = await cidOf('subject-restart')
  try {
    // The work fails (say the node dies half-way): the effect stays in the outbox.
    let attempts = 0
    h.work = async () => { attempts++; throw new Error('crashed half-way') }
    await h.core.start()
    await startSubject(h, subject)
    await until(() => attempts === 1)
    await h.core.stop()
    await h.opened.close()
    assert.equal(steps(h, subject), ['start'])

    h = await fakeService(home)
    assert.equal(h.log.pending().map((k) => k.effect.type), ['fake.work'])
    await h.core.start()
    assert.equal(await waitSteps(h, subject, 2), ['start', 'worked'])
    await h.core.stop()
    await h.opened.close()

    h = await fakeService(home)
    assert.equal(h.log.pending(), [], 'marked done: not handed out again')
    await h.core.start()
    await h.core.stop()
    assert.equal(steps(h, subject), ['start', 'worked'])
    assert.is(h.log.state.fake.sent.length, 1)
  } finally {
    await h.core.stop()
    await h.opened.close()
    remove()
  }
})

test.run()
