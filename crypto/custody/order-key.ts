// Per-order beneficiary keys, derived from the beneficiary's long-term custody key (the
// `custodyKey` of its identity document) by an additive, publicly computable tweak — the
// non-hardened construction of BIP-32 without a chain code:
//
//   t       = int(SHA-256(SHA-256(tag) ‖ SHA-256(tag) ‖ K ‖ orderId)) mod n,
//             tag = "milagro/custody/order-key/v1", K = the 33-byte compressed custody public
//             key, orderId = the order id's UTF-8 bytes (or the given bytes)
//   k_order = (k + t) mod n                       (secret; only the beneficiary, who holds k)
//   K_order = K + t·G                             (public; anyone who knows K and the order id)
//
// K_order = k_order·G by linearity, so the principal computes the beneficiary's order key, and
// from it the wallet key, without any secret. t = 0, k_order = 0 and K_order = ∞ are rejected
// (InvalidKeyError); each happens with probability ≈ 2⁻²⁵⁶. K is hashed in, so the tweak of one
// beneficiary is useless for another's key.
//
// What it does NOT guarantee (as with BIP-32 non-hardened children): t is public, so k_order
// together with K reveals k = k_order − t, and then every other order key of that beneficiary.
// A fiduciary that holds f for one order and later learns that order's exported wallet key
// w = k_order + f learns k. Keep exported wallet keys as secret as the custody key itself.
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE, numberToBytesBE } from '@noble/curves/utils.js'
import { InvalidKeyError } from '../errors.ts'
import { fieldBytes, TAG_ORDER_KEY, tagPrefix, taggedHash } from './context.ts'
import { CURVE_ORDER, decodePublicKey, decodeSecretKey, encodePoint, encodeSecretKey, publicKeyOfScalar } from './point.ts'

const PREFIX = tagPrefix(TAG_ORDER_KEY)

function tweakScalar (custodyPublicKey: Uint8Array, orderId: string | Uint8Array): bigint {
  const id = fieldBytes(orderId)
  if (id.length === 0) throw new RangeError('order id must not be empty')
  const t = bytesToNumberBE(taggedHash(PREFIX, custodyPublicKey, id)) % CURVE_ORDER
  if (t === 0n) throw new InvalidKeyError('order-key tweak is zero')
  return t
}

/** t for (custody public key, order id), as 32 big-endian bytes. */
export function orderKeyTweak (custodyPublicKey: Uint8Array, orderId: string | Uint8Array): Uint8Array {
  decodePublicKey(custodyPublicKey)
  return numberToBytesBE(tweakScalar(custodyPublicKey, orderId), 32)
}

/** K_order = K + t·G, compressed. Needs no secret. */
export function deriveOrderPublicKey (custodyPublicKey: Uint8Array, orderId: string | Uint8Array): Uint8Array {
  const K = decodePublicKey(custodyPublicKey)
  const t = tweakScalar(custodyPublicKey, orderId)
  return encodePoint(K.add(secp256k1.Point.BASE.multiplyUnsafe(t)), 'derived order public key')
}

/** k_order = k + t mod n, where t is computed from k's own public key. */
export function deriveOrderSecretKey (custodySecretKey: Uint8Array, orderId: string | Uint8Array): Uint8Array {
  const k = decodeSecretKey(custodySecretKey)
  const t = tweakScalar(publicKeyOfScalar(k), orderId)
  return encodeSecretKey((k + t) % CURVE_ORDER, 'derived order secret key')
}
