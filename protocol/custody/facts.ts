// Custody facts as log entries: `custody.*` kinds whose body is the fact's fields plus `v`
// (docs/PROTOCOL.md, "Custody flow", "Log entries of the flow").
//
// `factEntry` turns a typed fact into the kind and body the node appends; `readFact` reads it back
// for the reducers. Facts are written only by this node's custody service, from validated values,
// and the log verifies every entry's hash and signature, so `readFact` checks shape (fields,
// lengths, handles) but repeats no cryptography. An entry that does not parse is not a custody
// fact: the reducers leave the state as it is (a reducer must never throw on replay).
import type { CID } from 'multiformats/cid'
import { CUSTODY_ROLES, PROOF_OF_POSSESSION_LENGTH, BITCOIN_NETWORKS, type BitcoinNetwork, type CustodyRole } from '../../crypto/index.ts'
import type { IpldValue, LogEntry } from '../state/types.ts'
import {
  CUSTODY_FACTS, CUSTODY_VERSION, type CustodyFact, type CustodyFactKind, type ImportedShares
} from './types.ts'
import { Shape, type Body, readVersionedFact, handle, cid, cidOrNull, bytes, str, uint, factBody } from '../state/fact-fields.ts'

export interface FactDraft {
  readonly kind: CustodyFactKind
  readonly body: IpldValue
}

const KINDS = new Set<string>(Object.values(CUSTODY_FACTS))

export function isCustodyFactKind (kind: string): kind is CustodyFactKind {
  return KINDS.has(kind)
}

/** The entry (kind and body) recording `fact`. */
export function factEntry (fact: CustodyFact): FactDraft {
  const { kind, ...fields } = fact
  return { kind, body: factBody(CUSTODY_VERSION, fields) }
}



function network (b: Body): BitcoinNetwork {
  const v = str(b, 'network')
  if (!(BITCOIN_NETWORKS as readonly string[]).includes(v)) throw new Shape('network')
  return v as BitcoinNetwork
}

function role (b: Body): CustodyRole {
  const v = str(b, 'role')
  if (!(CUSTODY_ROLES as readonly string[]).includes(v)) throw new Shape('role')
  return v as CustodyRole
}

function imported (b: Body): ImportedShares | null {
  const v = b.imported
  if (v === null) return null
  if (typeof v !== 'object' || v === undefined) throw new Shape('imported')
  const i = v as Body
  return i.share === undefined ? { wallet: handle(i, 'wallet') } : { share: handle(i, 'share'), wallet: handle(i, 'wallet') }
}

function base (b: Body): { order: CID, envelope: CID, from: CID, time: number } {
  return { order: cid(b, 'order'), envelope: cid(b, 'envelope'), from: cid(b, 'from'), time: uint(b, 'time') }
}

function decode (kind: CustodyFactKind, b: Body): CustodyFact {
  switch (kind) {
    case CUSTODY_FACTS.order:
      return { kind, ...base(b), beneficiary: cid(b, 'beneficiary'), fiduciary: cid(b, 'fiduciary'), network: network(b) }
    case CUSTODY_FACTS.beneficiaryKey:
    case CUSTODY_FACTS.fiduciaryKey:
      return { kind, ...base(b), publicKey: bytes(b, 'publicKey', 33), pop: bytes(b, 'pop', PROOF_OF_POSSESSION_LENGTH) }
    case CUSTODY_FACTS.address:
      return {
        kind,
        ...base(b),
        network: network(b),
        beneficiary: cid(b, 'beneficiary'),
        beneficiaryKey: bytes(b, 'beneficiaryKey', 33),
        fiduciary: cid(b, 'fiduciary'),
        fiduciaryKey: bytes(b, 'fiduciaryKey', 33),
        walletKey: bytes(b, 'walletKey', 33),
        p2wpkh: str(b, 'p2wpkh'),
        p2pkh: str(b, 'p2pkh'),
        ethereum: str(b, 'ethereum')
      }
    case CUSTODY_FACTS.releaseRequest:
      return { kind, ...base(b), beneficiary: cid(b, 'beneficiary'), walletKey: bytes(b, 'walletKey', 33) }
    case CUSTODY_FACTS.release:
      return { kind, ...base(b), beneficiary: cid(b, 'beneficiary'), publicKey: bytes(b, 'publicKey', 33), imported: imported(b) }
    case CUSTODY_FACTS.released:
      return { kind, ...base(b), beneficiary: cid(b, 'beneficiary'), release: cid(b, 'release') }
    case CUSTODY_FACTS.redeemed:
      return { kind, ...base(b), walletKey: bytes(b, 'walletKey', 33) }
    case CUSTODY_FACTS.share:
      return { kind, order: cid(b, 'order'), role: role(b), handle: handle(b, 'handle'), publicKey: bytes(b, 'publicKey', 33), pop: bytes(b, 'pop', PROOF_OF_POSSESSION_LENGTH) }
    case CUSTODY_FACTS.rejected: {
      const answer = b.answer
      if (!Array.isArray(answer)) throw new Shape('answer')
      return {
        kind,
        envelope: cid(b, 'envelope'),
        from: cid(b, 'from'),
        type: str(b, 'type'),
        order: cidOrNull(b, 'order'),
        error: str(b, 'error'),
        message: str(b, 'message'),
        answer: answer.map((a, i) => cid({ [i]: a }, String(i)))
      }
    }
  }
}

/** The custody fact an entry records, or undefined if the entry is not a (well-formed) custody fact. */
export function readFact (entry: Pick<LogEntry, 'kind' | 'body'>): CustodyFact | undefined {
  return readVersionedFact(entry, isCustodyFactKind, CUSTODY_VERSION, decode)
}

/** The `custody.rejected` fact for a received envelope this node refused (`error` is a typed error). */
export function rejectedFact (
  envelope: { readonly cid: CID, readonly header: { readonly sender: CID, readonly type: string, readonly thread: CID | null } },
  error: Error,
  answer: readonly CID[] = []
): CustodyFact {
  const isOrder = envelope.header.type === 'custody/order'
  return {
    kind: CUSTODY_FACTS.rejected,
    envelope: envelope.cid,
    from: envelope.header.sender,
    type: envelope.header.type,
    order: envelope.header.thread ?? (isOrder ? envelope.cid : null),
    error: error.name,
    message: error.message.slice(0, 512),
    answer
  }
}
