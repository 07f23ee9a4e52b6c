// The three published addresses of a custody wallet key: Bitcoin P2WPKH (bech32), Bitcoin P2PKH
// (Base58Check) on the configured network, and Ethereum (EIP-55). The key is decoded and checked
// once (on the curve, not infinity); see bitcoin-address.ts and ethereum-address.ts for the formats.
import { concatBytes } from '../bytes.ts'
import { InvalidKeyError } from '../errors.ts'
import { PublicMemo } from '../public-memo.ts'
import { p2pkhFromValid, p2wpkhFromValid } from './bitcoin-address.ts'
import type { BitcoinNetwork } from './bitcoin-network.ts'
import { ethereumAddressFromUncompressed } from './ethereum-address.ts'
import { COMPRESSED_KEY_LENGTH, uncompressPublicKey } from './point.ts'

export interface WalletAddresses {
  readonly p2wpkh: string
  readonly p2pkh: string
  readonly ethereum: string
}

// By key and network: an order's addresses are derived again whenever the principal's rules run
// on the fact that completes its wallet key (judged, looked ahead, applied) and when a party checks
// the published address (three hashes and two checksummed encodings each time). Frozen, so a
// caller cannot change what the next one gets.
const derived = new PublicMemo<WalletAddresses>(4096)

/** All three addresses of a 33-byte compressed wallet public key. */
export function walletAddresses (publicKey: Uint8Array, network: BitcoinNetwork): WalletAddresses {
  if (publicKey.length !== COMPRESSED_KEY_LENGTH) throw new InvalidKeyError('wallet public key must be 33 bytes (compressed)')
  return derived.get(concatBytes(publicKey, new TextEncoder().encode(String(network))), () => {
    const uncompressed = uncompressPublicKey(publicKey)
    return Object.freeze({
      p2wpkh: p2wpkhFromValid(publicKey, network),
      p2pkh: p2pkhFromValid(publicKey, network),
      ethereum: ethereumAddressFromUncompressed(uncompressed)
    })
  })
}
