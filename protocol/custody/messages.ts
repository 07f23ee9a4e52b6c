// Custody messages: the bodies of the envelopes exchanged by the parties of an order, their
// canonical encoding, and their validation at the boundary (docs/PROTOCOL.md, "Custody flow").
//
// `decodeMessage(meta, body)` turns an opened envelope's body into a typed fact, or throws:
//   MalformedError           wrong fields, lengths, thread/recipient shape for the type
//   UnsupportedVersionError  a `v` this node does not speak
//   InvalidKeyError          a public key that is not a point of secp256k1
//   InvalidProofError        a proof of possession that does not verify for its key, order, role
//                            and party — the rogue-key defence: a key chosen as T − K_other cannot
//                            come with a valid proof
//   KeyMismatchError         a wallet key that is not the sum of the two published keys
//   AddressMismatchError     an address that is not the wallet key's on the order's network
// Everything checked here needs only the message and its envelope header (sender, recipients,
// thread). Whether the sender may send it for this order, at this stage, is rules.ts's question.
//
// Our own messages are built from validated state, so `{ verify: false }` skips the proofs and the
// address derivation when a node records what it sent (the structure is still checked).
import {
  BITCOIN_NETWORKS, combinePublicKeys, concatBytes, equalBytes, PROOF_OF_POSSESSION_LENGTH, uncompressPublicKey,
  verifyProofOfPossession, walletAddresses, type BitcoinNetwork, type CustodyRole
} from '../../crypto/index.ts'
import { asRecord, describeValue, readBytes, readCid, readString, type CID, type Fields } from '../codec.ts'
import { MalformedError, UnsupportedVersionError } from '../errors.ts'
import type { EnvelopeHeader } from '../envelope.ts'
import type { IpldValue } from '../state/types.ts'
import { AddressMismatchError, KeyMismatchError } from './errors.ts'
import {
  CUSTODY_FACTS, CUSTODY_MESSAGES, CUSTODY_VERSION, isCustodyMessageType,
  type AddressBody, type AddressFact, type CustodyMessageType, type KeyBody, type MessageFact, type MessageMeta, type OrderBody, type RedeemedBody,
  type ReleaseBody, type ReleasedBody, type ReleaseRequestBody
} from './types.ts'

export const PUBLIC_KEY_LENGTH = 33
/** HPKE `info` of a released share (the fiduciary's key store seals it to the beneficiary). */
export const RELEASE_INFO = new TextEncoder().encode('milagro/custody/release/v1')
/** X25519 `enc` (32) and AES-256-GCM ciphertext of a 32-byte share (32 + 16). */
export const RELEASE_ENC_LENGTH = 32
export const RELEASE_CT_LENGTH = 48

const NETWORK_PATTERN = new RegExp(`^(${BITCOIN_NETWORKS.join('|')})$`)
const ADDRESS_PATTERN = /^[0-9A-Za-z]{14,90}$/
const ETHEREUM_PATTERN = /^0x[0-9a-fA-F]{40}$/

/**
 * HPKE associated data of a released share: order CID ‖ beneficiary CID ‖ share public key, so a
 * sealed share cannot be presented for another order, to another beneficiary, or as another key.
 */
export function releaseAad (order: CID, beneficiary: CID, publicKey: Uint8Array): Uint8Array {
  return concatBytes(order.bytes, beneficiary.bytes, publicKey)
}

/** The proof-of-possession context of a share: the order, the role it plays, and its holder. */
export function shareContext (order: CID, role: CustodyRole, party: CID): { orderId: string, role: CustodyRole, party: string } {
  return { orderId: order.toString(), role, party: party.toString() }
}

// ---- encoders: typed content → envelope body (every body carries v) ----

export function orderBody (b: OrderBody): IpldValue {
  return { v: CUSTODY_VERSION, beneficiary: b.beneficiary, fiduciary: b.fiduciary, network: b.network }
}

export function keyBody (b: KeyBody): IpldValue {
  return { v: CUSTODY_VERSION, publicKey: b.publicKey, pop: b.pop }
}

export function addressBody (b: AddressBody): IpldValue {
  return {
    v: CUSTODY_VERSION,
    network: b.network,
    beneficiary: b.beneficiary,
    beneficiaryKey: b.beneficiaryKey,
    beneficiaryPop: b.beneficiaryPop,
    fiduciary: b.fiduciary,
    fiduciaryKey: b.fiduciaryKey,
    fiduciaryPop: b.fiduciaryPop,
    walletKey: b.walletKey,
    p2wpkh: b.p2wpkh,
    p2pkh: b.p2pkh,
    ethereum: b.ethereum
  }
}

export function releaseRequestBody (b: ReleaseRequestBody): IpldValue {
  return { v: CUSTODY_VERSION, beneficiary: b.beneficiary, walletKey: b.walletKey }
}

