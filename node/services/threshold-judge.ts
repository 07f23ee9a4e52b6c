// What a node makes of a threshold envelope addressed to it: the fact to record. The message is
// validated at the boundary (protocol/threshold/decode.ts), judged by the same rules the reducer
// applies (checkFact), and checked against the order's record where that needs curve arithmetic:
//   threshold/deal       the proof of knowledge of the constant term (DKG), the re-shared constant
//                        term against the old holder's public share (reshare) — InvalidDealingError
//                        otherwise; at a receiver, its own share opened with the round's transfer
//                        key and checked (signature, commitments): 'ok' or a complaint
//   threshold/verdict    at the principal: each `invalid` complaint's evidence checked (justified,
//                        or shown false)
//   threshold/qualified  the new epoch's commitments recomputed from the qualified dealings this
//                        node holds (all of them at a holder and the beneficiary), the group key
//                        unchanged by a refresh or reshare — KeyMismatchError otherwise
//   threshold/held       the public share against the epoch's commitments
//   threshold/address, threshold/reshare (to a new fiduciary)
//                        the beneficiary's proof of possession, W = B + Y, the addresses, the
//                        chain code
//   threshold/release    at the beneficiary: opened, checked against the holder's public share
//                        (InvalidShareError, naming the fiduciary), imported
// Anything refused becomes a `threshold.rejected` fact naming the typed error; the order's record
// stays as it was. A message that came early (PrematureMessageError, UnknownOrderError) is thrown
// for the service to park and judge again. Errors that are not the sender's fault (key store,
// storage) are thrown, not recorded: the effect stays in the outbox and is tried again.
import type { CID } from 'multiformats/cid'
import {
  combinePublicKeys, equalBytes, verifyProofOfPossession, walletAddresses, type KeyStore
} from '../../crypto/index.ts'
import {
  combineCommitments, dealingContext, evaluateCommitments, verifyDealing, verifyReshareDealing, walletChainCode
} from '../../crypto/threshold/index.ts'
import type { DecodedEnvelope } from '../../protocol/envelope.ts'
import { beneficiaryKeyContext, decodeMessage, type DecodedMessage } from '../../protocol/threshold/decode.ts'
import { AddressMismatchError, InvalidDealingError, KeyMismatchError, PrematureMessageError } from '../../protocol/threshold/errors.ts'
import { rejectedFact } from '../../protocol/threshold/facts.ts'
import { chainCodeContext, dealingProofContext, type WalletBody } from '../../protocol/threshold/messages.ts'
import { orderOf, checkFact } from '../../protocol/threshold/reduce.ts'
import type { Epoch, OrderRecord, RoundRecord, ThresholdState } from '../../protocol/threshold/state.ts'
import { THRESHOLD_FACTS, type DealFact, type QualifiedFact, type ThresholdFact, type VerdictFact } from '../../protocol/threshold/types.ts'
import type { ThresholdNode } from './threshold-port.ts'
import { complaintHolds, judgeShare, keepReleased } from './threshold-keys.ts'

export interface JudgeComponents {
  readonly node: ThresholdNode
  readonly keystore: KeyStore
  readonly state: () => ThresholdState
  readonly now: () => number
}

type Options = { signal?: AbortSignal }

const REFUSALS = new Set([
  'MalformedError', 'UnsupportedVersionError', 'DecryptionError', 'InvalidKeyError', 'InvalidProofError', 'ThresholdEncodingError', 'ThresholdParameterError', 'ThresholdDegenerateError',
  'UnknownOrderError', 'UnauthorizedSenderError', 'WrongBeneficiaryError', 'OrderStateError', 'DuplicateMessageError', 'AlreadyReleasedError',
  'KeyMismatchError', 'AddressMismatchError', 'TermsMismatchError', 'InvalidDealingError', 'InvalidShareError'
])

/** Whether `err` means "this message is refused" (recorded as `threshold.rejected`) rather than "this node failed". */
export function isRefusal (err: unknown): err is Error {
  return err instanceof Error && REFUSALS.has(err.name)
}

/** Errors that mean "judge this again when the order moves" (the service parks the envelope). */
export function isEarly (err: unknown): boolean {
  return err instanceof Error && (err.name === 'PrematureMessageError' || err.name === 'UnknownOrderError')
}

