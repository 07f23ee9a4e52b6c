// Threshold custody facts as log entries: `threshold.*` kinds whose body is the fact's fields plus
// `v` (docs/PROTOCOL.md, "Threshold custody", "Facts").
//
// `factEntry` turns a typed fact into the kind and body the node appends; `readFact` reads it back
// for the reducer. Facts are written only by this node's threshold service from validated values,
// and the log verifies every entry's hash and signature, so `readFact` checks shape (fields,
// lengths, handles) but repeats no cryptography. An entry that does not parse is not a threshold
// fact: the reducer leaves the state as it is (a reducer must never throw on replay).
// No fact has a field for a share of a qualified dealing, a combined share or a key: only
// commitments, public keys, CIDs and key-store handles — and a complaint's evidence, a share of a
// dealing that the complaint excludes.
import { CID } from 'multiformats/cid'
import { BITCOIN_NETWORKS, PROOF_OF_POSSESSION_LENGTH, type BitcoinNetwork } from '../../crypto/index.ts'
import { Shape, type Body, readVersionedFact, handle, handleOrNull, cid, cidOrNull, bytes, str, uint, factBody } from '../state/fact-fields.ts'
import type { IpldValue, LogEntry } from '../state/types.ts'
import { MAX_FIDUCIARIES } from './messages.ts'
import {
  COMPLAINT_REASONS, PHASES, THRESHOLD_FACTS, THRESHOLD_VERSION,
  type Complaint, type ComplaintReason, type EpochTerms, type JudgedComplaint, type Phase, type PublishedWallet, type ThresholdFact, type ThresholdFactKind
} from './types.ts'

export interface FactDraft {
  readonly kind: ThresholdFactKind
  readonly body: IpldValue
}

const KINDS = new Set<string>(Object.values(THRESHOLD_FACTS))

export function isThresholdFactKind (kind: string): kind is ThresholdFactKind {
  return KINDS.has(kind)
}

/** The entry (kind and body) recording `fact`. */
export function factEntry (fact: ThresholdFact): FactDraft {
  const { kind, ...rest } = fact
  return { kind, body: factBody(THRESHOLD_VERSION, rest) }
}



function list<T> (b: Body, k: string, read: (v: unknown) => T, max = MAX_FIDUCIARIES): T[] {
  const v = b[k]
  if (!Array.isArray(v) || v.length > max) throw new Shape(k)
  return v.map(read)
}

function record (v: unknown, k: string): Body {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || CID.asCID(v) !== null) throw new Shape(k)
  return v as Body
}

const key = (v: unknown): Uint8Array => bytes({ v }, 'v', 33)
const idx = (v: unknown): number => {
  const n = uint({ v }, 'v')
  if (n < 1 || n > MAX_FIDUCIARIES) throw new Shape('index')
  return n
}
const anyCid = (v: unknown): CID => cid({ v }, 'v')

function indexOrNull (b: Body, k: string): number | null {
  return b[k] === null ? null : idx(b[k])
}

function network (b: Body): BitcoinNetwork {
  const v = str(b, 'network')
  if (!(BITCOIN_NETWORKS as readonly string[]).includes(v)) throw new Shape('network')
  return v as BitcoinNetwork
}

function phase (b: Body): Phase {
  const v = str(b, 'phase')
  if (!(PHASES as readonly string[]).includes(v)) throw new Shape('phase')
  return v as Phase
}

function base (b: Body): { order: CID, envelope: CID, from: CID, time: number } {
  return { order: cid(b, 'order'), envelope: cid(b, 'envelope'), from: cid(b, 'from'), time: uint(b, 'time') }
}

function plainComplaint (c: Body): Complaint {
  const reason = str(c, 'reason')
  if (!(COMPLAINT_REASONS as readonly string[]).includes(reason)) throw new Shape('reason')
  return {
    dealer: idx(c.dealer),
    reason: reason as ComplaintReason,
    deal: cidOrNull(c, 'deal'),
    share: c.share === null ? null : bytes(c, 'share', 32),
    signature: c.signature === null ? null : bytes(c, 'signature', 64)
  }
}

function complaint (v: unknown): JudgedComplaint {
  const c = record(v, 'complaint')
  const justified = c.justified
  if (typeof justified !== 'boolean') throw new Shape('justified')
  return { ...plainComplaint(c), justified }
}

function judged (v: unknown): Complaint | 'ok' | null {
  if (v === null || v === 'ok') return v
  return plainComplaint(record(v, 'judged'))
}

function wallet (b: Body): PublishedWallet {
  return {
    beneficiaryKey: bytes(b, 'beneficiaryKey', 33),
    groupKey: bytes(b, 'groupKey', 33),
    walletKey: bytes(b, 'walletKey', 33),
    chainCode: bytes(b, 'chainCode', 32),
    p2wpkh: str(b, 'p2wpkh'),
    p2pkh: str(b, 'p2pkh'),
    ethereum: str(b, 'ethereum')
  }
}

function epoch (v: unknown): EpochTerms {
  const e = record(v, 'previous')
  return { fiduciaries: list(e, 'fiduciaries', anyCid), threshold: uint(e, 'threshold'), holders: list(e, 'holders', idx), commitments: list(e, 'commitments', key) }
}

