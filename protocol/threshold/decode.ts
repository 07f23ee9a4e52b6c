// Validation at the boundary of threshold custody messages: `decodeMessage(envelope, body)` turns
// an opened envelope's body into a typed fact, or throws
//   MalformedError           wrong fields, types, lengths, thread or recipients for the type, or
//                            terms that do not hold together (messages.ts checkTerms)
//   UnsupportedVersionError  a `v` this node does not speak
//   InvalidKeyError          a public key or commitment that is not a point of secp256k1
//   InvalidProofError        a beneficiary key whose proof of possession does not verify
// Everything checked here needs only the message and its envelope header. What needs the order's
// record — whether the sender may send it now, a dealing's proof of knowledge or re-shared
// constant term, a wallet key against the epoch — is the judge's (node/services/threshold-judge.ts)
// and the rules' (rules-*.ts).
import { DEALING_PROOF_LENGTH } from '../../crypto/threshold/index.ts'
import {
  BITCOIN_NETWORKS, PROOF_OF_POSSESSION_LENGTH, uncompressPublicKey, verifyProofOfPossession, type BitcoinNetwork
} from '../../crypto/index.ts'
import { asRecord, describeValue, readBytes, readCid, readString, readUint, type CID, type Fields } from '../codec.ts'
import { MalformedError, UnsupportedVersionError } from '../errors.ts'
import type { EnvelopeHeader } from '../envelope.ts'
import {
  CHAIN_CODE_LENGTH, checkFiduciaries, checkTerms, DEALT_CT_LENGTH, ENC_LENGTH, MAX_FIDUCIARIES, MAX_REASON_LENGTH, PUBLIC_KEY_LENGTH,
  RELEASED_CT_LENGTH, SHARE_LENGTH, SIGNATURE_LENGTH, TRANSFER_KEY_LENGTH, type WalletBody
} from './messages.ts'
import {
  COMPLAINT_REASONS, isThresholdMessageType, THRESHOLD_FACTS, THRESHOLD_MESSAGES, THRESHOLD_VERSION,
  type Ack, type ComplaintReason, type PublishedWallet, type EpochTerms, type JudgedComplaint, type MessageFact, type Receiver, type SealedShare, type ThresholdMessageType
} from './types.ts'

/** What the decoder needs of an envelope: its CID and the header fields the flow uses. */
export interface MessageEnvelope {
  readonly cid: CID
  readonly header: Pick<EnvelopeHeader, 'type' | 'sender' | 'recipients' | 'thread' | 'time'>
}

export interface DecodedMessage {
  readonly fact: MessageFact
  /** `threshold/deal`: the sealed shares and the proof of knowledge (never part of a fact). */
  readonly dealt?: { readonly proof: Uint8Array | null, readonly shares: readonly SealedShare[] }
  /** `threshold/release`: the sealed share. */
  readonly sealed?: { readonly enc: Uint8Array, readonly ct: Uint8Array }
  /** `threshold/address`, `threshold/reshare`: the wallet as published, with the beneficiary's proof. */
  readonly wallet?: WalletBody
}

const NETWORK_PATTERN = new RegExp(`^(${BITCOIN_NETWORKS.join('|')})$`)
const ADDRESS_PATTERN = /^[0-9A-Za-z]{14,90}$/
const ETHEREUM_PATTERN = /^0x[0-9a-fA-F]{40}$/
const REASON_PATTERN = /^[^\u0000-\u001f\u007f]*$/u // eslint-disable-line no-control-regex

function fields (body: unknown, what: string, keys: readonly string[]): Fields {
  const r = asRecord(body, what, ['v', ...keys])
  if (r.v !== THRESHOLD_VERSION) throw new UnsupportedVersionError(`${what} version ${describeValue(r.v)} is not supported (this node speaks ${THRESHOLD_VERSION})`)
  return r
}

