// The whole custody flow through the three role reducers, with real envelopes and hand-made log
// entries (world.ts), no network: order → keys → address → release → redeemed, on three parties
// and on one party playing every role; every refusal leaves the state as it was.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as dagCbor from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import {
  checkCombined, combinePublicKeys, createProofOfPossession, generateSecp256k1SecretKey, secp256k1PublicKey, walletAddresses
} from '../../../crypto/index.ts'
import { CURVE_ORDER } from '../../../crypto/custody/point.ts'
import { decodeEnvelope } from '../../../protocol/envelope.ts'
import { hex, toHex } from '../../vectors.ts'
import { applyFact, CUSTODY_FACTS, CUSTODY_MESSAGES, keyBody, readFact, shareContext, type CustodyState, type RejectedFact, roleOrder, entriesOf, getOrder } from '../../../protocol/custody/index.ts'
import { fold } from '../../../protocol/state/fold.ts'
import { createOrder, requestRelease, World, type Party } from './world.ts'

function rejections (p: Party): RejectedFact[] {
  return p.facts(CUSTODY_FACTS.rejected).map((e) => readFact(e) as RejectedFact)
}

async function published (): Promise<{ world: World, P: Party, B: Party, F: Party, M: Party, order: CID }> {
  const { world, parties } = await World.create('principal', 'beneficiary', 'fiduciary', 'mallory')
  const [P, B, F, M] = parties as [Party, Party, Party, Party]
  const order = createOrder(world, P, B, F, 'testnet')
  world.run()
  return { world, P, B, F, M, order }
}

test('three parties: the order is published with W = B + F and the same addresses at every party', async () => {
  const { P, B, F, order } = await published()
  const id = order.toString()
  const p = roleOrder(P.state, 'principal', id)
  const b = roleOrder(B.state, 'beneficiary', id)
  const f = roleOrder(F.state, 'fiduciary', id)
  assert.ok(p !== undefined && b !== undefined && f !== undefined)
  assert.is(p.status, 'published')
  assert.is(b.status, 'published')
  assert.is(f.status, 'committed')
  assert.ok(b.share !== null && f.share !== null && p.wallet !== null)
  const W = combinePublicKeys(b.share.publicKey, f.share.publicKey)
  assert.equal(p.wallet.walletKey, W)
  assert.equal(p.wallet, { walletKey: W, ...walletAddresses(W, 'testnet') })
  assert.equal(b.wallet, p.wallet)
  assert.equal(f.wallet, p.wallet)
  assert.ok(p.wallet.p2wpkh.startsWith('tb1q'))
  // Each node plays only its role in the order.
  assert.equal([...entriesOf(P.state.fiduciary.orders)].map(([id]) => id), [])
  assert.equal([...entriesOf(B.state.principal.orders)].map(([id]) => id), [])
  assert.equal([...entriesOf(F.state.beneficiary.orders)].map(([id]) => id), [])
  // Shares are handles and public parts: no fact holds a 32-byte secret of the key store.
  for (const party of [P, B, F]) {
    const bytes = dagCbor.encode(party.entries.map((e) => e.body ?? null))
    for (const secret of [...B.secrets.values(), ...F.secrets.values()]) assert.not.ok(Buffer.from(bytes).includes(Buffer.from(secret)), `${party.name}'s log holds a secret`)
  }
})

