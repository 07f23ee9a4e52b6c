// Non-hardened BIP-32 children of a custody wallet key, so one order yields many receiving
// addresses (issue 11). The wallet key W = B + Y (beneficiary key plus DKG group key) is made
// the root of an extended key with a chain code derived from public data:
//
//   c = SHA-256(SHA-256(tag) ‖ SHA-256(tag) ‖ u16be(|ctx|) ‖ ctx ‖ W),
//       tag = "milagro/threshold/chain-code/v1", W the 33-byte compressed wallet key,
//       ctx = the caller's context (the order id)
//
// then child i (0 ≤ i < 2³¹) is BIP-32 CKDpub / CKDpriv via @scure/bip32:
//   I = HMAC-SHA512(c, W ‖ ser32(i)),  K_i = W + parse256(I_L)·G,  k_i = w + parse256(I_L) mod n
// (if I_L ≥ n or the child is infinity, BIP-32 says to use the next index; @scure/bip32 does so,
// for both derivations alike; probability < 2⁻¹²⁷).
//
// Why this works with shares: K_i = W + t_i·G with a public tweak t_i, so the fiduciaries' shares
// never change — the beneficiary, once it holds w, adds t_i itself (childPrivateKey).
//
// What it does NOT give (BIP-32 "Security"): c is computable by anyone who knows W and ctx, so
// such a party can link every child address to the order (privacy, not funds). And, as for every
// non-hardened child, a child private key k_i together with (W, c) reveals w = k_i − t_i, and so
// every other child: an exported child key is as sensitive as the wallet key itself.
import { HDKey, HARDENED_OFFSET } from '@scure/bip32'
import { concatBytes } from '../bytes.ts'
import { tagPrefix, taggedHash } from '../custody/context.ts'
import { ThresholdDegenerateError, ThresholdEncodingError, ThresholdParameterError } from './errors.ts'
import { decodePoint } from './point.ts'
import { decodeNonZeroScalar } from './scalar.ts'

export const CHAIN_CODE_LENGTH = 32
export const TAG_CHAIN_CODE = 'milagro/threshold/chain-code/v1'

const PREFIX = tagPrefix(TAG_CHAIN_CODE)

/** The wallet's deterministic, domain-separated 32-byte BIP-32 chain code (public). */
export function walletChainCode (context: Uint8Array, walletPublicKey: Uint8Array): Uint8Array {
  if (!(context instanceof Uint8Array)) throw new TypeError('context must be a Uint8Array')
  if (context.length === 0 || context.length > 0xffff) throw new ThresholdParameterError('context must be 1..65535 bytes')
  decodePoint(walletPublicKey, 'wallet public key')
  return taggedHash(PREFIX, concatBytes(Uint8Array.of(context.length >>> 8, context.length & 0xff), context), walletPublicKey)
}

function checkChild (chainCode: Uint8Array, index: number): void {
  if (!(chainCode instanceof Uint8Array)) throw new TypeError('chain code must be a Uint8Array')
  if (chainCode.length !== CHAIN_CODE_LENGTH) throw new ThresholdEncodingError(`chain code must be ${CHAIN_CODE_LENGTH} bytes`)
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) throw new ThresholdParameterError('child index must be a non-negative integer')
  if (index >= HARDENED_OFFSET) throw new ThresholdParameterError('hardened child indices (≥ 2³¹) need the private key and are not supported')
}

function derive (parent: HDKey, index: number): HDKey {
  try {
    return parent.deriveChild(index)
  } catch (err) {
    throw new ThresholdDegenerateError('BIP-32 child derivation failed', { cause: err })
  }
}

/** K_index, compressed: non-hardened child `index` (0 ≤ index < 2³¹) of the wallet key. */
export function childPublicKey (walletPublicKey: Uint8Array, chainCode: Uint8Array, index: number): Uint8Array {
  checkChild(chainCode, index)
  decodePoint(walletPublicKey, 'wallet public key')
  const child = derive(new HDKey({ publicKey: walletPublicKey, chainCode }), index)
  return child.publicKey!
}

/** k_index, 32 bytes: the private key of childPublicKey(w·G, chainCode, index). */
export function childPrivateKey (walletPrivateKey: Uint8Array, chainCode: Uint8Array, index: number): Uint8Array {
  checkChild(chainCode, index)
  decodeNonZeroScalar(walletPrivateKey, 'wallet private key')
  const parent = new HDKey({ privateKey: walletPrivateKey, chainCode })
  try {
    const child = derive(parent, index)
    const key = child.privateKey!
    child.wipePrivateData()
    return key
  } finally {
    parent.wipePrivateData()
  }
}
