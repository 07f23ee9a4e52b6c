// Export of a custody private key for the beneficiary's operator (issue 5 step 6): WIF
// (Base58Check, version 0x80 mainnet / 0xef test chains, trailing 0x01 for a compressed key) or
// hex. These return the secret in clear as a string: call them only from the explicit,
// authenticated export path, never for logs or responses, and wipe what you can afterwards (JS
// strings cannot be wiped). Custody keys are always exported compressed, matching the addresses.
import { concatBytes, toHex } from '../bytes.ts'
import { InvalidKeyError } from '../errors.ts'
import { base58check } from './bitcoin-address.ts'
import { bitcoinNetworkParams, type BitcoinNetwork } from './bitcoin-network.ts'
import { decodeSecretKey, SECRET_KEY_LENGTH } from './point.ts'

export type SecretKeyFormat = 'wif' | 'hex'

/** WIF of a secret key; `compressed` (default true) marks that its public key is compressed. */
export function encodeWif (secretKey: Uint8Array, network: BitcoinNetwork, options?: { readonly compressed?: boolean }): string {
  decodeSecretKey(secretKey)
  const version = Uint8Array.of(bitcoinNetworkParams(network).wif)
  const payload = options?.compressed === false ? concatBytes(version, secretKey) : concatBytes(version, secretKey, Uint8Array.of(1))
  const wif = base58check.encode(payload)
  payload.fill(0)
  return wif
}

export interface DecodedWif {
  readonly secretKey: Uint8Array
  readonly compressed: boolean
}

/** Decodes a WIF of `network`; InvalidKeyError for a bad checksum, version, length or scalar. */
export function decodeWif (wif: string, network: BitcoinNetwork): DecodedWif {
  let payload: Uint8Array
  try {
    payload = base58check.decode(wif)
  } catch (err) {
    throw new InvalidKeyError('not a valid Base58Check WIF', { cause: err })
  }
  try {
    if (payload[0] !== bitcoinNetworkParams(network).wif) throw new InvalidKeyError(`WIF version byte is not ${network}'s`)
    const compressed = payload.length === 2 + SECRET_KEY_LENGTH && payload[1 + SECRET_KEY_LENGTH] === 1
    if (!compressed && payload.length !== 1 + SECRET_KEY_LENGTH) throw new InvalidKeyError('WIF payload has the wrong length or compression flag')
    const secretKey = payload.slice(1, 1 + SECRET_KEY_LENGTH)
    try {
      decodeSecretKey(secretKey)
    } catch (err) {
      secretKey.fill(0)
      throw err
    }
    return { secretKey, compressed }
  } finally {
    payload.fill(0)
  }
}

/** The secret key in the chosen export format (WIF always compressed). */
export function exportSecretKey (secretKey: Uint8Array, format: SecretKeyFormat, network: BitcoinNetwork): string {
  if (format === 'wif') return encodeWif(secretKey, network)
  if (format === 'hex') { decodeSecretKey(secretKey); return toHex(secretKey) }
  throw new TypeError("export format must be 'wif' or 'hex'")
}
