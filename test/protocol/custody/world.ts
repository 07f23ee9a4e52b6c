// A network-free world for the custody reducers: parties with real identities, real envelopes
// (seal/open), hand-made log entries folded by the node machine, and a stand-in for the node's
// custody service that executes effects with an in-memory "key store". Everything runs in one
// process, synchronously, in a deterministic order. Test fixture only: secrets here are test keys.
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import {
  checkCombined, combineSecretShares, createProofOfPossession, equalBytes, generateSecp256k1SecretKey, hpkeOpen, hpkeSeal,
  randomBytes, secp256k1PublicKey, sha256
} from '../../../crypto/index.ts'
import { openEnvelope, seal, type DecodedEnvelope } from '../../../protocol/envelope.ts'
import {
  AlreadyReleasedError, CUSTODY_EFFECTS, CUSTODY_FACTS, CUSTODY_MESSAGES, KeyMismatchError, checkFact, decodeMessage, factEntry, isRecorded,
  ownShare, recordedEnvelope, releaseAad, releaseBody, RELEASE_INFO, rejectedFact, shareContext,
  type CustodyEffect, type CustodyFact, type CustodyMessageType, type PartyRole, roleOrder } from '../../../protocol/custody/index.ts'
import type { KeyedEffect } from '../../../protocol/state/effects.ts'
import { ENVELOPE_OPEN } from '../../../protocol/state/inbox.ts'
import { nodeMachine, type NodeState } from '../../../protocol/state/machine.ts'
import type { IpldValue, LogEntry } from '../../../protocol/state/types.ts'
import { testNode, type TestNode } from '../../fixtures/identities.ts'

const cidOf = (value: unknown): CID => CID.createV1(0x71, Digest.create(0x12, sha256(dagCbor.encode(value))))

export const T0 = 1_700_000_000_000

export function fakeHandle (): string {
  return `ks1:secp256k1:${Buffer.from(randomBytes(16)).toString('base64url')}`
}

export class Party {
  readonly name: string
  readonly node: TestNode
  readonly machine = nodeMachine()
  state: NodeState
  readonly entries: LogEntry[] = []
  readonly secrets = new Map<string, Uint8Array>()
  readonly outbox: Array<KeyedEffect> = []
  /** Envelopes this party sealed, by CID. */
  readonly sent = new Map<string, DecodedEnvelope>()
  clock = T0

  constructor (name: string, node: TestNode) {
    this.name = name
    this.node = node
    this.state = this.machine.initial
  }

  get id (): CID {
    return this.node.identity.cid
  }

  /** Appends an entry, folds it, queues its effects; returns the entry and its effects. */
  append (kind: string, payload: { body: IpldValue } | { link: CID }): { entry: LogEntry, effects: readonly KeyedEffect[] } {
    const last = this.entries[this.entries.length - 1]
    const fields = { v: 1 as const, seq: this.entries.length, prev: last?.cid ?? null, clock: this.entries.length + 1, time: this.clock, kind, author: this.id, ...payload }
    const entry: LogEntry = { ...fields, cid: cidOf(fields) }
    this.entries.push(entry)
    const r = this.machine.apply(this.state, entry)
    this.state = r.state
    this.outbox.push(...r.effects)
    return { entry, effects: r.effects }
  }

  record (fact: CustodyFact): { entry: LogEntry, effects: readonly KeyedEffect[] } {
    const { kind, body } = factEntry(fact)
    return this.append(kind, { body })
  }

  facts (kind: string): LogEntry[] {
    return this.entries.filter((e) => e.kind === kind)
  }
}

export interface Delivery {
  readonly to: Party
  readonly envelope: DecodedEnvelope
}

export class World {
  readonly parties: Party[] = []
  readonly network: Delivery[] = []
  /** Deliveries a test holds back (e.g. to reorder them). */
  hold: (d: Delivery) => boolean = () => false
  readonly held: Delivery[] = []

  static async create (...names: string[]): Promise<{ world: World, parties: Party[] }> {
    const world = new World()
    for (const n of names) world.parties.push(new Party(n, await testNode(n)))
    return { world, parties: world.parties }
  }

  party (id: CID): Party {
    const p = this.parties.find((x) => x.id.equals(id))
    if (p === undefined) throw new Error(`no party ${id.toString()}`)
    return p
  }

