// Safeguard facts as log entries: `safeguard.*` kinds whose body is the fact's fields plus `v`
// (docs/PROTOCOL.md, "Safeguard and backup", "Log entries").
//
// `factEntry` turns a typed fact into the kind and body the node appends; `readFact` reads it back
// for the reducer. Facts are written only by this node's safeguard service from validated values,
// and the log verifies every entry's hash and signature, so `readFact` checks shape (fields,
// lengths, handles) but repeats no validation of the terms. An entry that does not parse is not a
// safeguard fact: the reducer leaves the state as it is (a reducer must never throw on replay).
// No fact has a field for a secret or a share: only commitments, public keys and key-store handles.
import type { CID } from 'multiformats/cid'
import type { IpldValue, LogEntry } from '../state/types.ts'
import { MAX_FIDUCIARIES } from './sharing.ts'
import {
  REQUESTERS, SAFEGUARD_FACTS, SAFEGUARD_VERSION, type DepositTerms, type Requesters, type SafeguardFact, type SafeguardFactKind
} from './types.ts'
import { Shape, type Body, readVersionedFact, handle, handleOrNull, cid, cidOrNull, bytes, str, uint, factBody } from '../state/fact-fields.ts'

export interface FactDraft {
  readonly kind: SafeguardFactKind
  readonly body: IpldValue
}

const KINDS = new Set<string>(Object.values(SAFEGUARD_FACTS))

export function isSafeguardFactKind (kind: string): kind is SafeguardFactKind {
  return KINDS.has(kind)
}

/** The entry (kind and body) recording `fact`. */
export function factEntry (fact: SafeguardFact): FactDraft {
  const { kind, ...rest } = fact
  return { kind, body: factBody(SAFEGUARD_VERSION, rest) }
}


function index (b: Body): number {
  const i = uint(b, 'index')
  if (i >= MAX_FIDUCIARIES) throw new Shape('index')
  return i
}



function list<T> (b: Body, k: string, read: (v: unknown) => T): T[] {
  const v = b[k]
  if (!Array.isArray(v) || v.length > MAX_FIDUCIARIES) throw new Shape(k)
  return v.map(read)
}

function base (b: Body): { deposit: CID, envelope: CID, from: CID, time: number } {
  return { deposit: cid(b, 'deposit'), envelope: cid(b, 'envelope'), from: cid(b, 'from'), time: uint(b, 'time') }
}

function terms (b: Body): DepositTerms {
  const requesters = str(b, 'requesters')
  if (!(REQUESTERS as readonly string[]).includes(requesters)) throw new Shape('requesters')
  return {
    beneficiary: cid(b, 'beneficiary'),
    fiduciaries: list(b, 'fiduciaries', (v) => cid({ v }, 'v')),
    threshold: uint(b, 'threshold'),
    size: uint(b, 'size'),
    salt: bytes(b, 'salt', 32),
    commitment: bytes(b, 'commitment', 32),
    shares: list(b, 'shares', (v) => bytes({ v }, 'v', 32)),
    requesters: requesters as Requesters,
    delayMs: uint(b, 'delayMs'),
    approver: cidOrNull(b, 'approver'),
    label: str(b, 'label')
  }
}

function decode (kind: SafeguardFactKind, b: Body): SafeguardFact {
  switch (kind) {
    case SAFEGUARD_FACTS.deposit: {
      const handles = b.handles === null ? null : list(b, 'handles', (v) => handle({ v }, 'v'))
      return { kind, ...base(b), ...terms(b), handles }
    }
    case SAFEGUARD_FACTS.accept:
      return { kind, ...base(b), index: index(b), key: bytes(b, 'key', 32), handle: handleOrNull(b, 'handle') }
    case SAFEGUARD_FACTS.share:
      return { kind, ...base(b), index: index(b), handle: handleOrNull(b, 'handle') }
    case SAFEGUARD_FACTS.held:
    case SAFEGUARD_FACTS.destroyed:
      return { kind, ...base(b), index: index(b) }
    case SAFEGUARD_FACTS.releaseRequest:
      return { kind, ...base(b), beneficiary: cid(b, 'beneficiary'), received: uint(b, 'received') }
    case SAFEGUARD_FACTS.approve:
    case SAFEGUARD_FACTS.revoke:
      return { kind, ...base(b) }
    case SAFEGUARD_FACTS.release:
      return { kind, ...base(b), index: index(b), beneficiary: cid(b, 'beneficiary'), handle: handleOrNull(b, 'handle') }
    case SAFEGUARD_FACTS.released:
      return { kind, ...base(b), index: index(b), beneficiary: cid(b, 'beneficiary'), release: cid(b, 'release') }
    case SAFEGUARD_FACTS.recovered:
      return { kind, deposit: cid(b, 'deposit'), handle: handle(b, 'handle'), combined: list(b, 'combined', (v) => uint({ v }, 'v')), time: uint(b, 'time') }
    case SAFEGUARD_FACTS.rejected:
      return {
        kind,
        envelope: cid(b, 'envelope'),
        from: cid(b, 'from'),
        type: str(b, 'type'),
        deposit: cidOrNull(b, 'deposit'),
        error: str(b, 'error'),
        message: str(b, 'message'),
        answer: list(b, 'answer', (v) => cid({ v }, 'v'))
      }
  }
}

/** The safeguard fact an entry records, or undefined if the entry is not a (well-formed) safeguard fact. */
export function readFact (entry: Pick<LogEntry, 'kind' | 'body'>): SafeguardFact | undefined {
  return readVersionedFact(entry, isSafeguardFactKind, SAFEGUARD_VERSION, decode)
}

/** The `safeguard.rejected` fact for a received envelope this node refused (`error` is a typed error). */
export function rejectedFact (
  envelope: { readonly cid: CID, readonly header: { readonly sender: CID, readonly type: string, readonly thread: CID | null } },
  error: Error,
  answer: readonly CID[] = []
): SafeguardFact {
  const isDeposit = envelope.header.type === 'safeguard/deposit'
  return {
    kind: SAFEGUARD_FACTS.rejected,
    envelope: envelope.cid,
    from: envelope.header.sender,
    type: envelope.header.type.slice(0, 64),
    deposit: envelope.header.thread ?? (isDeposit ? envelope.cid : null),
    error: error.name,
    message: error.message.slice(0, 512),
    answer
  }
}