/** The fact this node records for `envelope` (addressed to it) with opened `body`; `final`: an early message is refused rather than thrown for parking. */
export async function judge (c: JudgeComponents, envelope: DecodedEnvelope, body: unknown, options: Options & { final?: boolean } = {}): Promise<ThresholdFact> {
  const self = c.node.identity.cid
  try {
    const decoded = decodeMessage(envelope, body)
    let fact = decoded.fact
    if (fact.kind === THRESHOLD_FACTS.start) fact = { ...fact, received: c.now() }
    const refusal = checkFact(c.state(), fact, self, { beforeImport: true })
    if (refusal !== null) throw refusal
    return await check(c, fact, decoded, options)
  } catch (err) {
    if (isEarly(err) && options.final !== true) throw err
    if (!isRefusal(err) && !isEarly(err)) throw err
    const answer = (err as Error).name === 'AlreadyReleasedError' && envelope.header.thread !== null ? await answerAgain(c, envelope.header.thread) : []
    return rejectedFact(envelope, err as Error, answer)
  }
}

async function check (c: JudgeComponents, fact: ThresholdFact, decoded: DecodedMessage, options: Options): Promise<ThresholdFact> {
  const self = c.node.identity.cid
  const o = 'order' in fact && fact.order !== null ? orderOf(c.state(), fact.order) : undefined
  switch (fact.kind) {
    case THRESHOLD_FACTS.deal:
      return await checkDeal(c, o as OrderRecord, fact, decoded, options)
    case THRESHOLD_FACTS.verdict:
      return await checkVerdict(c, o as OrderRecord, fact, options)
    case THRESHOLD_FACTS.qualified:
      checkQualified(o as OrderRecord, fact)
      return fact
    case THRESHOLD_FACTS.held: {
      const e = (o as OrderRecord).epoch as Epoch
      if (!equalBytes(evaluateCommitments(e.commitments, fact.index), fact.publicShare)) throw new KeyMismatchError(`holder ${fact.index} confirmed a share whose public key is not its public share in the epoch`)
      return fact
    }
    case THRESHOLD_FACTS.address: {
      const r = o as OrderRecord
      const e = r.epoch as Epoch
      checkWallet(r.id, r.beneficiary, r.network, e.commitments[0] as Uint8Array, decoded.wallet as WalletBody)
      if (r.isBeneficiary && (r.beneficiaryKey === null || !equalBytes(r.beneficiaryKey.publicKey, fact.beneficiaryKey))) {
        throw new KeyMismatchError('the published beneficiary key is not this beneficiary\'s key')
      }
      return fact
    }
    case THRESHOLD_FACTS.reshare:
      if (o === undefined) checkWallet(fact.order, fact.beneficiary, fact.network, fact.previous.commitments[0] as Uint8Array, decoded.wallet as WalletBody)
      return fact
    case THRESHOLD_FACTS.release: {
      const r = o as OrderRecord
      const e = r.epoch as Epoch
      const sealed = decoded.sealed
      if (sealed === undefined) throw new Error('a decoded release carries its sealed share')
      const handle = await keepReleased(c.keystore, c.node.encryptionSecretKey, r.id, self, fact.round, fact.index, e.commitments, fact.from, sealed, options)
      return { ...fact, handle }
    }
    default:
      return fact
  }
}

/** PoP of the beneficiary's key, W = B + Y, addresses and chain code of W. */
function checkWallet (order: CID, beneficiary: CID, network: OrderRecord['network'], groupKey: Uint8Array, w: WalletBody): void {
  verifyProofOfPossession(w.beneficiaryKey, beneficiaryKeyContext(order, beneficiary), w.beneficiaryPop)
  if (!equalBytes(w.groupKey, groupKey)) throw new KeyMismatchError('the published group key is not the epoch\'s')
  if (!equalBytes(combinePublicKeys(w.beneficiaryKey, w.groupKey), w.walletKey)) throw new KeyMismatchError('the wallet key is not the sum of the beneficiary key and the group key')
  const expected = walletAddresses(w.walletKey, network)
  if (expected.p2wpkh !== w.p2wpkh || expected.p2pkh !== w.p2pkh || expected.ethereum !== w.ethereum) {
    throw new AddressMismatchError(`the published addresses are not those of the wallet key on ${network}`)
  }
  if (!equalBytes(walletChainCode(chainCodeContext(order), w.walletKey), w.chainCode)) throw new KeyMismatchError('the published chain code is not the wallet key\'s')
}

function dealerIdentity (r: RoundRecord, dealer: number): CID {
  const list = r.kind === 'dkg' ? r.fiduciaries : (r.previous?.fiduciaries ?? [])
  return list[dealer - 1] as CID
}

