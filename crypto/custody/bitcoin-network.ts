// Bitcoin network parameters used by custody addresses and key export: the bech32 human-readable
// part (BIP-173), the Base58Check version bytes of P2PKH / P2SH addresses and of WIF keys
// (as in Bitcoin Core's chainparams.cpp). testnet (testnet3/testnet4), signet and regtest share
// the Base58 version bytes; only regtest has its own bech32 HRP.
export const BITCOIN_NETWORKS = ['mainnet', 'testnet', 'signet', 'regtest'] as const
export type BitcoinNetwork = typeof BITCOIN_NETWORKS[number]

export interface BitcoinNetworkParams {
  readonly hrp: string
  readonly pubKeyHash: number
  readonly scriptHash: number
  readonly wif: number
}

const MAIN: BitcoinNetworkParams = { hrp: 'bc', pubKeyHash: 0x00, scriptHash: 0x05, wif: 0x80 }
const TEST: BitcoinNetworkParams = { hrp: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef }
const REGTEST: BitcoinNetworkParams = { hrp: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef }

export function bitcoinNetworkParams (network: BitcoinNetwork): BitcoinNetworkParams {
  switch (network) {
    case 'mainnet': return MAIN
    case 'testnet': case 'signet': return TEST
    case 'regtest': return REGTEST
    default: throw new TypeError(`unknown Bitcoin network (expected one of ${BITCOIN_NETWORKS.join(', ')})`)
  }
}

/** Every HRP in use, to tell "another network's address" from a malformed one. */
export const KNOWN_HRPS: readonly string[] = [MAIN.hrp, TEST.hrp, REGTEST.hrp]