function key (r: Fields, k: string, what: string): Uint8Array {
  const b = readBytes(r, k, what, PUBLIC_KEY_LENGTH)
  uncompressPublicKey(b) // InvalidKeyError: not on the curve
  return b
}

function list<T> (r: Fields, k: string, what: string, max: number, read: (v: unknown, at: string) => T, min = 0): T[] {
  const v = r[k]
  if (!Array.isArray(v) || v.length > max || v.length < min) throw new MalformedError(`${what}.${k} must be a list of ${min}..${max}`)
  return v.map((x, i) => read(x, `${what}.${k}[${i}]`))
}

/** A 1-based index of a fiduciary. */
function index (v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > MAX_FIDUCIARIES) throw new MalformedError(`${at} must be an index 1..${MAX_FIDUCIARIES}`)
  return v
}

function indexOrNull (r: Fields, k: string, what: string): number | null {
  return r[k] === null ? null : index(r[k], `${what}.${k}`)
}

/** A list of distinct indexes. */
function indexList (r: Fields, k: string, what: string, min = 0): number[] {
  const out = list(r, k, what, MAX_FIDUCIARIES, index, min)
  if (new Set(out).size !== out.length) throw new MalformedError(`${what}.${k} names an index twice`)
  return out
}

function cids (r: Fields, k: string, what: string, min = 0): CID[] {
  return list(r, k, what, MAX_FIDUCIARIES, (v, at) => readCid({ v }, 'v', at), min)
}

function round (r: Fields, what: string): number {
  const n = readUint(r, 'round', what)
  if (n > 0xffffffff) throw new MalformedError(`${what}.round is out of range`)
  return n
}

function network (r: Fields, what: string): BitcoinNetwork {
  return readString(r, 'network', what, NETWORK_PATTERN, 16) as BitcoinNetwork
}

function commitments (r: Fields, k: string, what: string): Uint8Array[] {
  return list(r, k, what, MAX_FIDUCIARIES, (v, at) => key({ v }, 'v', at), 1)
}

function readWallet (v: unknown, what: string): WalletBody {
  const r = asRecord(v, what, ['beneficiaryKey', 'beneficiaryPop', 'groupKey', 'walletKey', 'chainCode', 'p2wpkh', 'p2pkh', 'ethereum'])
  return {
    beneficiaryKey: key(r, 'beneficiaryKey', what),
    beneficiaryPop: readBytes(r, 'beneficiaryPop', what, PROOF_OF_POSSESSION_LENGTH),
    groupKey: key(r, 'groupKey', what),
    walletKey: key(r, 'walletKey', what),
    chainCode: readBytes(r, 'chainCode', what, CHAIN_CODE_LENGTH),
    p2wpkh: readString(r, 'p2wpkh', what, ADDRESS_PATTERN, 90),
    p2pkh: readString(r, 'p2pkh', what, ADDRESS_PATTERN, 90),
    ethereum: readString(r, 'ethereum', what, ETHEREUM_PATTERN, 42)
  }
}

/** The wallet without the beneficiary's proof (checked once, not recorded). */
export function publishedPart (w: WalletBody): PublishedWallet {
  const { beneficiaryPop: _pop, ...rest } = w
  return rest
}

function readEpoch (v: unknown, what: string): EpochTerms {
  const r = asRecord(v, what, ['fiduciaries', 'threshold', 'holders', 'commitments'])
  const e = { fiduciaries: cids(r, 'fiduciaries', what, 1), threshold: readUint(r, 'threshold', what), holders: indexList(r, 'holders', what), commitments: commitments(r, 'commitments', what) }
  if (e.commitments.length !== e.threshold || e.holders.some((h) => h > e.fiduciaries.length)) throw new MalformedError(`${what} does not hold together (commitments per threshold, holders among the fiduciaries)`)
  return e
}

