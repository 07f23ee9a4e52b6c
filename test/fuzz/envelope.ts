// Fuzzing envelopes (protocol/envelope.ts), the bytes every peer sends: `decodeEnvelope` on
// arbitrary bytes, on edits of a valid envelope's bytes and on valid envelopes with header fields,
// key slots, ciphertext or AEAD id replaced — re-signed by their (known) sender, as a hostile
// sender could — then `verifyEnvelope` and `openEnvelope` as the recipient. Every rejection must be
// one of the errors the receive path maps to a drop reason (node/p2p/inbound.ts REASON_BY_ERROR)
// or, when opening, one the services treat as a refusal: anything else aborts a delivery stream.
import * as dagCbor from '@ipld/dag-cbor'
import { decodeEnvelope, ENVELOPE_SIGNATURE_CONTEXT, MAX_ENVELOPE_BYTES, openEnvelope, seal, signingMessage, verifyEnvelope } from '../../protocol/index.ts'
import { testNode } from '../fixtures/identities.ts'
import { fc, fieldEditArb, mutationsOf, property, tryEncode, typed, type Family } from './fuzz.ts'

/** decodeEnvelope's errors: each has a drop reason in Inbound. */
export const DECODE_ERRORS: ReadonlySet<string> = new Set(['OversizedError', 'UnsupportedVersionError', 'MalformedError', 'DuplicateRecipientError'])
const VERIFY_ERRORS: ReadonlySet<string> = new Set([...DECODE_ERRORS, 'InvalidSignatureError', 'IdentityMismatchError'])
const OPEN_ERRORS: ReadonlySet<string> = new Set([...VERIFY_ERRORS, 'DecryptionError', 'NotARecipientError'])

const alice = await testNode('fuzz-alice')
const bob = await testNode('fuzz-bob')
const carol = await testNode('fuzz-carol')
const valid = seal(alice.sender, [bob.identity, carol.identity], 'test/fuzz', { hello: 'world', n: 1 }, { time: 1_700_000_000_000, clock: 3 })
const fields = dagCbor.decode<Record<string, unknown>>(valid.bytes)
const KEYS = Object.keys(fields).filter((k) => k !== 'sig')

/** A hostile but known sender signs whatever it built. */
function signedBy (m: Record<string, unknown>): Uint8Array | undefined {
  const { sig: _sig, ...unsigned } = m
  let sig: Uint8Array
  try {
    sig = alice.signer.sign(signingMessage(ENVELOPE_SIGNATURE_CONTEXT, unsigned))
  } catch {
    return undefined
  }
  return tryEncode({ ...unsigned, sig })
}

export const properties: Family = [
  property('decodeEnvelope: arbitrary bytes are refused with a typed error', 400, fc.uint8Array({ maxLength: 4000 }), (b) => {
    typed(DECODE_ERRORS, () => decodeEnvelope(b))
  }),
  property('decodeEnvelope: sizes around the limit are refused as oversized before parsing', 10, fc.integer({ min: MAX_ENVELOPE_BYTES - 4, max: MAX_ENVELOPE_BYTES + 4 }), (n) => {
    const r = typed(DECODE_ERRORS, () => decodeEnvelope(new Uint8Array(n).fill(0xa0)))
    if (!(r instanceof Error)) throw new Error('a megabyte of 0xa0 decoded')
    if (n > MAX_ENVELOPE_BYTES && r.name !== 'OversizedError') throw new Error(`${n} bytes refused as ${r.name}, not OversizedError`)
  }),
  property('edited bytes of a valid envelope: decode and verify refuse with typed errors (or it is that envelope)', 400, mutationsOf(valid.bytes), (b) => {
    const d = typed(DECODE_ERRORS, () => decodeEnvelope(b))
    if (d instanceof Error) return
    const v = typed(VERIFY_ERRORS, () => verifyEnvelope(d, alice.identity))
    if (!(v instanceof Error) && !d.cid.equals(valid.cid)) throw new Error('an edited envelope verified')
  }),
  property('fields replaced, removed or added and re-signed by the sender: decode, verify and open refuse with typed errors', 400, fc.array(fieldEditArb(KEYS), { minLength: 1, maxLength: 3 }), (edits) => {
    let m: Record<string, unknown> = { ...fields }
    for (const e of edits) m = e(m)
    const bytes = signedBy(m)
    if (bytes === undefined) return
    const d = typed(DECODE_ERRORS, () => decodeEnvelope(bytes))
    if (d instanceof Error) return
    typed(VERIFY_ERRORS, () => verifyEnvelope(d, alice.identity))
    typed(OPEN_ERRORS, () => openEnvelope(d, alice.identity, bob.recipientKey))
    typed(OPEN_ERRORS, () => openEnvelope(d, carol.identity, carol.recipientKey))
  }),
  property('key slots and ciphertext replaced by arbitrary bytes and re-signed: opening refuses with a typed error', 300, fc.record({ slot: fc.uint8Array({ minLength: 80, maxLength: 80 }), ct: fc.uint8Array({ minLength: 0, maxLength: 200 }), which: fc.nat(1), aead: fc.constantFrom(2, 3) }), (r) => {
    const keys = [...(fields.keys as Uint8Array[])]
    keys[r.which] = r.slot
    const bytes = signedBy({ ...fields, keys, ct: r.ct, aead: r.aead })
    if (bytes === undefined) return
    const d = typed(DECODE_ERRORS, () => decodeEnvelope(bytes))
    if (d instanceof Error) return
    const o = typed(OPEN_ERRORS, () => openEnvelope(d, alice.identity, r.which === 0 ? bob.recipientKey : carol.recipientKey))
    if (!(o instanceof Error)) throw new Error('an envelope with a random key slot opened')
  })
]