test('release: the fiduciary releases to the beneficiary alone, who redeems w = b + f; every later envelope threads the order', async () => {
  const { world, P, B, F, order } = await published()
  const request = requestRelease(world, P, order)
  world.run()
  const id = order.toString()
  assert.is(roleOrder(P.state, 'principal', id)?.status, 'redeemed')
  assert.is(roleOrder(F.state, 'fiduciary', id)?.status, 'released')
  const b = roleOrder(B.state, 'beneficiary', id)
  assert.is(b?.status, 'redeemed')
  assert.ok(b?.imported != null && b.wallet !== null)
  const w = B.secrets.get(b.imported.wallet) as Uint8Array
  checkCombined(w, b.wallet.walletKey)
  // w = b + f: w − b is the fiduciary's share, whose public key F published.
  const own = B.secrets.get(b.share?.handle as string) as Uint8Array
  const f = (BigInt('0x' + toHex(w)) - BigInt('0x' + toHex(own)) + CURVE_ORDER) % CURVE_ORDER
  assert.equal(secp256k1PublicKey(hex(f.toString(16).padStart(64, '0'))), roleOrder(F.state, 'fiduciary', id)?.share?.publicKey)
  assert.is(b.imported.share, undefined, 'the released share itself is not kept: w holds it')
  // The release envelope went to the beneficiary alone and answers the request.
  const releaseCid = roleOrder(F.state, 'fiduciary', id)?.envelopes[CUSTODY_MESSAGES.release] as CID
  const release = F.sent.get(releaseCid.toString())
  assert.ok(release !== undefined)
  assert.equal(release.header.recipients.map(String), [B.id.toString()])
  assert.equal(release.header.prev.map(String), [request.cid.toString()])
  // An auditor walks the order across the three logs: every envelope of the thread is in a log.
  for (const party of [P, B, F]) {
    for (const e of party.entries.filter((x) => x.kind.startsWith('envelope.'))) {
      const env = [P, B, F].map((x) => x.sent.get((e.link as CID).toString())).find((x) => x !== undefined)
      assert.ok(env !== undefined)
      const thread = decodeEnvelope(env.bytes).header.thread
      assert.ok(thread === null ? env.cid.equals(order) : thread.equals(order))
    }
  }
  assert.equal(rejections(P), [])
  assert.equal(rejections(B), [])
  assert.equal(rejections(F), [])
})

test('one party playing every role runs the same flow to redeemed', async () => {
  const { world, parties } = await World.create('solo')
  const [A] = parties as [Party]
  const order = createOrder(world, A, A, A, 'regtest')
  world.run()
  const id = order.toString()
  assert.is(roleOrder(A.state, 'principal', id)?.status, 'published')
  assert.is(roleOrder(A.state, 'beneficiary', id)?.status, 'published')
  assert.is(roleOrder(A.state, 'fiduciary', id)?.status, 'committed')
  assert.ok(roleOrder(A.state, 'principal', id)?.wallet?.p2wpkh.startsWith('bcrt1q') === true)
  requestRelease(world, A, order)
  world.run()
  assert.is(roleOrder(A.state, 'principal', id)?.status, 'redeemed')
  assert.is(roleOrder(A.state, 'fiduciary', id)?.status, 'released')
  const b = roleOrder(A.state, 'beneficiary', id)
  assert.ok(b?.imported != null && b.wallet !== null)
  checkCombined(A.secrets.get(b.imported.wallet) as Uint8Array, b.wallet.walletKey)
  assert.equal(rejections(A), [])
  assert.is(A.entries.filter((e) => e.kind === 'envelope.received').length, 0, 'nothing went over the network')
})

test('replay from genesis gives the same state and the same effect keys (pure reducers)', async () => {
  const { world, P, B, F, order } = await published()
  requestRelease(world, P, order)
  world.run()
  for (const party of [P, B, F]) {
    const replayed = fold(party.machine, party.entries)
    assert.equal(replayed.state, party.state)
    assert.equal(dagCbor.decode(dagCbor.encode(party.state)), party.state, 'the state is DAG-CBOR')
  }
})