export function releaseBody (b: ReleaseBody): IpldValue {
  return { v: CUSTODY_VERSION, publicKey: b.publicKey, enc: b.enc, ct: b.ct }
}

export function releasedBody (b: ReleasedBody): IpldValue {
  return { v: CUSTODY_VERSION, beneficiary: b.beneficiary, release: b.release }
}

export function redeemedBody (b: RedeemedBody): IpldValue {
  return { v: CUSTODY_VERSION, walletKey: b.walletKey }
}

// ---- decoder ----

export interface DecodeOptions {
  /** Check proofs of possession, the wallet key sum and the addresses (default true). */
  readonly verify?: boolean
  /**
   * The caller's own share in the order (its role and public key): in an address, the proof of
   * possession in that role's slot is not checked again when it names exactly this key — the
   * caller holds its secret. Everything else in the message still is.
   */
  readonly own?: { readonly role: CustodyRole, readonly publicKey: Uint8Array }
}

export interface DecodedMessage {
  readonly fact: MessageFact
  /** The sealed share of a `custody/release` (never part of a fact); absent for other types. */
  readonly sealed?: { readonly enc: Uint8Array, readonly ct: Uint8Array }
}

/** What the decoder needs of an envelope: its CID and the header fields the flow uses. */
export interface MessageEnvelope {
  readonly cid: CID
  readonly header: Pick<EnvelopeHeader, 'type' | 'sender' | 'recipients' | 'thread' | 'time'>
}

/** The envelope fields a fact records; the order is the thread, or the envelope itself for `custody/order`. */
export function messageMeta (envelope: MessageEnvelope): MessageMeta {
  const h = envelope.header
  return { envelope: envelope.cid, from: h.sender, recipients: h.recipients, order: h.thread ?? envelope.cid, time: h.time }
}

/** A compressed public key; with `onCurve`, checked to be a point (InvalidKeyError), else its length only (our own messages). */
function readKey (r: Fields, key: string, what: string, onCurve: boolean): Uint8Array {
  const k = readBytes(r, key, what, PUBLIC_KEY_LENGTH)
  if (onCurve) uncompressPublicKey(k) // InvalidKeyError: not on the curve
  return k
}

function readNetwork (r: Fields, what: string): BitcoinNetwork {
  return readString(r, 'network', what, NETWORK_PATTERN, 16) as BitcoinNetwork
}

function fields (body: unknown, what: string, keys: readonly string[]): Fields {
  const r = asRecord(body, what, ['v', ...keys])
  if (r.v !== CUSTODY_VERSION) throw new UnsupportedVersionError(`${what} version ${describeValue(r.v)} is not supported (this node speaks ${CUSTODY_VERSION})`)
  return r
}

function checkProof (publicKey: Uint8Array, order: CID, role: CustodyRole, party: CID, pop: Uint8Array): void {
  verifyProofOfPossession(publicKey, shareContext(order, role, party), pop)
}

/** The header shape each type requires: `custody/order` opens a thread, every other message belongs to one. */
function checkShape (type: CustodyMessageType, header: MessageEnvelope['header']): void {
  if (type === CUSTODY_MESSAGES.order) {
    if (header.thread !== null) throw new MalformedError('a custody/order envelope starts its own thread (thread must be null)')
  } else if (header.thread === null) {
    throw new MalformedError(`a ${type} envelope must name its order as thread`)
  }
  if (type === CUSTODY_MESSAGES.release && header.recipients.length !== 1) {
    throw new MalformedError('a custody/release envelope is addressed to the beneficiary alone')
  }
}

