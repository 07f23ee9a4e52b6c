// Fault-injection controls of a simulation node (custody-child.ts), asked for over stdin as JSON
// lines `{"id": n, "cmd": …}` and answered on stdout as `{"reply": {"id": n, "ok": true, "result": …}}`
// (or `"ok": false, "error": "…"`). What each control does to the running node:
//
//   gate   { peers }  partition: the node's connection gater (createGater) refuses every
//                     connection to or from these peer ids, and the open ones are hung up
//   ungate            heal: the gater allows everyone again (the node's dispatcher and redialer
//                     reconnect on their own; nothing is dialled for them)
//   delay  { ms }     message delay: every batch of envelopes that reaches this node's receive
//                     path (direct delivery and catch-up sync alike) waits `ms` before it is
//                     verified, appended and acknowledged; 0 turns it off
//   drop   { type }   test hook that breaks an invariant on purpose: the next envelope of this
//                     message type is acknowledged as accepted but never appended — the sender
//                     forgets it, so the delivery is lost for good
//   dial   { addr }   dial a peer now
//   introduce { addr } dial a peer and ask it for its identity document (the hello every new
//                     connection makes, done again: under load the first one can time out, and
//                     a dial to a peer already connected does not repeat it)
//   stats             outbox backlog, dead letters, log head, receive counters, connections,
//                     memory of this process (rss, heap) and how many envelopes `drop` discarded
//
// Delay and drop wrap the node's Inbound.receive on this one instance (the simulation's hook;
// the node itself has no such option): the wrapper sits between delivery/sync and the real
// receive path, so everything else — verification, dedupe, group commit — is untouched.
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { MilagroNode } from '../../node/index.ts'
import type { SwitchableGater } from '../../node/p2p/libp2p.ts'
import type { Verdict } from '../../node/p2p/inbound.ts'
import { requestIdentity } from '../../node/p2p/identity-protocol.ts'
import { decodeEnvelope } from '../../protocol/index.ts'

export const CONTROL_COMMANDS = ['gate', 'ungate', 'delay', 'drop', 'dial', 'introduce', 'stats'] as const
export type ControlCommand = typeof CONTROL_COMMANDS[number]

export interface ControlRequest {
  readonly cmd: ControlCommand
  readonly peers?: readonly string[]
  readonly ms?: number
  readonly type?: string
  readonly addr?: string
}

export interface NodeStats {
  readonly outbox: number
  readonly dead: number
  readonly head: number
  readonly received: number
  readonly duplicates: number
  readonly connections: number
  readonly rss: number
  readonly heapUsed: number
  readonly dropped: number
}

/** Installs the receive-path hooks on a started node and returns the handler of control requests. */
export function nodeControl (node: MilagroNode, gater: SwitchableGater): (request: ControlRequest) => Promise<unknown> {
  const hooks = { delayMs: 0, dropType: undefined as string | undefined, dropped: 0 }
  const inbound = node.parts.inbound
  const receive = inbound.receive.bind(inbound)
  inbound.receive = async (frames, from, options) => {
    if (hooks.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, hooks.delayMs))
    const type = hooks.dropType
    if (type === undefined) return await receive(frames, from, options)
    let lost = -1
    let verdict: Verdict | undefined
    for (let i = 0; i < frames.length && lost === -1; i++) {
      try {
        const env = decodeEnvelope(frames[i] as Uint8Array)
        if (env.header.type === type) { lost = i; verdict = { cid: env.cid, accepted: true, duplicate: false, reason: null } }
      } catch {
        // Not an envelope: the real receive path refuses it with its own reason.
      }
    }
    if (verdict === undefined) return await receive(frames, from, options)
    hooks.dropType = undefined
    hooks.dropped++
    const verdicts = await receive(frames.filter((_, i) => i !== lost), from, options)
    verdicts.splice(lost, 0, verdict)
    return verdicts
  }

  return async (request) => {
    switch (request.cmd) {
      case 'gate': {
        const peers = request.peers ?? []
        gater.denied.clear()
        for (const p of peers) gater.denied.add(p)
        const ids: PeerId[] = peers.map((p) => peerIdFromString(p))
        await Promise.allSettled(ids.map(async (id) => { await node.libp2p.hangUp(id) }))
        return { denied: peers.length }
      }
      case 'ungate':
        gater.denied.clear()
        return { denied: 0 }
      case 'delay':
        hooks.delayMs = Math.max(0, request.ms ?? 0)
        return { delayMs: hooks.delayMs }
      case 'drop':
        if (request.type === undefined) throw new TypeError('drop needs a message type')
        hooks.dropType = request.type
        return { type: request.type }
      case 'dial':
        if (request.addr === undefined) throw new TypeError('dial needs addr')
        return { peerId: await node.connect(request.addr) }
      case 'introduce': {
        if (request.addr === undefined) throw new TypeError('introduce needs addr')
        const peer = peerIdFromString(await node.connect(request.addr))
        const bytes = await requestIdentity(node.libp2p, peer, null, { signal: AbortSignal.timeout(10_000) })
        if (bytes === undefined) throw new Error(`peer ${peer.toString()} did not send its identity`)
        return { identity: (await node.directory.accept(bytes, { from: peer })).identity.cid.toString() }
      }
      case 'stats': {
        const p = node.parts
        const mem = process.memoryUsage()
        const inboundStats = p.inbound.stats()
        const stats: NodeStats = {
          outbox: p.outbox.count(),
          dead: p.outbox.deadLetters,
          head: p.log.head?.seq ?? -1,
          received: inboundStats.received,
          duplicates: inboundStats.duplicates,
          connections: p.libp2p.getConnections().length,
          rss: mem.rss,
          heapUsed: mem.heapUsed,
          dropped: hooks.dropped
        }
        return stats
      }
      default:
        throw new TypeError(`unknown control command '${String((request as { cmd: unknown }).cmd)}'`)
    }
  }
}
