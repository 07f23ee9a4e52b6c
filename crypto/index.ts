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
