// Identity documents: the self-certifying PKI of Milagro Server (no certificate authority).
//
// A document names a node and carries its public keys: Ed25519 for signatures, X25519 for HPKE
// key wrapping, a compressed secp256k1 key for custody, and the libp2p peer id it speaks from.
// It is signed by its own Ed25519 key, and its CID (CIDv1, dag-cbor, sha2-256 of the signed
// bytes) *is* the identity: whoever holds a CID can fetch the document from anyone and check it
// without trusting the source. A rotation is a new document whose `supersedes` links the old one
// and whose `endorsement` is the old signing key's signature over the new document, so only the
// holder of the old key can hand the identity on.
//
// Guarantees: `decodeIdentity` accepts only canonical bytes under MAX_IDENTITY_BYTES, of a known
// version, with exactly the documented fields, well-formed keys (the custody key a point on
// secp256k1, the peer id a parseable libp2p peer id) and a valid self-signature; anything else is
// a typed error. It does not decide whether a superseded identity is still acceptable: that is the
// directory's job (`verifyRotation` checks one link of a rotation chain).
import { peerIdFromString } from '@libp2p/peer-id'
import {
  assertSecp256k1PublicKey, ED25519_PUBLIC_KEY_LENGTH, ED25519_SIGNATURE_LENGTH, InvalidKeyError,
  InvalidSignatureError, SECP256K1_PUBLIC_KEY_LENGTH, verify, type Signer
} from '../crypto/index.ts'
import {
  asRecord, CID, cidOf, decodeCanonical, describeValue, encode, readBytes, readCidOrNull, readString, readUint, signingMessage
} from './codec.ts'
import { IdentityMismatchError, MalformedError, UnsupportedVersionError } from './errors.ts'

export const IDENTITY_VERSION = 1
export const MAX_IDENTITY_BYTES = 4096
export const X25519_PUBLIC_KEY_LENGTH = 32
export const IDENTITY_SIGNATURE_CONTEXT = 'milagro/identity/v1'
export const IDENTITY_ENDORSEMENT_CONTEXT = 'milagro/identity-rotation/v1'

const NAME_PATTERN = /^[^\p{C}]+$/u
const NAME_MAX = 64
const PEER_ID_PATTERN = /^[1-9A-HJ-NP-Za-km-z]+$|^b[a-z2-7]+$/
const PEER_ID_MAX = 128

export interface IdentityFields {
  readonly name: string
  readonly signingKey: Uint8Array
  readonly encryptionKey: Uint8Array
  readonly custodyKey: Uint8Array
  readonly peerId: string
  readonly created: number
}

export interface IdentityDocument extends IdentityFields {
  readonly v: typeof IDENTITY_VERSION
  readonly supersedes: CID | null
  readonly endorsement: Uint8Array | null
  readonly sig: Uint8Array
}

/** A document that passed every check, with its canonical bytes and CID. */
export interface VerifiedIdentity {
  readonly cid: CID
  readonly bytes: Uint8Array
  readonly doc: IdentityDocument
}

type Unsigned = Omit<IdentityDocument, 'sig' | 'endorsement'>

function unsigned (doc: Unsigned): Unsigned {
  return {
    v: doc.v,
    name: doc.name,
    signingKey: doc.signingKey,
    encryptionKey: doc.encryptionKey,
    custodyKey: doc.custodyKey,
    peerId: doc.peerId,
    created: doc.created,
    supersedes: doc.supersedes
  }
}

/**
 * Creates and self-signs a document. With `previous`, the new document supersedes that identity
 * and is endorsed by its signer (key rotation).
 */
export function createIdentity (
  fields: IdentityFields,
  signer: Signer,
  options: { previous?: { identity: VerifiedIdentity, signer: Signer } } = {}
): VerifiedIdentity {
  if (!equal(signer.publicKey, fields.signingKey)) throw new InvalidKeyError('signer does not hold the document\'s signing key')
  const prev = options.previous
  if (prev !== undefined && !equal(prev.signer.publicKey, prev.identity.doc.signingKey)) {
    throw new InvalidKeyError('previous signer does not hold the superseded document\'s signing key')
  }
  const body: Unsigned = unsigned({ v: IDENTITY_VERSION, ...fields, supersedes: prev?.identity.cid ?? null })
  const message = signingMessage(IDENTITY_SIGNATURE_CONTEXT, body)
  const doc: IdentityDocument = {
    ...body,
    endorsement: prev === undefined ? null : prev.signer.sign(signingMessage(IDENTITY_ENDORSEMENT_CONTEXT, body)),
    sig: signer.sign(message)
  }
  // Round-trip through the decoder so a created document obeys exactly the rules a received one does.
  return decodeIdentity(encode(doc))
}