  /** Seals a message from `from` and records it as the service would (self-addressed: via the receive path). */
  send (from: Party, type: CustodyMessageType, to: readonly CID[], body: IpldValue, links: { thread?: CID | null, prev?: readonly CID[] } = {}): DecodedEnvelope {
    from.clock++
    const recipients = to.map((c) => this.party(c).node.identity)
    const envelope = seal(from.node.sender, recipients, type, body, { time: from.clock, thread: links.thread ?? null, prev: links.prev ?? [] })
    from.sent.set(envelope.cid.toString(), envelope)
    const toSelf = to.some((c) => c.equals(from.id))
    from.append('envelope.sent', { link: envelope.cid })
    if (toSelf) this.receive(from, envelope)
    else from.record(decodeMessage(envelope, body, { verify: false }).fact)
    for (const c of to) if (!c.equals(from.id)) this.network.push({ to: this.party(c), envelope })
    return envelope
  }

  /** What the node's custody service does with an envelope addressed to `at`. */
  receive (at: Party, envelope: DecodedEnvelope): CustodyFact {
    if (isRecorded(at.state, envelope)) throw new Error('envelope processed twice')
    const sender = this.party(envelope.header.sender).node.identity
    const opened = openEnvelope(envelope, sender, at.node.recipientKey)
    let fact: CustodyFact
    try {
      const decoded = decodeMessage(envelope, opened.body)
      const release = decoded.fact.kind === CUSTODY_FACTS.release
      const refusal = checkFact(at.state, decoded.fact, at.id, { beforeImport: release })
      if (refusal !== null) throw refusal
      fact = decoded.fact
      if (fact.kind === CUSTODY_FACTS.release && decoded.sealed !== undefined) {
        const b = roleOrder(at.state, 'beneficiary', fact.order.toString())
        const own = ownShare(at.state, fact.order, 'beneficiary')
        if (b?.wallet == null || own === null) throw new Error('unreachable: checkFact passed')
        const f = hpkeOpen({ aead: 'aes-256-gcm' }, at.node.encryptionSecretKey, decoded.sealed.enc, RELEASE_INFO, releaseAad(fact.order, at.id, fact.publicKey), decoded.sealed.ct)
        if (!equalBytes(secp256k1PublicKey(f), fact.publicKey)) throw new KeyMismatchError('released share does not match its public key')
        const w = combineSecretShares(at.secrets.get(own.handle) as Uint8Array, f)
        checkCombined(w, b.wallet.walletKey)
        const wallet = fakeHandle()
        at.secrets.set(wallet, w)
        fact = { ...fact, imported: { wallet } }
      }
    } catch (err) {
      const e = err as Error
      if (e.name === 'PrematureMessageError') throw e // not a refusal: the service judges it again later
      const answer: CID[] = []
      if (e instanceof AlreadyReleasedError) {
        // Answer a repeat with the earlier release: queue the same envelopes again.
        for (const type of [CUSTODY_MESSAGES.release, CUSTODY_MESSAGES.released] as const) {
          const cid = recordedEnvelope(at.state, 'fiduciary', envelope.header.thread as CID, type)
          const again = cid === undefined ? undefined : at.sent.get(cid.toString())
          if (again !== undefined) {
            answer.push(again.cid)
            for (const r of again.header.recipients) this.network.push({ to: this.party(r), envelope: again })
          }
        }
      }
      fact = rejectedFact(envelope, e, answer)
    }
    at.record(fact)
    return fact
  }

