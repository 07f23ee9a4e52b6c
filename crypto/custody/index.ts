// Public surface of crypto/custody/: the crypto layer of decentralized custody (issue 5) —
// additive secp256k1 shares, per-order key derivation, rogue-key protection (proof of
// possession, commit-then-reveal), wallet addresses and key export. Re-exported by crypto/index.ts.
export { combinePublicKeys, combineSecretShares, checkCombined } from './shares.ts'
export { orderKeyTweak, deriveOrderPublicKey, deriveOrderSecretKey } from './order-key.ts'
export { CUSTODY_ROLES, encodeKeyContext, type CustodyRole, type KeyContext } from './context.ts'
export { PROOF_OF_POSSESSION_LENGTH, possessionMessage, createProofOfPossession, verifyProofOfPossession } from './pop.ts'
export { COMMITMENT_LENGTH, BLINDER_LENGTH, commitPublicKey, openCommitment, type KeyCommitment } from './commit.ts'
export { BITCOIN_NETWORKS, bitcoinNetworkParams, type BitcoinNetwork, type BitcoinNetworkParams } from './bitcoin-network.ts'
export { hash160, p2wpkhAddress, p2pkhAddress, parseBitcoinAddress, type BitcoinAddress, type BitcoinAddressType } from './bitcoin-address.ts'
export { ETHEREUM_ADDRESS_LENGTH, ethereumAddress, toChecksumAddress, isValidEip55, parseEthereumAddress } from './ethereum-address.ts'
export { walletAddresses, type WalletAddresses } from './addresses.ts'
export { encodeWif, decodeWif, exportSecretKey, type DecodedWif, type SecretKeyFormat } from './export.ts'
export { uncompressPublicKey } from './point.ts'
export { SigningFaultError } from './errors.ts'
