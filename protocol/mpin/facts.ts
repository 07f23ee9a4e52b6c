// M-Pin facts as log entries: `mpin.*` kinds whose body is the fact's fields plus `v`
// (docs/PROTOCOL.md, "M-Pin D-TA", "Log entries of the flow").
//
// `factEntry` turns a typed fact into the kind and body the node appends; `readFact` reads it back
// for the reducer. Facts are written only by this node's M-Pin service from validated values, and
// the log verifies every entry's hash and signature, so `readFact` checks shape (fields, lengths,
// handles) but repeats no cryptography. An entry that does not parse is not an M-Pin fact: the
// reducer leaves the state as it is (a reducer must never throw on replay). No fact has a field
// for a share or a secret: fingerprints (hashes) and key-store handles only.
import type { CID } from 'multiformats/cid'
import { isCurveName, type CurveName } from '../../crypto/index.ts'
import type { IpldValue, LogEntry } from '../state/types.ts'
import { FINGERPRINT_LENGTH, isMpinId, MAX_DATE, MAX_DTAS } from './messages.ts'
import { isIssuanceKind, MPIN_FACTS, MPIN_VERSION, type IssuanceKind, type IssuanceRequest, type MpinFact, type MpinFactKind } from './types.ts'
import { Shape, type Body, readVersionedFact, handle, cid, cidOrNull, uint, factBody } from '../state/fact-fields.ts'

export interface MpinFactDraft {
  readonly kind: MpinFactKind
  readonly body: IpldValue
}

const KINDS = new Set<string>(Object.values(MPIN_FACTS))

export function isMpinFactKind (kind: string): kind is MpinFactKind {
  return KINDS.has(kind)
}

/** The entry (kind and body) recording `fact`. */
export function factEntry (fact: MpinFact): MpinFactDraft {
  const { kind, ...fields } = fact
  return { kind, body: factBody(MPIN_VERSION, fields) }
}


function str (b: Body, k: string, max = 512): string {
  const v = b[k]
  if (typeof v !== 'string' || v.length > max) throw new Shape(k)
  return v
}


function curve (b: Body): CurveName {
  const v = b.curve
  if (!isCurveName(v)) throw new Shape('curve')
  return v
}

function fingerprint (b: Body, k: string): Uint8Array {
  const v = b[k]
  if (!(v instanceof Uint8Array) || v.length !== FINGERPRINT_LENGTH) throw new Shape(k)
  return v
}

function issuance (b: Body): IssuanceKind {
  if (!isIssuanceKind(b.issuance)) throw new Shape('issuance')
  return b.issuance
}

function request (b: Body): IssuanceRequest {
  const id = b.id
  if (id !== null && !isMpinId(id)) throw new Shape('id')
  const date = b.date
  if (date !== null && (typeof date !== 'number' || !Number.isSafeInteger(date) || date < 1 || date > MAX_DATE)) throw new Shape('date')
  const dtas = b.dtas
  if (!Array.isArray(dtas) || dtas.length === 0 || dtas.length > MAX_DTAS) throw new Shape('dtas')
  return {
    request: cid(b, 'request'),
    from: cid(b, 'from'),
    time: uint(b, 'time'),
    issuance: issuance(b),
    curve: curve(b),
    beneficiary: cid(b, 'beneficiary'),
    id,
    date,
    dtas: dtas.map((d, i) => cid({ [i]: d }, String(i)))
  }
}

function decode (kind: MpinFactKind, b: Body): MpinFact {
  switch (kind) {
    case MPIN_FACTS.master:
      return { kind, curve: curve(b), handle: handle(b, 'handle'), fingerprint: fingerprint(b, 'fingerprint') }
    case MPIN_FACTS.request:
      return { kind, ...request(b) }
    case MPIN_FACTS.issued:
      return { kind, ...request(b), answer: cid(b, 'answer') }
    case MPIN_FACTS.refused:
      return { kind, request: cid(b, 'request'), dta: cid(b, 'dta'), error: str(b, 'error', 64), message: str(b, 'message'), answer: cid(b, 'answer') }
    case MPIN_FACTS.received:
      return { kind, request: cid(b, 'request'), dta: cid(b, 'dta'), answer: cid(b, 'answer'), curve: curve(b), handle: handle(b, 'handle'), master: fingerprint(b, 'master') }
    case MPIN_FACTS.combined:
      return { kind, request: cid(b, 'request'), handle: handle(b, 'handle') }
    case MPIN_FACTS.rejected:
      return {
        kind,
        envelope: cid(b, 'envelope'),
        from: cid(b, 'from'),
        type: str(b, 'type', 64),
        request: cidOrNull(b, 'request'),
        error: str(b, 'error', 64),
        message: str(b, 'message')
      }
  }
}

/** The M-Pin fact an entry records, or undefined if the entry is not a (well-formed) M-Pin fact. */
export function readFact (entry: Pick<LogEntry, 'kind' | 'body'>): MpinFact | undefined {
  return readVersionedFact(entry, isMpinFactKind, MPIN_VERSION, decode)
}

/** The `mpin.rejected` fact for a received envelope this node refused (`error` is a typed error). */
export function rejectedFact (
  envelope: { readonly cid: CID, readonly header: { readonly sender: CID, readonly type: string, readonly thread: CID | null } },
  error: Error
): MpinFact {
  const isRequest = envelope.header.type === 'mpin/request'
  return {
    kind: MPIN_FACTS.rejected,
    envelope: envelope.cid,
    from: envelope.header.sender,
    type: envelope.header.type,
    request: envelope.header.thread ?? (isRequest ? envelope.cid : null),
    error: error.name.slice(0, 64),
    message: error.message.slice(0, 512)
  }
}
