// Figures for the crypto layer of custody (crypto/custody/), one core, each loop ~1 s:
//   custody.crypto.address        wallet keys/s turned into all three addresses (P2WPKH, P2PKH,
//                                 Ethereum; one count = one key → three addresses);
//                                 peer: @scure/btc-signer p2wpkh/p2pkh + noble decompression and
//                                 keccak (all pure JS)
//   custody.crypto.combine        2 secret shares added and checked against the wallet key /s
//   custody.crypto.combine-public 2 public shares added /s
//   custody.crypto.derive-public  beneficiary order key K + t·G from its custody key /s
//   custody.crypto.pop.create / .verify   BIP-340 proofs of possession /s
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { p2pkh, p2wpkh } from '@scure/btc-signer'
import {
  checkCombined, combinePublicKeys, combineSecretShares, createProofOfPossession, deriveOrderPublicKey,
  verifyProofOfPossession, walletAddresses
} from '../../crypto/custody/index.ts'
import { toChecksumAddress } from '../../crypto/custody/ethereum-address.ts'
import { opsPerSecond } from '../measure.ts'
import type { Report } from '../bench.ts'

export const figures = ['custody.crypto.']

export async function bench (report: Report): Promise<void> {
  const b = secp256k1.utils.randomSecretKey()
  const f = secp256k1.utils.randomSecretKey()
  const B = secp256k1.getPublicKey(b, true)
  const F = secp256k1.getPublicKey(f, true)
  const W = combinePublicKeys(B, F)

  const ours = opsPerSecond(() => walletAddresses(W, 'mainnet'))
  const peer = opsPerSecond(() => {
    const eth = keccak_256(secp256k1.Point.fromBytes(W).toBytes(false).subarray(1)).subarray(12)
    return [p2wpkh(W).address, p2pkh(W).address, toChecksumAddress(eth)]
  })
  report({ name: 'custody.crypto.address', value: ours, unit: 'addresses/s', peer: '@scure/btc-signer + noble', peerValue: peer })

  report({ name: 'custody.crypto.combine', value: opsPerSecond(() => checkCombined(combineSecretShares(b, f), W)), unit: 'ops/s' })
  report({ name: 'custody.crypto.combine-public', value: opsPerSecond(() => combinePublicKeys(B, F)), unit: 'ops/s' })
  report({ name: 'custody.crypto.derive-public', value: opsPerSecond(() => deriveOrderPublicKey(B, 'order-0001')), unit: 'ops/s' })

  const context = { orderId: 'order-0001', role: 'fiduciary', party: 'bafy-fiduciary' } as const
  report({ name: 'custody.crypto.pop.create', value: opsPerSecond(() => createProofOfPossession(f, context)), unit: 'ops/s' })
  const proof = createProofOfPossession(f, context)
  report({ name: 'custody.crypto.pop.verify', value: opsPerSecond(() => verifyProofOfPossession(F, context, proof)), unit: 'ops/s' })
}