function readComplaint (v: unknown, at: string): JudgedComplaint {
  const r = asRecord(v, at, ['dealer', 'reason', 'deal', 'share', 'signature'])
  const reason = r.reason
  if (typeof reason !== 'string' || !(COMPLAINT_REASONS as readonly string[]).includes(reason)) throw new MalformedError(`${at}.reason is not a valid value`)
  const invalid = reason === 'invalid'
  const deal = r.deal === null ? null : readCid(r, 'deal', at)
  const share = r.share === null ? null : readBytes(r, 'share', at, SHARE_LENGTH)
  const signature = r.signature === null ? null : readBytes(r, 'signature', at, SIGNATURE_LENGTH)
  if (invalid !== (share !== null) || invalid !== (signature !== null) || (invalid && deal === null) || (reason === 'missing' && deal !== null)) {
    throw new MalformedError(`${at}: an 'invalid' complaint carries the deal, the share and its signature; other complaints carry no evidence`)
  }
  return { dealer: index(r.dealer, `${at}.dealer`), reason: reason as ComplaintReason, deal, share, signature, justified: true }
}

/** The header shape each type requires. */
function checkShape (type: ThresholdMessageType, header: MessageEnvelope['header']): void {
  if (type === THRESHOLD_MESSAGES.order) {
    if (header.thread !== null) throw new MalformedError('a threshold/order envelope starts its own thread (thread must be null)')
  } else if (header.thread === null) {
    throw new MalformedError(`a ${type} envelope must name its order as thread`)
  }
  if ((type === THRESHOLD_MESSAGES.release || type === THRESHOLD_MESSAGES.beneficiaryKey || type === THRESHOLD_MESSAGES.accept || type === THRESHOLD_MESSAGES.verdict) && header.recipients.length !== 1) {
    throw new MalformedError(`a ${type} envelope is addressed to one party alone`)
  }
}

