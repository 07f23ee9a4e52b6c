// A delivery-capable test peer: the harness stack plus outbox, inbound path, delivery protocol and
// dispatcher, with a LevelDB-backed sink standing in for the node's log (durable, so a peer can be
// stopped and started again on the same directory). Registered with ../../teardown.ts like the
// stack it extends; its stop() is idempotent too.
import type { CID } from 'multiformats/cid'
import type { VerifiedIdentity } from '../../../protocol/identity.ts'
import { decodeEnvelope, seal, type DecodedEnvelope } from '../../../protocol/envelope.ts'
import { handleDelivery, DELIVERY_PROTOCOL } from '../../../node/p2p/delivery.ts'
import { Dispatcher, type DispatcherInit } from '../../../node/p2p/dispatcher.ts'
import { Inbound, type EnvelopeSink, type InboundInit } from '../../../node/p2p/inbound.ts'
import { Outbox } from '../../../node/p2p/outbox.ts'
import type { Kv } from '../../../node/p2p/db.ts'
import { track } from '../../teardown.ts'
import { startStack, type Stack, type StackOptions } from './harness.ts'

/** The node's log, reduced to what delivery needs: durable, keyed by envelope CID, with an append counter. */
export class TestSink implements EnvelopeSink {
  readonly #db: Kv
  appends = 0
  constructor (db: Kv) {
    this.#db = db
  }

  async append (envelopes: readonly DecodedEnvelope[]): Promise<void> {
    this.appends += envelopes.length
    await this.#db.batch(envelopes.map((e) => ({ type: 'put' as const, key: `r/${e.cid.toString()}`, value: e.bytes })))
  }

  async has (cids: readonly CID[]): Promise<boolean[]> {
    if (cids.length === 0) return []
    return (await this.#db.getMany(cids.map((c) => `r/${c.toString()}`))).map((v) => v !== undefined)
  }

  async all (): Promise<DecodedEnvelope[]> {
    const out: DecodedEnvelope[] = []
    for await (const v of this.#db.values({ gt: 'r/', lt: 'r0' })) out.push(decodeEnvelope(v))
    return out
  }
}

export interface DeliveryStack extends Stack {
  readonly outbox: Outbox
  readonly inbound: Inbound
  readonly dispatcher: Dispatcher
  readonly sink: TestSink
  /** Seals `body` to `to`, queues it and tells the dispatcher. */
  send (to: readonly VerifiedIdentity[], body: unknown): Promise<DecodedEnvelope>
}

export interface DeliveryStackOptions extends StackOptions {
  readonly inbound?: InboundInit
  readonly dispatcher?: DispatcherInit
}

export async function startDeliveryStack (name: string, options: DeliveryStackOptions = {}): Promise<DeliveryStack> {
  const stack = await startStack(name, options)
  const outbox = new Outbox(stack.db.outbox)
  await outbox.open()
  const sink = new TestSink(stack.db.received)
  const inbound = new Inbound({ directory: stack.directory, sink, logger: stack.logger, self: () => stack.directory.self.cid }, options.inbound)
  await handleDelivery(stack.libp2p, inbound, stack.logger)
  const dispatcher = new Dispatcher({ libp2p: stack.libp2p, outbox, directory: stack.directory, logger: stack.logger }, { initialBackoffMs: 50, maxBackoffMs: 1_000, ...options.dispatcher })
  dispatcher.start()
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      await dispatcher.stop()
      await stack.libp2p.unhandle(DELIVERY_PROTOCOL)
      await stack.stop()
    })()
    await stopping
  }
  track(`delivery stack ${name}`, stop)
  return {
    ...stack,
    outbox,
    inbound,
    dispatcher,
    sink,
    async send (to, body) {
      const envelope = seal({ identity: stack.keys.identity, signer: stack.keys.signer }, to, 'test/message', body)
      await outbox.enqueue(envelope, to.map((t) => t.cid))
      for (const t of to) dispatcher.notify(t.cid.toString())
      return envelope
    },
    stop
  }
}