function decode (kind: ThresholdFactKind, b: Body): ThresholdFact {
  switch (kind) {
    case THRESHOLD_FACTS.order:
      return { kind, ...base(b), beneficiary: cid(b, 'beneficiary'), fiduciaries: list(b, 'fiduciaries', anyCid), threshold: uint(b, 'threshold'), network: network(b), phaseMs: uint(b, 'phaseMs') }
    case THRESHOLD_FACTS.refresh:
      return { kind, ...base(b), round: uint(b, 'round') }
    case THRESHOLD_FACTS.reshare:
      return {
        kind,
        ...base(b),
        round: uint(b, 'round'),
        beneficiary: cid(b, 'beneficiary'),
        network: network(b),
        phaseMs: uint(b, 'phaseMs'),
        wallet: wallet(record(b.wallet, 'wallet')),
        previous: epoch(b.previous),
        fiduciaries: list(b, 'fiduciaries', anyCid),
        threshold: uint(b, 'threshold')
      }
    case THRESHOLD_FACTS.accept:
      return {
        kind,
        ...base(b),
        round: uint(b, 'round'),
        dealer: indexOrNull(b, 'dealer'),
        receiver: indexOrNull(b, 'receiver'),
        key: b.key === null ? null : bytes(b, 'key', 32),
        handle: handleOrNull(b, 'handle')
      }
    case THRESHOLD_FACTS.start:
      return {
        kind,
        ...base(b),
        round: uint(b, 'round'),
        dealers: list(b, 'dealers', idx),
        receivers: list(b, 'receivers', (v) => { const r = record(v, 'receiver'); return { index: idx(r.index), key: bytes(r, 'key', 32) } }),
        received: uint(b, 'received')
      }
    case THRESHOLD_FACTS.deal:
      return { kind, ...base(b), round: uint(b, 'round'), dealer: idx(b.dealer), commitments: list(b, 'commitments', key), judged: judged(b.judged) }
    case THRESHOLD_FACTS.verdict:
      return {
        kind,
        ...base(b),
        round: uint(b, 'round'),
        index: idx(b.index),
        acks: list(b, 'acks', (v) => { const a = record(v, 'ack'); return { dealer: idx(a.dealer), deal: cid(a, 'deal') } }),
        complaints: list(b, 'complaints', complaint)
      }
    case THRESHOLD_FACTS.qualified:
      return {
        kind,
        ...base(b),
        round: uint(b, 'round'),
        qualified: list(b, 'qualified', idx),
        deals: list(b, 'deals', anyCid),
        holders: list(b, 'holders', idx),
        commitments: list(b, 'commitments', key)
      }
    case THRESHOLD_FACTS.failed:
      return { kind, ...base(b), round: uint(b, 'round'), reason: str(b, 'reason') }
    case THRESHOLD_FACTS.held:
      return { kind, ...base(b), round: uint(b, 'round'), index: idx(b.index), publicShare: bytes(b, 'publicShare', 33) }
    case THRESHOLD_FACTS.beneficiaryKey:
      return { kind, ...base(b), publicKey: bytes(b, 'publicKey', 33), pop: bytes(b, 'pop', PROOF_OF_POSSESSION_LENGTH), handle: handleOrNull(b, 'handle') }
    case THRESHOLD_FACTS.address:
      return { kind, ...base(b), ...wallet(b) }
    case THRESHOLD_FACTS.releaseRequest:
      return { kind, ...base(b), round: uint(b, 'round'), beneficiary: cid(b, 'beneficiary'), walletKey: bytes(b, 'walletKey', 33) }
    case THRESHOLD_FACTS.release:
      return { kind, ...base(b), round: uint(b, 'round'), index: idx(b.index), beneficiary: cid(b, 'beneficiary'), handle: handleOrNull(b, 'handle') }
    case THRESHOLD_FACTS.redeemed:
      return { kind, ...base(b), walletKey: bytes(b, 'walletKey', 33) }
    case THRESHOLD_FACTS.share:
      return { kind, order: cid(b, 'order'), round: uint(b, 'round'), index: idx(b.index), handle: handle(b, 'handle'), publicShare: bytes(b, 'publicShare', 33), time: uint(b, 'time') }
    case THRESHOLD_FACTS.timeout:
      return { kind, order: cid(b, 'order'), round: uint(b, 'round'), phase: phase(b), time: uint(b, 'time') }
    case THRESHOLD_FACTS.combined:
      return { kind, order: cid(b, 'order'), handle: handle(b, 'handle'), combined: list(b, 'combined', idx), time: uint(b, 'time') }
    case THRESHOLD_FACTS.rejected:
      return {
        kind,
        envelope: cid(b, 'envelope'),
        from: cid(b, 'from'),
        type: str(b, 'type'),
        order: cidOrNull(b, 'order'),
        error: str(b, 'error'),
        message: str(b, 'message'),
        answer: list(b, 'answer', anyCid)
      }
  }
}

/** The threshold fact an entry records, or undefined if the entry is not a (well-formed) threshold fact. */
export function readFact (entry: Pick<LogEntry, 'kind' | 'body'>): ThresholdFact | undefined {
  return readVersionedFact(entry, isThresholdFactKind, THRESHOLD_VERSION, decode)
}

/** The `threshold.rejected` fact for a received envelope this node refused (`error` is a typed error). */
export function rejectedFact (
  envelope: { readonly cid: CID, readonly header: { readonly sender: CID, readonly type: string, readonly thread: CID | null } },
  error: Error,
  answer: readonly CID[] = []
): ThresholdFact {
  const isOrder = envelope.header.type === 'threshold/order'
  return {
    kind: THRESHOLD_FACTS.rejected,
    envelope: envelope.cid,
    from: envelope.header.sender,
    type: envelope.header.type.slice(0, 64),
    order: envelope.header.thread ?? (isOrder ? envelope.cid : null),
    error: error.name,
    message: error.message.slice(0, 512),
    answer
  }
}