/** Validates the body of a threshold envelope (see the file header) and returns the fact it establishes. */
export function decodeMessage (envelope: MessageEnvelope, body: unknown): DecodedMessage {
  const h = envelope.header
  const type = h.type
  if (!isThresholdMessageType(type)) throw new MalformedError(`'${type}' is not a threshold message type`)
  checkShape(type, h)
  const base = { order: h.thread ?? envelope.cid, envelope: envelope.cid, from: h.sender, time: h.time }
  const what = type
  switch (type) {
    case THRESHOLD_MESSAGES.order: {
      const r = fields(body, what, ['beneficiary', 'fiduciaries', 'threshold', 'network', 'phaseMs'])
      const terms = { beneficiary: readCid(r, 'beneficiary', what), fiduciaries: cids(r, 'fiduciaries', what), threshold: readUint(r, 'threshold', what), network: network(r, what), phaseMs: readUint(r, 'phaseMs', what) }
      checkTerms(h.sender, terms, (m) => new MalformedError(m))
      const expected = [...terms.fiduciaries, terms.beneficiary]
      if (expected.length !== h.recipients.length || expected.some((c) => !h.recipients.some((x) => x.equals(c)))) {
        throw new MalformedError('a threshold/order envelope goes to exactly its fiduciaries and beneficiary')
      }
      return { fact: { kind: THRESHOLD_FACTS.order, ...base, ...terms } }
    }
    case THRESHOLD_MESSAGES.refresh:
      return { fact: { kind: THRESHOLD_FACTS.refresh, ...base, round: round(fields(body, what, ['round']), what) } }
    case THRESHOLD_MESSAGES.reshare: {
      const r = fields(body, what, ['round', 'beneficiary', 'network', 'phaseMs', 'wallet', 'previous', 'fiduciaries', 'threshold'])
      const wallet = readWallet(r.wallet, `${what}.wallet`)
      const fact = {
        kind: THRESHOLD_FACTS.reshare,
        ...base,
        round: round(r, what),
        beneficiary: readCid(r, 'beneficiary', what),
        network: network(r, what),
        phaseMs: readUint(r, 'phaseMs', what),
        wallet: publishedPart(wallet),
        previous: readEpoch(r.previous, `${what}.previous`),
        fiduciaries: cids(r, 'fiduciaries', what, 1),
        threshold: readUint(r, 'threshold', what)
      } as const
      checkTerms(h.sender, fact, (m) => new MalformedError(m))
      checkFiduciaries(h.sender, fact.beneficiary, fact.previous.fiduciaries, fact.previous.threshold, (m) => new MalformedError(`${what}.previous: ${m}`))
      if (fact.round < 1) throw new MalformedError('a reshare is round 1 or later')
      return { fact, wallet }
    }
    case THRESHOLD_MESSAGES.accept: {
      const r = fields(body, what, ['round', 'dealer', 'receiver', 'key'])
      const receiver = indexOrNull(r, 'receiver', what)
      const k = r.key === null ? null : readBytes(r, 'key', what, TRANSFER_KEY_LENGTH)
      const dealer = indexOrNull(r, 'dealer', what)
      if ((receiver === null) !== (k === null) || (dealer === null && receiver === null)) throw new MalformedError(`${what}: a receiver sends its transfer key; an accept takes part as dealer, receiver, or both`)
      return { fact: { kind: THRESHOLD_FACTS.accept, ...base, round: round(r, what), dealer, receiver, key: k, handle: null } }
    }
    case THRESHOLD_MESSAGES.start: {
      const r = fields(body, what, ['round', 'dealers', 'receivers'])
      const receivers = list(r, 'receivers', what, MAX_FIDUCIARIES, (v, at): Receiver => {
        const x = asRecord(v, at, ['index', 'key'])
        return { index: index(x.index, `${at}.index`), key: readBytes(x, 'key', at, TRANSFER_KEY_LENGTH) }
      }, 1)
      if (new Set(receivers.map((x) => x.index)).size !== receivers.length) throw new MalformedError(`${what}.receivers names an index twice`)
      return { fact: { kind: THRESHOLD_FACTS.start, ...base, round: round(r, what), dealers: indexList(r, 'dealers', what, 1), receivers, received: h.time } }
    }
    case THRESHOLD_MESSAGES.deal: {
      const r = fields(body, what, ['round', 'dealer', 'commitments', 'proof', 'shares'])
      const shares = list(r, 'shares', what, MAX_FIDUCIARIES, (v, at): SealedShare => {
        const x = asRecord(v, at, ['index', 'enc', 'ct'])
        return { index: index(x.index, `${at}.index`), enc: readBytes(x, 'enc', at, ENC_LENGTH), ct: readBytes(x, 'ct', at, DEALT_CT_LENGTH) }
      }, 1)
      if (new Set(shares.map((x) => x.index)).size !== shares.length) throw new MalformedError(`${what}.shares names a receiver twice`)
      const proof = r.proof === null ? null : readBytes(r, 'proof', what, DEALING_PROOF_LENGTH)
      // A commitment list may be empty only for a refresh with t = 1 (nothing to re-randomise).
      const c = r.commitments
      const list0 = Array.isArray(c) && c.length === 0 ? [] : commitments(r, 'commitments', what)
      return { fact: { kind: THRESHOLD_FACTS.deal, ...base, round: round(r, what), dealer: index(r.dealer, `${what}.dealer`), commitments: list0, judged: null }, dealt: { proof, shares } }
    }
    case THRESHOLD_MESSAGES.verdict: {
      const r = fields(body, what, ['round', 'index', 'acks', 'complaints'])
      const acks = list(r, 'acks', what, MAX_FIDUCIARIES, (v, at): Ack => {
        const x = asRecord(v, at, ['dealer', 'deal'])
        return { dealer: index(x.dealer, `${at}.dealer`), deal: readCid(x, 'deal', at) }
      })
      const complaints = list(r, 'complaints', what, MAX_FIDUCIARIES, readComplaint)
      const named = [...acks.map((a) => a.dealer), ...complaints.map((c) => c.dealer)]
      if (new Set(named).size !== named.length) throw new MalformedError(`${what} names a dealer twice`)
      return { fact: { kind: THRESHOLD_FACTS.verdict, ...base, round: round(r, what), index: index(r.index, `${what}.index`), acks, complaints } }
    }
    case THRESHOLD_MESSAGES.qualified: {
      const r = fields(body, what, ['round', 'qualified', 'deals', 'holders', 'commitments'])
      const qualified = indexList(r, 'qualified', what, 1)
      const deals = cids(r, 'deals', what, 1)
      if (deals.length !== qualified.length) throw new MalformedError(`${what}: one deal envelope per qualified dealer`)
      return { fact: { kind: THRESHOLD_FACTS.qualified, ...base, round: round(r, what), qualified, deals, holders: indexList(r, 'holders', what, 1), commitments: commitments(r, 'commitments', what) } }
    }
    case THRESHOLD_MESSAGES.failed: {
      const r = fields(body, what, ['round', 'reason'])
      return { fact: { kind: THRESHOLD_FACTS.failed, ...base, round: round(r, what), reason: readString(r, 'reason', what, REASON_PATTERN, MAX_REASON_LENGTH) } }
    }
    case THRESHOLD_MESSAGES.held: {
      const r = fields(body, what, ['round', 'index', 'publicShare'])
      return { fact: { kind: THRESHOLD_FACTS.held, ...base, round: round(r, what), index: index(r.index, `${what}.index`), publicShare: key(r, 'publicShare', what) } }
    }
    case THRESHOLD_MESSAGES.beneficiaryKey: {
      const r = fields(body, what, ['publicKey', 'pop'])
      const publicKey = key(r, 'publicKey', what)
      const pop = readBytes(r, 'pop', what, PROOF_OF_POSSESSION_LENGTH)
      verifyProofOfPossession(publicKey, beneficiaryKeyContext(base.order, h.sender), pop)
      return { fact: { kind: THRESHOLD_FACTS.beneficiaryKey, ...base, publicKey, pop, handle: null } }
    }
    case THRESHOLD_MESSAGES.address: {
      const r = fields(body, what, ['beneficiaryKey', 'beneficiaryPop', 'groupKey', 'walletKey', 'chainCode', 'p2wpkh', 'p2pkh', 'ethereum'])
      const { v: _v, ...rest } = r
      const wallet = readWallet(rest, what)
      return { fact: { kind: THRESHOLD_FACTS.address, ...base, ...publishedPart(wallet) }, wallet }
    }
    case THRESHOLD_MESSAGES.releaseRequest: {
      const r = fields(body, what, ['round', 'beneficiary', 'walletKey'])
      return { fact: { kind: THRESHOLD_FACTS.releaseRequest, ...base, round: round(r, what), beneficiary: readCid(r, 'beneficiary', what), walletKey: key(r, 'walletKey', what) } }
    }
    case THRESHOLD_MESSAGES.release: {
      const r = fields(body, what, ['round', 'index', 'enc', 'ct'])
      const beneficiary = h.recipients[0] as CID // checkShape: exactly one recipient
      return {
        fact: { kind: THRESHOLD_FACTS.release, ...base, round: round(r, what), index: index(r.index, `${what}.index`), beneficiary, handle: null },
        sealed: { enc: readBytes(r, 'enc', what, ENC_LENGTH), ct: readBytes(r, 'ct', what, RELEASED_CT_LENGTH) }
      }
    }
    case THRESHOLD_MESSAGES.redeemed: {
      const r = fields(body, what, ['walletKey'])
      return { fact: { kind: THRESHOLD_FACTS.redeemed, ...base, walletKey: key(r, 'walletKey', what) } }
    }
  }
}

/** The proof-of-possession context of the beneficiary's key: the order, the role, the beneficiary. */
export function beneficiaryKeyContext (order: CID, beneficiary: CID): { orderId: string, role: 'beneficiary', party: string } {
  return { orderId: order.toString(), role: 'beneficiary', party: beneficiary.toString() }
}