/** Validates the body of a custody envelope (see the file header) and returns the fact it establishes. */
export function decodeMessage (envelope: MessageEnvelope, body: unknown, options: DecodeOptions = {}): DecodedMessage {
  const type = envelope.header.type
  if (!isCustodyMessageType(type)) throw new MalformedError(`'${type}' is not a custody message type`)
  checkShape(type, envelope.header)
  const meta = messageMeta(envelope)
  const verify = options.verify ?? true
  const base = { order: meta.order, envelope: meta.envelope, from: meta.from, time: meta.time }
  const what = type
  switch (type) {
    case CUSTODY_MESSAGES.order: {
      const r = fields(body, what, ['beneficiary', 'fiduciary', 'network'])
      return { fact: { kind: CUSTODY_FACTS.order, ...base, beneficiary: readCid(r, 'beneficiary', what), fiduciary: readCid(r, 'fiduciary', what), network: readNetwork(r, what) } }
    }
    case CUSTODY_MESSAGES.beneficiaryKey:
    case CUSTODY_MESSAGES.fiduciaryKey: {
      const r = fields(body, what, ['publicKey', 'pop'])
      const publicKey = readKey(r, 'publicKey', what, verify)
      const pop = readBytes(r, 'pop', what, PROOF_OF_POSSESSION_LENGTH)
      const role: CustodyRole = type === CUSTODY_MESSAGES.beneficiaryKey ? 'beneficiary' : 'fiduciary'
      if (verify) checkProof(publicKey, meta.order, role, meta.from, pop)
      const kind = role === 'beneficiary' ? CUSTODY_FACTS.beneficiaryKey : CUSTODY_FACTS.fiduciaryKey
      return { fact: { kind, ...base, publicKey, pop } }
    }
    case CUSTODY_MESSAGES.address:
      return { fact: decodeAddress(body, base, verify, options.own) }
    case CUSTODY_MESSAGES.releaseRequest: {
      const r = fields(body, what, ['beneficiary', 'walletKey'])
      return { fact: { kind: CUSTODY_FACTS.releaseRequest, ...base, beneficiary: readCid(r, 'beneficiary', what), walletKey: readKey(r, 'walletKey', what, verify) } }
    }
    case CUSTODY_MESSAGES.release: {
      const r = fields(body, what, ['publicKey', 'enc', 'ct'])
      const publicKey = readKey(r, 'publicKey', what, verify)
      const sealed = { enc: readBytes(r, 'enc', what, RELEASE_ENC_LENGTH), ct: readBytes(r, 'ct', what, RELEASE_CT_LENGTH) }
      const beneficiary = meta.recipients[0] as CID // checkShape: exactly one recipient
      return { fact: { kind: CUSTODY_FACTS.release, ...base, beneficiary, publicKey, imported: null }, sealed }
    }
    case CUSTODY_MESSAGES.released: {
      const r = fields(body, what, ['beneficiary', 'release'])
      return { fact: { kind: CUSTODY_FACTS.released, ...base, beneficiary: readCid(r, 'beneficiary', what), release: readCid(r, 'release', what) } }
    }
    case CUSTODY_MESSAGES.redeemed: {
      const r = fields(body, what, ['walletKey'])
      return { fact: { kind: CUSTODY_FACTS.redeemed, ...base, walletKey: readKey(r, 'walletKey', what, verify) } }
    }
  }
}

function decodeAddress (body: unknown, base: Pick<AddressFact, 'order' | 'envelope' | 'from' | 'time'>, verify: boolean, own: DecodeOptions['own']): AddressFact {
  const what = CUSTODY_MESSAGES.address
  const r = fields(body, what, ['network', 'beneficiary', 'beneficiaryKey', 'beneficiaryPop', 'fiduciary', 'fiduciaryKey', 'fiduciaryPop', 'walletKey', 'p2wpkh', 'p2pkh', 'ethereum'])
  const network = readNetwork(r, what)
  const beneficiary = readCid(r, 'beneficiary', what)
  const fiduciary = readCid(r, 'fiduciary', what)
  const beneficiaryKey = readKey(r, 'beneficiaryKey', what, verify)
  const fiduciaryKey = readKey(r, 'fiduciaryKey', what, verify)
  const beneficiaryPop = readBytes(r, 'beneficiaryPop', what, PROOF_OF_POSSESSION_LENGTH)
  const fiduciaryPop = readBytes(r, 'fiduciaryPop', what, PROOF_OF_POSSESSION_LENGTH)
  // Checked below by comparison with the sum of the two keys (a valid point): decompressing it as
  // well only matters when it differs, to tell an invalid key from a wrong one.
  const walletKey = readKey(r, 'walletKey', what, false)
  const p2wpkh = readString(r, 'p2wpkh', what, ADDRESS_PATTERN, 90)
  const p2pkh = readString(r, 'p2pkh', what, ADDRESS_PATTERN, 90)
  const ethereum = readString(r, 'ethereum', what, ETHEREUM_PATTERN, 42)
  if (verify) {
    const mine = (role: CustodyRole, key: Uint8Array): boolean => own !== undefined && own.role === role && equalBytes(key, own.publicKey)
    if (!mine('beneficiary', beneficiaryKey)) checkProof(beneficiaryKey, base.order, 'beneficiary', beneficiary, beneficiaryPop)
    if (!mine('fiduciary', fiduciaryKey)) checkProof(fiduciaryKey, base.order, 'fiduciary', fiduciary, fiduciaryPop)
    if (!equalBytes(combinePublicKeys(beneficiaryKey, fiduciaryKey), walletKey)) {
      uncompressPublicKey(walletKey) // InvalidKeyError: not on the curve
      throw new KeyMismatchError('the wallet key is not the sum of the beneficiary and fiduciary keys')
    }
    const expected = walletAddresses(walletKey, network)
    if (expected.p2wpkh !== p2wpkh || expected.p2pkh !== p2pkh || expected.ethereum !== ethereum) {
      throw new AddressMismatchError(`the published addresses are not those of the wallet key on ${network}`)
    }
  }
  return { kind: CUSTODY_FACTS.address, ...base, network, beneficiary, beneficiaryKey, fiduciary, fiduciaryKey, walletKey, p2wpkh, p2pkh, ethereum }
}