test('applyFact computes exactly what the node machine computes from the same facts (slices and custody effects)', async () => {
  const { world, P, B, F, order } = await published()
  requestRelease(world, P, order)
  world.run()
  for (const party of [P, B, F]) {
    let state: CustodyState = party.machine.initial
    const effects: string[] = []
    const expected: string[] = []
    for (const e of party.entries) {
      const m = party.machine.apply(state as never, e)
      expected.push(...m.effects.map((k) => String(k.effect.type)).filter((t) => t.startsWith('custody.')))
      const fact = readFact(e)
      if (fact === undefined) continue
      const r = applyFact(state, fact, e.author)
      state = r.state
      effects.push(...r.effects.map((x) => x.type))
    }
    assert.equal({ principal: state.principal, fiduciary: state.fiduciary, beneficiary: state.beneficiary }, { principal: party.state.principal, fiduciary: party.state.fiduciary, beneficiary: party.state.beneficiary })
    assert.equal(effects, expected)
    assert.ok(effects.length > 0)
  }
})

test('delivery order does not matter: keys arriving in either order give the same wallet', async () => {
  for (const first of ['beneficiary', 'fiduciary']) {
    const { world, parties } = await World.create('principal', 'beneficiary', 'fiduciary')
    const [P, B, F] = parties as [Party, Party, Party]
    const holdFrom = first === 'beneficiary' ? F : B
    world.hold = (d) => d.to === P && d.envelope.header.sender.equals(holdFrom.id)
    const order = createOrder(world, P, B, F)
    world.run()
    assert.is(roleOrder(P.state, 'principal', order.toString())?.status, 'pending')
    world.hold = () => false
    world.network.push(...world.held.splice(0))
    world.run()
    assert.is(roleOrder(P.state, 'principal', order.toString())?.status, 'published')
  }
})

test('a release that reaches the beneficiary before the address waits for it (premature, not refused) and is redeemed once it arrives', async () => {
  const { world, parties } = await World.create('principal', 'beneficiary', 'fiduciary')
  const [P, B, F] = parties as [Party, Party, Party]
  world.hold = (d) => d.to === B && d.envelope.header.type === CUSTODY_MESSAGES.address
  const order = createOrder(world, P, B, F)
  world.run()
  requestRelease(world, P, order)
  world.run()
  assert.is(roleOrder(F.state, 'fiduciary', order.toString())?.status, 'released')
  assert.is(roleOrder(B.state, 'beneficiary', order.toString())?.status, 'committed')
  assert.is(world.parked.length, 1, 'the release is kept')
  assert.equal(rejections(B), [])
  world.hold = () => false
  world.network.push(...world.held.splice(0))
  world.run()
  assert.is(roleOrder(B.state, 'beneficiary', order.toString())?.status, 'redeemed')
  assert.is(roleOrder(P.state, 'principal', order.toString())?.status, 'redeemed')
  assert.equal(world.parked, [])
  assert.equal(rejections(B), [])
})

test('rogue key: B′ = T − F without a valid proof of possession is refused, and no address is published', async () => {
  const { world, parties } = await World.create('principal', 'rogue-beneficiary', 'fiduciary', 'other')
  const [P, R, F, O] = parties as [Party, Party, Party, Party]
  // Hold R's honest key; let F's key reach P.
  world.hold = (d) => d.to === P && d.envelope.header.sender.equals(R.id)
  const order = createOrder(world, P, R, F)
  world.run()
  world.hold = () => false
  assert.is(world.held.length, 1, 'the honest key is held back')
  const Fkey = roleOrder(P.state, 'principal', order.toString())?.fiduciaryKey?.publicKey as Uint8Array
  // R wants W = T for a key T it alone controls: B′ = T − F.
  const t = generateSecp256k1SecretKey()
  const T = secp256k1PublicKey(t)
  const { secp256k1 } = await import('@noble/curves/secp256k1.js')
  const rogue = secp256k1.Point.fromBytes(T).subtract(secp256k1.Point.fromBytes(Fkey)).toBytes(true)
  const before = P.state
  const attempts = [
    createProofOfPossession(t, shareContext(order, 'beneficiary', R.id)), // a proof for T, not for B′
    new Uint8Array(64).fill(7) // garbage
  ]
  for (const pop of attempts) {
    world.send(R, CUSTODY_MESSAGES.beneficiaryKey, [P.id], keyBody({ publicKey: rogue, pop }), { thread: order, prev: [order] })
    world.run()
  }
  // A valid proof for the same key in another context (another order, another party) does not transfer either.
  const x = generateSecp256k1SecretKey()
  const otherOrder = createOrder(world, O, O, O)
  world.send(R, CUSTODY_MESSAGES.beneficiaryKey, [P.id], keyBody({ publicKey: secp256k1PublicKey(x), pop: createProofOfPossession(x, shareContext(otherOrder, 'beneficiary', R.id)) }), { thread: order, prev: [order] })
  world.run()
  const refused = rejections(P)
  assert.equal(refused.map((r) => r.error), ['InvalidProofError', 'InvalidProofError', 'InvalidProofError'])
  assert.ok(refused.every((r) => r.order?.equals(order) === true && r.from.equals(R.id)))
  assert.ok(P.state.principal === before.principal, 'the principal slice is the same object')
  assert.is(roleOrder(P.state, 'principal', order.toString())?.wallet, null)
  assert.equal(P.outbox, [], 'no address is sent')
})

