// RFC 9180 §4.1 and §7.1: DHKEM(X25519, HKDF-SHA256), KEM id 0x0020 (Nsecret = Nenc = Npk = Nsk = 32).
//
//   Encap(pkR):      skE, pkE ← fresh (or DeriveKeyPair(ikmE)); dh = DH(skE, pkR);
//                    enc = pkE; shared_secret = ExtractAndExpand(dh, enc ‖ pkR)
//   Decap(enc, skR): dh = DH(skR, enc); shared_secret = ExtractAndExpand(dh, enc ‖ pk(skR))
//   ExtractAndExpand(dh, kem_context) = LabeledExpand(LabeledExtract("", "eae_prk", dh),
//                                                     "shared_secret", kem_context, 32)
//   DeriveKeyPair(ikm) (§7.1.3): sk = LabeledExpand(LabeledExtract("", "dkp_prk", ikm), "sk", "", 32)
//
// A DH output of all zeros aborts with LowOrderPointError (§7.1.4). The fresh ephemeral key comes
// from OpenSSL's generator and never leaves its KeyObject. Internal to crypto/; hpke.ts is the API.
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { agree, exportPublicKey, importPrivateKey, importPublicKey, X25519_KEY_LENGTH, type KeyAgreementKeyPair } from './x25519.ts'
import { EMPTY, KEM_SUITE_ID, label, labeledExpand, labeledExtract } from './hpke-labeled.ts'
import { PublicMemo } from './public-memo.ts'

export const N_SECRET = 32
export const N_ENC = X25519_KEY_LENGTH

const LABEL_EAE_PRK = label('eae_prk')
const LABEL_SHARED_SECRET = label('shared_secret')
const LABEL_DKP_PRK = label('dkp_prk')
const LABEL_SK = label('sk')

// Reads the KeyObject out of a RecipientKey without making it a public member.
let privateKeyOf: (key: RecipientKey) => KeyObject

/**
 * A recipient's X25519 secret key imported once: the KeyObject and its public key (needed for
 * kem_context). Decap with a prepared key skips one key import (a scalar multiplication).
 */
export class RecipientKey {
  readonly publicKey: Uint8Array
  readonly #privateKey: KeyObject

  constructor (secretKey: Uint8Array) {
    this.#privateKey = importPrivateKey(secretKey)
    this.publicKey = exportPublicKey(this.#privateKey)
  }

  static {
    privateKeyOf = (key) => key.#privateKey
  }
}

function derivePrivateKey (ikm: Uint8Array): Uint8Array {
  if (ikm.byteLength < X25519_KEY_LENGTH) {
    throw new RangeError(`DeriveKeyPair needs ikm of at least ${X25519_KEY_LENGTH} bytes, got ${ikm.byteLength}`)
  }
  const dkpPrk = labeledExtract(KEM_SUITE_ID, EMPTY, LABEL_DKP_PRK, ikm)
  return labeledExpand(KEM_SUITE_ID, dkpPrk, LABEL_SK, [], X25519_KEY_LENGTH)
}

/** RFC 9180 §7.1.3 DeriveKeyPair for X25519. */
export function deriveKeyPair (ikm: Uint8Array): KeyAgreementKeyPair {
  const secretKey = derivePrivateKey(ikm)
  return { publicKey: exportPublicKey(importPrivateKey(secretKey)), secretKey }
}

function extractAndExpand (dh: Uint8Array, enc: Uint8Array, pkR: Uint8Array): Uint8Array {
  const eaePrk = labeledExtract(KEM_SUITE_ID, EMPTY, LABEL_EAE_PRK, dh)
  dh.fill(0)
  return labeledExpand(KEM_SUITE_ID, eaePrk, LABEL_SHARED_SECRET, [enc, pkR], N_SECRET)
}

export interface Encapsulation {
  readonly sharedSecret: Uint8Array
  readonly enc: Uint8Array
}

// Recipients' public KeyObjects by key bytes: a node seals to the same few identities over and
// over, and the import was a visible part of each seal. Public data only; bounded (oldest out).
// (Decap's `enc` is a fresh key each time: not cached.)
const recipients = new PublicMemo<KeyObject>(1024)

function recipientPublicKey (pkR: Uint8Array): KeyObject {
  return recipients.get(pkR, importPublicKey) // InvalidKeyError for a bad key: nothing is kept
}

/** Encap(pkR); `ikmE` makes it deterministic (tests and the RFC vectors only). */
export function encap (pkR: Uint8Array, ikmE?: Uint8Array): Encapsulation {
  const recipient = recipientPublicKey(pkR)
  let ephemeral: KeyObject
  let enc: Uint8Array
  if (ikmE === undefined) {
    const pair = generateKeyPairSync('x25519')
    ephemeral = pair.privateKey
    enc = exportPublicKey(pair.publicKey)
  } else {
    const skE = derivePrivateKey(ikmE)
    ephemeral = importPrivateKey(skE)
    skE.fill(0)
    enc = exportPublicKey(ephemeral)
  }
  const dh = agree(ephemeral, recipient)
  return { sharedSecret: extractAndExpand(dh, enc, pkR), enc }
}

/** Decap(enc, skR). InvalidKeyError if enc is not 32 bytes, LowOrderPointError if DH is zero. */
export function decap (enc: Uint8Array, recipient: RecipientKey): Uint8Array {
  const dh = agree(privateKeyOf(recipient), importPublicKey(enc))
  return extractAndExpand(dh, enc, recipient.publicKey)
}
