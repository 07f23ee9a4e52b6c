// Ethereum addresses of a custody wallet key (Yellow Paper §7 / EIP-55).
//
//   address = last 20 bytes of Keccak-256(X ‖ Y)  for the uncompressed public key 04 ‖ X ‖ Y
//   EIP-55:   hex digit i (a–f) is upper-cased iff nibble i of Keccak-256(ASCII lowercase hex) ≥ 8
//
// Keccak-256 is @noble/hashes' keccak_256 (the pre-standard padding; not node:crypto's SHA3-256).
// isValidEip55 / parseEthereumAddress are strict: the letter case must be exactly the checksum,
// so an all-lowercase or all-uppercase address passes only when that is its checksum.
import { keccak_256 } from '@noble/hashes/sha3.js'
import { toHex } from '../bytes.ts'
import { InvalidAddressError } from '../errors.ts'
import { validatedUncompressed } from './point.ts'

export const ETHEREUM_ADDRESS_LENGTH = 20

const ascii = new TextEncoder()

/** EIP-55 mixed-case '0x…' form of 40 lowercase hex digits. */
function checksumHex (lowerHex: string): string {
  const hash = keccak_256(ascii.encode(lowerHex))
  let out = '0x'
  for (let i = 0; i < 40; i++) {
    const c = lowerHex[i]!
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0x0f
    out += c >= 'a' && nibble >= 8 ? c.toUpperCase() : c
  }
  return out
}

/** EIP-55 form of a 20-byte address. */
export function toChecksumAddress (address: Uint8Array): string {
  if (address.length !== ETHEREUM_ADDRESS_LENGTH) throw new RangeError(`Ethereum address must be ${ETHEREUM_ADDRESS_LENGTH} bytes`)
  return checksumHex(toHex(address))
}

/** Address of an already validated uncompressed key (65 bytes, 0x04 ‖ X ‖ Y). */
export function ethereumAddressFromUncompressed (uncompressed: Uint8Array): string {
  return toChecksumAddress(keccak_256(uncompressed.subarray(1)).subarray(12))
}

/** EIP-55 address of a 33-byte compressed or 65-byte uncompressed secp256k1 public key. */
export function ethereumAddress (publicKey: Uint8Array): string {
  return ethereumAddressFromUncompressed(validatedUncompressed(publicKey))
}

const SHAPE = /^0x[0-9a-fA-F]{40}$/

/** True iff `address` is '0x' + 40 hex digits whose letter case is exactly its EIP-55 checksum. */
export function isValidEip55 (address: string): boolean {
  return typeof address === 'string' && SHAPE.test(address) && checksumHex(address.slice(2).toLowerCase()) === address
}

/** The 20 address bytes of a valid EIP-55 address; InvalidAddressError otherwise. */
export function parseEthereumAddress (address: string): Uint8Array {
  if (typeof address !== 'string' || !SHAPE.test(address)) throw new InvalidAddressError("Ethereum address must be '0x' followed by 40 hex digits")
  if (checksumHex(address.slice(2).toLowerCase()) !== address) throw new InvalidAddressError('Ethereum address fails its EIP-55 checksum')
  return Uint8Array.from(Buffer.from(address.slice(2), 'hex'))
}