async function checkDeal (c: JudgeComponents, o: OrderRecord, fact: DealFact, decoded: DecodedMessage, options: Options): Promise<DealFact> {
  const r = o.round
  const dealt = decoded.dealt
  if (dealt === undefined) throw new Error('a decoded dealing carries its sealed shares')
  if (r.kind === 'dkg') {
    const context = dealingContext(dealingProofContext(o.id, r.round, fact.dealer, fact.from))
    if (dealt.proof === null || !verifyDealing(fact.commitments, dealt.proof, context)) throw new InvalidDealingError(`dealer ${fact.dealer} of order ${o.id.toString()} gave no valid proof of knowledge of its constant term`)
  } else if (r.kind === 'reshare') {
    const previous = r.previous as Epoch
    const old = evaluateCommitments(previous.commitments, fact.dealer)
    if (!verifyReshareDealing(fact.commitments, old, fact.dealer, r.dealers)) throw new InvalidDealingError(`dealer ${fact.dealer} of order ${o.id.toString()} does not re-share its share of the epoch`)
  }
  const m = r.mine
  const receiver = m?.receiver ?? null
  if (m === null || receiver === null || !r.receivers.some((x) => x.index === receiver)) return fact
  if (m.transferKey === null) throw new Error(`receiver ${receiver} of order ${o.id.toString()} has no transfer key`)
  const dealerDoc = await c.node.resolve(fact.from, options)
  const judged = await judgeShare(c.keystore, m.transferKey, o, r, fact.dealer, dealerDoc.doc.signingKey, fact.envelope, fact.commitments, dealt.shares.find((s) => s.index === receiver), receiver, options)
  return { ...fact, judged }
}

async function checkVerdict (c: JudgeComponents, o: OrderRecord, fact: VerdictFact, options: Options): Promise<VerdictFact> {
  const r = o.round
  const complaints = []
  for (const k of fact.complaints) {
    if (k.reason !== 'invalid') { complaints.push({ ...k, justified: true }); continue }
    const held = r.deals.find((d) => d.dealer === k.dealer)
    // A complaint about a dealing the principal does not hold (none, or another one: equivocation) cannot be checked here: the receiver is believed.
    if (held === undefined || k.deal === null || !held.envelope.equals(k.deal)) { complaints.push({ ...k, justified: true }); continue }
    const dealerDoc = await c.node.resolve(dealerIdentity(r, k.dealer), options)
    complaints.push({ ...k, justified: complaintHolds(r.kind, o.id, r.round, fact.index, k, dealerDoc.doc.signingKey, held.commitments) })
  }
  return { ...fact, complaints }
}

/** The announced epoch must be what the qualified dealings this node holds make; a refresh or reshare keeps the group key. */
function checkQualified (o: OrderRecord, fact: QualifiedFact): void {
  const r = o.round
  const lists: Uint8Array[][] = []
  for (let k = 0; k < fact.qualified.length; k++) {
    const d = r.deals.find((x) => x.dealer === fact.qualified[k])
    if (d === undefined || !d.envelope.equals(fact.deals[k] as CID)) {
      const holder = r.mine?.receiver != null && fact.holders.includes(r.mine.receiver)
      // A holder and the beneficiary must see every qualified dealing before they take the epoch.
      if (holder || o.isBeneficiary) throw new PrematureMessageError(`the outcome of round ${r.round} of order ${o.id.toString()} names a dealing this node does not hold (yet)`)
      return
    }
    lists.push([...d.commitments])
  }
  const previous = r.previous
  const expected = r.kind === 'refresh' && previous !== null ? combineCommitments([previous.commitments], lists) : combineCommitments(lists)
  if (expected.length !== fact.commitments.length || expected.some((x, k) => !equalBytes(x, fact.commitments[k] as Uint8Array))) {
    throw new KeyMismatchError(`the commitments announced for round ${r.round} of order ${o.id.toString()} are not those of its qualified dealings`)
  }
  if (previous !== null && !equalBytes(previous.commitments[0] as Uint8Array, fact.commitments[0] as Uint8Array)) {
    throw new KeyMismatchError(`round ${r.round} of order ${o.id.toString()} would change the group key`)
  }
}

/** Queues the earlier release again; returns its CID. */
async function answerAgain (c: JudgeComponents, id: CID): Promise<CID[]> {
  const released = orderOf(c.state(), id)?.released
  if (released == null) return []
  await c.node.requeue(released)
  return [released]
}