/** Parses and verifies a document; with `expected`, also checks that the bytes are that identity. */
export function decodeIdentity (bytes: Uint8Array, expected?: CID): VerifiedIdentity {
  const what = 'identity document'
  const value = decodeCanonical(bytes, what, MAX_IDENTITY_BYTES)
  const r = asRecord(value, what, ['v', 'name', 'signingKey', 'encryptionKey', 'custodyKey', 'peerId', 'created', 'supersedes', 'endorsement', 'sig'])
  if (r.v !== IDENTITY_VERSION) throw new UnsupportedVersionError(`${what} version ${describeValue(r.v)} is not supported (this node speaks ${IDENTITY_VERSION})`)
  const doc: IdentityDocument = {
    v: IDENTITY_VERSION,
    name: readString(r, 'name', what, NAME_PATTERN, NAME_MAX),
    signingKey: readBytes(r, 'signingKey', what, ED25519_PUBLIC_KEY_LENGTH),
    encryptionKey: readBytes(r, 'encryptionKey', what, X25519_PUBLIC_KEY_LENGTH),
    custodyKey: readBytes(r, 'custodyKey', what, SECP256K1_PUBLIC_KEY_LENGTH),
    peerId: readString(r, 'peerId', what, PEER_ID_PATTERN, PEER_ID_MAX),
    created: readUint(r, 'created', what),
    supersedes: readCidOrNull(r, 'supersedes', what),
    endorsement: r.endorsement === null ? null : readBytes(r, 'endorsement', what, ED25519_SIGNATURE_LENGTH),
    sig: readBytes(r, 'sig', what, ED25519_SIGNATURE_LENGTH)
  }
  if ((doc.supersedes === null) !== (doc.endorsement === null)) {
    throw new MalformedError(`${what}: 'supersedes' and 'endorsement' must be both present or both null`)
  }
  try {
    peerIdFromString(doc.peerId)
  } catch (err) {
    throw new MalformedError(`${what}.peerId is not a libp2p peer id`, { cause: err })
  }
  try {
    assertSecp256k1PublicKey(doc.custodyKey)
  } catch (err) {
    throw new MalformedError(`${what}.custodyKey: ${(err as Error).message}`, { cause: err })
  }
  if (!verify(doc.signingKey, signingMessage(IDENTITY_SIGNATURE_CONTEXT, unsigned(doc)), doc.sig)) {
    throw new InvalidSignatureError(`${what} self-signature does not verify`)
  }
  const cid = cidOf(bytes)
  if (expected !== undefined && !cid.equals(expected)) {
    throw new IdentityMismatchError(`${what} is ${cid.toString()}, not the expected ${String(expected)}`)
  }
  return { cid, bytes, doc }
}

/** Checks one rotation link: `next` supersedes `previous` and was endorsed by its signing key. */
export function verifyRotation (next: VerifiedIdentity, previous: VerifiedIdentity): void {
  if (next.doc.supersedes === null || !next.doc.supersedes.equals(previous.cid)) {
    throw new IdentityMismatchError(`identity ${next.cid.toString()} does not supersede ${previous.cid.toString()}`)
  }
  if (next.doc.created < previous.doc.created) {
    throw new MalformedError(`identity ${next.cid.toString()} was created before the identity it supersedes`)
  }
  const endorsement = next.doc.endorsement
  if (endorsement === null || !verify(previous.doc.signingKey, signingMessage(IDENTITY_ENDORSEMENT_CONTEXT, unsigned(next.doc)), endorsement)) {
    throw new InvalidSignatureError(`rotation to ${next.cid.toString()} is not endorsed by the key of ${previous.cid.toString()}`)
  }
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
