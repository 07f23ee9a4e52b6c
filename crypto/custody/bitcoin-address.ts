// Bitcoin addresses of a custody wallet key, and the decoder used at API boundaries.
//
// Encoding, from a compressed secp256k1 public key P (33 bytes):
//   P2WPKH = Bech32(hrp, [0] ‖ toWords(HASH160(P)))           (BIP-141, BIP-173; hrp per network)
//   P2PKH  = Base58Check(version ‖ HASH160(P))                 (version 0x00 main, 0x6f test chains)
// with HASH160 = RIPEMD-160 ∘ SHA-256. P2PKH also takes a 65-byte uncompressed key (the published
// vectors include some); custody always uses the compressed key, and P2WPKH only allows that.
//
// parseBitcoinAddress accepts P2PKH, P2SH and native segwit addresses of one expected network and
// applies BIP-173 as amended by BIP-350: witness version 0 must carry a Bech32 checksum,
// versions 1–16 a Bech32m checksum; no mixed case; at most 90 characters; program 2–40 bytes,
// exactly 20 or 32 for version 0; at most 4 bits of zero padding. Anything else, or an address
// of another network, is an InvalidAddressError. Bech32 / Base58Check come from @scure/base.
import { bech32, bech32m, createBase58check } from '@scure/base'
import { ripemd160 } from '@noble/hashes/legacy.js'
import { sha256 } from '../hash.ts'
import { concatBytes } from '../bytes.ts'
import { InvalidAddressError, InvalidKeyError } from '../errors.ts'
import { bitcoinNetworkParams, KNOWN_HRPS, type BitcoinNetwork } from './bitcoin-network.ts'
import { COMPRESSED_KEY_LENGTH, validatedUncompressed } from './point.ts'

export const base58check = createBase58check((data: Uint8Array) => sha256(data))

export function hash160 (bytes: Uint8Array): Uint8Array {
  return ripemd160(sha256(bytes))
}

/** P2WPKH from a public key already validated; the hot path shared with walletAddresses. */
export function p2wpkhFromValid (publicKey: Uint8Array, network: BitcoinNetwork): string {
  const words = bech32.toWords(hash160(publicKey))
  words.unshift(0)
  return bech32.encode(bitcoinNetworkParams(network).hrp, words)
}

/** P2PKH from a public key already validated. */
export function p2pkhFromValid (publicKey: Uint8Array, network: BitcoinNetwork): string {
  return base58check.encode(concatBytes(Uint8Array.of(bitcoinNetworkParams(network).pubKeyHash), hash160(publicKey)))
}

/** Native segwit v0 pay-to-witness-public-key-hash address of a compressed key. */
export function p2wpkhAddress (publicKey: Uint8Array, network: BitcoinNetwork): string {
  if (publicKey.length !== COMPRESSED_KEY_LENGTH) throw new InvalidKeyError('P2WPKH needs a 33-byte compressed public key')
  validatedUncompressed(publicKey)
  return p2wpkhFromValid(publicKey, network)
}

/** Legacy pay-to-public-key-hash address; HASH160 covers the key exactly as encoded (33 or 65 bytes). */
export function p2pkhAddress (publicKey: Uint8Array, network: BitcoinNetwork): string {
  validatedUncompressed(publicKey)
  return p2pkhFromValid(publicKey, network)
}

export type BitcoinAddressType = 'p2pkh' | 'p2sh' | 'witness'

export interface BitcoinAddress {
  readonly type: BitcoinAddressType
  /** 0–16 for native segwit, undefined otherwise. */
  readonly witnessVersion?: number
  /** The 20-byte hash (P2PKH, P2SH) or the witness program. */
  readonly program: Uint8Array
  /** The output script the address pays to. */
  readonly scriptPubKey: Uint8Array
}

function invalid (message: string, cause?: unknown): InvalidAddressError {
  return new InvalidAddressError(message, cause === undefined ? undefined : { cause })
}

function parseSegwit (address: string, hrp: string): BitcoinAddress {
  if (address.length > 90) throw invalid('bech32 address longer than 90 characters')
  const asBech32 = bech32.decodeUnsafe(address)
  const asBech32m = asBech32 === undefined ? bech32m.decodeUnsafe(address) : undefined
  const decoded = asBech32 ?? asBech32m
  if (decoded === undefined) {
    try { bech32.decode(address) } catch (err) { throw invalid('not a valid bech32/bech32m string', err) }
    throw invalid('not a valid bech32/bech32m string')
  }
  if (decoded.prefix !== hrp) throw invalid(`human-readable part '${decoded.prefix}' is not this network's '${hrp}'`)
  const [version, ...data] = decoded.words
  if (version === undefined) throw invalid('empty data section')
  if (version > 16) throw invalid(`invalid witness version ${version}`)
  if (version === 0 && asBech32 === undefined) throw invalid('witness version 0 must use the bech32 checksum (BIP-350)')
  if (version !== 0 && asBech32m === undefined) throw invalid(`witness version ${version} must use the bech32m checksum (BIP-350)`)
  if (data.length * 5 % 8 > 4) throw invalid('more than 4 bits of padding')
  const program = bech32.fromWordsUnsafe(data)
  if (program === undefined) throw invalid('non-zero padding in the witness program')
  if (program.length < 2 || program.length > 40) throw invalid(`invalid witness program length ${program.length}`)
  if (version === 0 && program.length !== 20 && program.length !== 32) throw invalid(`invalid witness v0 program length ${program.length}`)
  const op = version === 0 ? 0 : 0x50 + version
  return { type: 'witness', witnessVersion: version, program, scriptPubKey: concatBytes(Uint8Array.of(op, program.length), program) }
}

function parseBase58 (address: string, network: BitcoinNetwork): BitcoinAddress {
  let payload: Uint8Array
  try {
    payload = base58check.decode(address)
  } catch (err) {
    const other = bech32.decodeUnsafe(address, 90) ?? bech32m.decodeUnsafe(address, 90)
    if (other !== undefined) throw invalid(`unknown human-readable part '${other.prefix}'`)
    throw invalid('not a valid Base58Check or bech32 address', err)
  }
  if (payload.length !== 21) throw invalid(`Base58Check payload must be 21 bytes, got ${payload.length}`)
  const params = bitcoinNetworkParams(network)
  const hash = payload.subarray(1)
  if (payload[0] === params.pubKeyHash) {
    return { type: 'p2pkh', program: hash, scriptPubKey: concatBytes(Uint8Array.of(0x76, 0xa9, 0x14), hash, Uint8Array.of(0x88, 0xac)) }
  }
  if (payload[0] === params.scriptHash) {
    return { type: 'p2sh', program: hash, scriptPubKey: concatBytes(Uint8Array.of(0xa9, 0x14), hash, Uint8Array.of(0x87)) }
  }
  throw invalid(`version byte 0x${payload[0]!.toString(16).padStart(2, '0')} is not a ${network} P2PKH or P2SH address`)
}

/** Decodes and validates an address of `network`; InvalidAddressError otherwise. */
export function parseBitcoinAddress (address: string, network: BitcoinNetwork): BitcoinAddress {
  if (typeof address !== 'string') throw new TypeError('address must be a string')
  const hrp = bitcoinNetworkParams(network).hrp
  const lower = address.toLowerCase()
  const sep = lower.lastIndexOf('1')
  if (sep > 0 && KNOWN_HRPS.includes(lower.slice(0, sep))) return parseSegwit(address, hrp)
  return parseBase58(address, network)
}