test('rogue principal: a substituted fiduciary key is caught — the fiduciary refuses the address, the beneficiary refuses the release', async () => {
  const { world, P, B, F, order } = await published()
  const id = order.toString()
  const o = roleOrder(P.state, 'principal', id)
  assert.ok(o?.beneficiaryKey != null && o.fiduciaryKey !== null)
  // P publishes, to a fresh pair of parties of a second order, a fiduciary key it controls, proven for the fiduciary's CID.
  const second = createOrder(world, P, B, F)
  world.hold = (d) => d.envelope.header.type === CUSTODY_MESSAGES.address
  world.run()
  world.hold = () => false
  assert.is(world.held.splice(0).length, 2, 'the honest address is held back from both parties')
  const p2 = roleOrder(P.state, 'principal', second.toString())
  const bKey = p2?.beneficiaryKey
  assert.ok(bKey != null)
  const fake = generateSecp256k1SecretKey()
  const fakeKey = secp256k1PublicKey(fake)
  const W = combinePublicKeys(bKey.publicKey, fakeKey)
  world.send(P, CUSTODY_MESSAGES.address, [B.id, F.id], {
    v: 1,
    network: 'mainnet',
    beneficiary: B.id,
    beneficiaryKey: bKey.publicKey,
    beneficiaryPop: bKey.pop,
    fiduciary: F.id,
    fiduciaryKey: fakeKey,
    fiduciaryPop: createProofOfPossession(fake, shareContext(second, 'fiduciary', F.id)),
    walletKey: W,
    ...walletAddresses(W, 'mainnet')
  }, { thread: second })
  world.run()
  assert.equal(rejections(F).map((r) => r.error), ['KeyMismatchError'], 'the fiduciary sees its key is not in the address')
  assert.is(roleOrder(B.state, 'beneficiary', second.toString())?.status, 'published', 'the beneficiary cannot tell yet')
  requestRelease(world, P, second)
  world.run()
  // F still releases (the request is authorized) — to B alone; B finds f·G ≠ the published key and imports nothing.
  assert.equal(rejections(B).map((r) => r.error), ['KeyMismatchError'])
  assert.is(roleOrder(B.state, 'beneficiary', second.toString())?.imported, null)
  assert.is(roleOrder(B.state, 'beneficiary', second.toString())?.status, 'published')
})

