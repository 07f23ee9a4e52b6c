// Figures for the crypto layer of custody (crypto/custody/), one core, each loop ~1 s:
//   custody.crypto.address        wallet keys/s turned into all three addresses (P2WPKH, P2PKH,
//                                 Ethereum; one count = one key → three addresses);
//                                 peer: @scure/btc-signer p2wpkh/p2pkh + noble decompression and
//                                 keccak (all pure JS)
//   custody.crypto.combine        2 secret shares added and checked against the wallet key /s
//   custody.crypto.combine-public 2 public shares added /s
//   custody.crypto.derive-public  beneficiary order key K + t·G from its custody key /s
//   custody.crypto.pop.create / .verify   BIP-340 proofs of possession /s
// Addresses and public sums are measured on a new key each time (KEYS distinct keys, twice what
// the memos of crypto/custody hold): the figure is the cost of a first derivation, not of a memo hit.
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

/** Distinct keys the address and sum loops cycle through: twice the custody memos' 4,096 entries. */
const KEYS = 8192

export async function bench (report: Report): Promise<void> {
  const b = secp256k1.utils.randomSecretKey()
  const f = secp256k1.utils.randomSecretKey()
  const B = secp256k1.getPublicKey(b, true)
  const F = secp256k1.getPublicKey(f, true)
  const W = combinePublicKeys(B, F)
  // KEYS distinct wallet keys (B + k·G), cycled through by the loops below.
  const keys: Uint8Array[] = []
  for (let p = secp256k1.Point.fromBytes(B), k = 0; k < KEYS; k++) { p = p.add(secp256k1.Point.BASE); keys.push(p.toBytes(true)) }
  let at = 0
  const nextKey = (): Uint8Array => keys[at++ % KEYS] as Uint8Array

  const ours = opsPerSecond(() => walletAddresses(nextKey(), 'mainnet'))
  const peer = opsPerSecond(() => {
    const key = nextKey()
    const eth = keccak_256(secp256k1.Point.fromBytes(key).toBytes(false).subarray(1)).subarray(12)
    return [p2wpkh(key).address, p2pkh(key).address, toChecksumAddress(eth)]
  })
  report({ name: 'custody.crypto.address', value: ours, unit: 'addresses/s', peer: '@scure/btc-signer + noble', peerValue: peer })

  report({ name: 'custody.crypto.combine', value: opsPerSecond(() => checkCombined(combineSecretShares(b, f), W)), unit: 'ops/s' })
  report({ name: 'custody.crypto.combine-public', value: opsPerSecond(() => combinePublicKeys(nextKey(), F)), unit: 'ops/s' })
  report({ name: 'custody.crypto.derive-public', value: opsPerSecond(() => deriveOrderPublicKey(B, 'order-0001')), unit: 'ops/s' })

  const context = { orderId: 'order-0001', role: 'fiduciary', party: 'bafy-fiduciary' } as const
  report({ name: 'custody.crypto.pop.create', value: opsPerSecond(() => createProofOfPossession(f, context)), unit: 'ops/s' })
  const proof = createProofOfPossession(f, context)
  report({ name: 'custody.crypto.pop.verify', value: opsPerSecond(() => verifyProofOfPossession(F, context, proof)), unit: 'ops/s' })
}
