// Public surface of crypto/. Other folders import only this file.
export * from './errors.ts'
export { randomBytes, concatBytes, equalBytes, toHex, fromHex, wipe } from './bytes.ts'
export { sha256 } from './hash.ts'
export {
  ED25519_PUBLIC_KEY_LENGTH, ED25519_SECRET_KEY_LENGTH, ED25519_SIGNATURE_LENGTH,
  generateSigningKeyPair, signingKeyPairFromSeed, sign, verify, Signer,
  type SigningKeyPair
} from './ed25519.ts'
export { SECP256K1_PUBLIC_KEY_LENGTH, assertSecp256k1PublicKey, secp256k1PublicKey, generateSecp256k1SecretKey } from './secp256k1.ts'
export { X25519_KEY_LENGTH, generateKeyAgreementKeyPair, keyAgreementKeyPairFromSecret, x25519, type KeyAgreementKeyPair } from './x25519.ts'
export { aeadSeal, aeadOpen, aeadKeyLength, AEAD_NONCE_LENGTH, AEAD_TAG_LENGTH, type AeadId } from './aead.ts'
export { hkdfExtract, hkdfExpand } from './hkdf.ts'
export {
  seal as hpkeSeal, open as hpkeOpen, setupBaseS, setupBaseR, setupPSKS, setupPSKR,
  deriveKeyPair as hpkeDeriveKeyPair, importRecipientKey, DEFAULT_HPKE_SUITE,
  type HpkeSuite, type SealOptions as HpkeSealOptions,
  type SenderContext, type RecipientContext, type RecipientKey
} from './hpke.ts'
export * from './keystore/index.ts'
export * from './custody/index.ts'
export * from './mpin/index.ts'
export * from './pool/index.ts'
export * from './threshold/index.ts'