  /** Executes one keyed effect of `at` (the service's executors). */
  execute (at: Party, keyed: KeyedEffect): void {
    const effect = keyed.effect as CustodyEffect | { type: typeof ENVELOPE_OPEN, envelope: CID }
    switch (effect.type) {
      case ENVELOPE_OPEN: {
        const d = this.inFlight.get(effect.envelope.toString())
        if (d === undefined) throw new Error('open: unknown envelope')
        if (isRecorded(at.state, d)) return
        try {
          this.receive(at, d)
        } catch (err) {
          if ((err as Error).name !== 'PrematureMessageError') throw err
          this.parked.push({ at, keyed })
        }
        return
      }
      case CUSTODY_EFFECTS.generateShare: {
        if (ownShare(at.state, effect.order, effect.role) !== null) return
        const secret = generateSecp256k1SecretKey()
        const handle = fakeHandle()
        at.secrets.set(handle, secret)
        const pop = createProofOfPossession(secret, shareContext(effect.order, effect.role, at.id))
        at.record({ kind: CUSTODY_FACTS.share, order: effect.order, role: effect.role, handle, publicKey: secp256k1PublicKey(secret), pop })
        return
      }
      case CUSTODY_EFFECTS.send: {
        if (recordedEnvelope(at.state, effect.role as PartyRole, effect.order, effect.message) !== undefined) return
        this.send(at, effect.message, effect.to, effect.body, { thread: effect.order, prev: effect.prev })
        return
      }
      case CUSTODY_EFFECTS.releaseShare: {
        if (recordedEnvelope(at.state, 'fiduciary', effect.order, CUSTODY_MESSAGES.release) !== undefined) return
        const b = this.party(effect.beneficiary).node.identity
        const secret = at.secrets.get(effect.handle) as Uint8Array
        const { enc, ciphertext } = hpkeSeal({ aead: 'aes-256-gcm' }, b.doc.encryptionKey, RELEASE_INFO, releaseAad(effect.order, effect.beneficiary, effect.publicKey), secret)
        this.send(at, CUSTODY_MESSAGES.release, [effect.beneficiary], releaseBody({ publicKey: effect.publicKey, enc, ct: ciphertext }), { thread: effect.order, prev: effect.prev })
      }
    }
  }

  readonly inFlight = new Map<string, DecodedEnvelope>()
  /** Envelopes judged premature, opened again once something else happened. */
  readonly parked: Array<{ at: Party, keyed: KeyedEffect }> = []

  /** Delivers one envelope: the recipient appends `envelope.received` (its inbox asks to open it). */
  deliver (d: Delivery): void {
    if (d.to.entries.some((e) => e.kind === 'envelope.received' && e.link?.equals(d.envelope.cid) === true)) return // dedupe by CID
    this.inFlight.set(d.envelope.cid.toString(), d.envelope)
    d.to.clock++
    d.to.append('envelope.received', { link: d.envelope.cid })
  }

  unpark (): void {
    for (const { at, keyed } of this.parked.splice(0)) at.outbox.push(keyed)
  }

  /** Runs effects and deliveries until nothing is left (or `steps` runs out). */
  run (steps = 10_000): void {
    for (let i = 0; i < steps; i++) {
      const p = this.parties.find((x) => x.outbox.length > 0)
      if (p !== undefined) {
        const parked = this.parked.length
        this.execute(p, p.outbox.shift() as KeyedEffect)
        if (this.parked.length === parked) this.unpark()
        continue
      }
      const d = this.network.shift()
      if (d === undefined) return
      if (this.hold(d)) this.held.push(d)
      else { this.deliver(d); this.unpark() }
    }
    throw new Error('the world did not settle')
  }
}

/** A principal's order, as the node's service creates it (API call). */
export function createOrder (world: World, principal: Party, beneficiary: Party, fiduciary: Party, network: 'mainnet' | 'testnet' | 'regtest' | 'signet' = 'mainnet'): CID {
  const to = [beneficiary.id, fiduciary.id].filter((c, i, all) => all.findIndex((x) => x.equals(c)) === i)
  const envelope = world.send(principal, CUSTODY_MESSAGES.order, to, { v: 1, beneficiary: beneficiary.id, fiduciary: fiduciary.id, network })
  return envelope.cid
}

/** The principal's release request, as the node's service sends it (API call). */
export function requestRelease (world: World, principal: Party, order: CID, overrides: { beneficiary?: CID, from?: Party, to?: Party } = {}): DecodedEnvelope {
  const o = roleOrder(principal.state, 'principal', order.toString())
  if (o?.wallet == null) throw new Error('order not published')
  const from = overrides.from ?? principal
  return world.send(from, CUSTODY_MESSAGES.releaseRequest, [(overrides.to ?? world.party(o.fiduciary)).id], {
    v: 1, beneficiary: overrides.beneficiary ?? o.beneficiary, walletKey: o.wallet.walletKey
  }, { thread: order, prev: [o.envelopes[CUSTODY_MESSAGES.address] as CID] })
}
