// Fuzzing identity documents (protocol/identity.ts `decodeIdentity`, the directory's only way in):
// arbitrary bytes, edits of a valid document's bytes, and valid documents with one field replaced,
// removed or added (re-encoded canonically, with and without a fresh valid self-signature). Every
// rejection must be one of the errors the directory maps to a rejection reason (directory.ts):
// anything else escapes its typed path.
import * as dagCbor from '@ipld/dag-cbor'
import { decodeIdentity, IDENTITY_SIGNATURE_CONTEXT, signingMessage, verifyRotation } from '../../protocol/index.ts'
import { testNode } from '../fixtures/identities.ts'
import { cidArb, fc, fieldEditArb, mutationsOf, property, tryEncode, typed, type Family } from './fuzz.ts'

/** The errors Directory.accept turns into IdentityRejectedError reasons. */
export const IDENTITY_ERRORS: ReadonlySet<string> = new Set(['MalformedError', 'OversizedError', 'UnsupportedVersionError', 'InvalidSignatureError', 'IdentityMismatchError'])
const ROTATION_ERRORS: ReadonlySet<string> = new Set(['IdentityMismatchError', 'MalformedError', 'InvalidSignatureError'])

const alice = await testNode('fuzz-alice')
const alice2 = await testNode('fuzz-alice', 1_700_000_100_000, alice, 1)
const valid = alice.identity
const fields = dagCbor.decode<Record<string, unknown>>(valid.bytes)
const KEYS = Object.keys(fields)

const resign = (m: Record<string, unknown>): Record<string, unknown> => {
  const { sig: _sig, endorsement: _e, ...unsigned } = m
  try {
    return { ...m, sig: alice.signer.sign(signingMessage(IDENTITY_SIGNATURE_CONTEXT, unsigned)) }
  } catch {
    return m // not encodable: left as is (the encoder below drops it)
  }
}

export const properties: Family = [
  property('decodeIdentity: arbitrary bytes are refused with a typed error', 400, fc.uint8Array({ maxLength: 5000 }), (b) => {
    typed(IDENTITY_ERRORS, () => decodeIdentity(b))
  }),
  property('decodeIdentity: edited bytes of a valid document are refused with a typed error (or are that document)', 400, mutationsOf(valid.bytes), (b) => {
    const r = typed(IDENTITY_ERRORS, () => decodeIdentity(b))
    if (!(r instanceof Error) && !r.cid.equals(valid.cid)) throw new Error('an edited document decoded as another identity')
  }),
  property('decodeIdentity: a field replaced, removed or added (re-signed or not) is refused with a typed error', 400, fc.tuple(fc.array(fieldEditArb(KEYS), { minLength: 1, maxLength: 3 }), fc.boolean(), fc.option(cidArb)), ([edits, sign, expected]) => {
    let m: Record<string, unknown> = { ...fields }
    for (const e of edits) m = e(m)
    if (sign) m = resign(m)
    const bytes = tryEncode(m)
    if (bytes === undefined) return
    typed(IDENTITY_ERRORS, () => decodeIdentity(bytes, expected ?? undefined))
  }),
  property('verifyRotation: any pair of documents is accepted only for the real rotation, else a typed error', 100, fc.tuple(fc.constantFrom(alice.identity, alice2.identity), fc.constantFrom(alice.identity, alice2.identity)), ([next, previous]) => {
    const r = typed(ROTATION_ERRORS, () => { verifyRotation(next, previous) })
    if (r === undefined && !(next === alice2.identity && previous === alice.identity)) throw new Error('a rotation that is not one was accepted')
  })
]