test('release refusals at the fiduciary: stranger, other beneficiary, unknown order, uncommitted order — typed, state unchanged, nothing released', async () => {
  const { world, P, B, F, M, order } = await published()
  const fiduciaryBefore = F.state.fiduciary
  // A stranger asks (signed by M, not by the order's principal).
  requestRelease(world, P, order, { from: M })
  // The principal asks for a release to someone else.
  requestRelease(world, P, order, { beneficiary: M.id })
  // A request for an order the fiduciary does not know.
  world.send(P, CUSTODY_MESSAGES.releaseRequest, [F.id], { v: 1, beneficiary: B.id, walletKey: roleOrder(P.state, 'principal', order.toString())?.wallet?.walletKey as Uint8Array }, { thread: M.id, prev: [] })
  world.run()
  assert.equal(rejections(F).map((r) => r.error), ['UnauthorizedSenderError', 'WrongBeneficiaryError', 'UnknownOrderError'])
  assert.ok(F.state.fiduciary === fiduciaryBefore, 'the fiduciary slice is the same object')
  assert.equal(F.facts(CUSTODY_FACTS.release), [])
  assert.is(roleOrder(F.state, 'fiduciary', order.toString())?.status, 'committed')
  assert.is(roleOrder(B.state, 'beneficiary', order.toString())?.imported, null)
})

test('an order the fiduciary has not committed to (share not yet generated) is not released', async () => {
  const { world, parties } = await World.create('principal', 'beneficiary', 'fiduciary')
  const [P, B, F] = parties as [Party, Party, Party]
  const order = createOrder(world, P, B, F)
  // Deliver the order to F and open it, but do not let F generate its share.
  const d = world.network.find((x) => x.to === F)
  assert.ok(d !== undefined)
  world.network.splice(world.network.indexOf(d), 1)
  world.deliver(d)
  world.execute(F, F.outbox.shift() as NonNullable<(typeof F.outbox)[number]>) // envelope.open
  assert.is(F.outbox[0]?.effect.type, 'custody.generate-share')
  F.outbox.splice(0)
  const before = F.state.fiduciary
  world.send(P, CUSTODY_MESSAGES.releaseRequest, [F.id], { v: 1, beneficiary: B.id, walletKey: secp256k1PublicKey(generateSecp256k1SecretKey()) }, { thread: order, prev: [order] })
  const req = world.network.pop()
  assert.ok(req !== undefined)
  world.deliver(req)
  world.execute(F, F.outbox.shift() as NonNullable<(typeof F.outbox)[number]>)
  assert.equal(rejections(F).map((r) => r.error), ['OrderNotCommittedError'])
  assert.ok(F.state.fiduciary === before)
  assert.equal(F.outbox, [])
})

test('replays: the same request envelope is deduplicated; a new request after the release is answered with the earlier release, state unchanged', async () => {
  const { world, P, B, F, order } = await published()
  const request = requestRelease(world, P, order)
  world.run()
  const releases = F.facts(CUSTODY_FACTS.release).length
  assert.is(releases, 1)
  // The same envelope again (a network replay): no new entry at all.
  const entries = F.entries.length
  world.deliver({ to: F, envelope: request })
  world.run()
  assert.is(F.entries.length, entries)
  // A second, distinct request by the principal: refused as already released, answered again.
  const fBefore = F.state.fiduciary
  const bBefore = B.state.beneficiary
  world.send(P, CUSTODY_MESSAGES.releaseRequest, [F.id], { v: 1, beneficiary: B.id, walletKey: roleOrder(P.state, 'principal', order.toString())?.wallet?.walletKey as Uint8Array }, { thread: order, prev: [request.cid] })
  world.run()
  const [again] = rejections(F)
  assert.is(again?.error, 'AlreadyReleasedError')
  const fo = getOrder(fBefore.orders, order.toString())
  assert.equal(again?.answer.map(String), [fo?.envelopes[CUSTODY_MESSAGES.release], fo?.envelopes[CUSTODY_MESSAGES.released]].map(String))
  assert.ok(F.state.fiduciary === fBefore, 'the fiduciary slice is the same object')
  assert.ok(B.state.beneficiary === bBefore, 'the re-sent release is a duplicate at the beneficiary')
  assert.is(F.facts(CUSTODY_FACTS.release).length, 1, 'released once')
  assert.equal(rejections(B), [])
})

test.run()
