// crypto/custody/addresses.ts: the three wallet addresses. They equal the per-format functions,
// and — the property issue 5 rests on — the addresses computed from the combined public shares
// equal those of the combined secret shares (what the principal publishes is what the
// beneficiary can spend).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { numberToBytesBE } from '@noble/curves/utils.js'
import { walletAddresses } from '../../../crypto/custody/addresses.ts'
import { p2pkhAddress, p2wpkhAddress } from '../../../crypto/custody/bitcoin-address.ts'
import { BITCOIN_NETWORKS } from '../../../crypto/custody/bitcoin-network.ts'
import { ethereumAddress } from '../../../crypto/custody/ethereum-address.ts'
import { combinePublicKeys, combineSecretShares } from '../../../crypto/custody/shares.ts'
import { deriveOrderPublicKey, deriveOrderSecretKey } from '../../../crypto/custody/order-key.ts'

const N = secp256k1.Point.CURVE().n
const secretKey = fc.bigInt({ min: 1n, max: N - 1n }).map((k) => numberToBytesBE(k, 32))
const pub = (k: Uint8Array): Uint8Array => secp256k1.getPublicKey(k, true)
const throwsNamed = (fn: () => unknown, name: string): void => {
  try { fn() } catch (err) { assert.is((err as Error).name, name); return }
  assert.unreachable(`expected ${name}`)
}

test('known answer: key 1 on mainnet', () => {
  assert.equal(walletAddresses(pub(numberToBytesBE(1n, 32)), 'mainnet'), {
    p2wpkh: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
    p2pkh: '1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH',
    ethereum: '0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf'
  })
})

test('property: addresses of combinePublicKeys = addresses of combineSecretShares (with a derived order key)', () => {
  fc.assert(fc.property(secretKey, secretKey, fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom(...BITCOIN_NETWORKS), (custody, fiduciary, orderId, network) => {
    // The principal's view: public keys only.
    const beneficiaryOrderKey = deriveOrderPublicKey(pub(custody), orderId)
    const published = walletAddresses(combinePublicKeys(beneficiaryOrderKey, pub(fiduciary)), network)
    // The beneficiary's view after release: secrets.
    const w = combineSecretShares(deriveOrderSecretKey(custody, orderId), fiduciary)
    assert.equal(walletAddresses(pub(w), network), published)
    assert.equal(published, { p2wpkh: p2wpkhAddress(pub(w), network), p2pkh: p2pkhAddress(pub(w), network), ethereum: ethereumAddress(pub(w)) })
  }), { numRuns: 40 })
})

test('remembered addresses: per key and network, the same again and unchangeable; a refused key is refused again', () => {
  const key = pub(numberToBytesBE(1n, 32))
  const main = walletAddresses(key, 'mainnet')
  assert.ok(Object.isFrozen(main))
  assert.throws(() => { (main as { p2wpkh: string }).p2wpkh = 'x' })
  assert.equal(walletAddresses(key, 'mainnet'), { p2wpkh: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', p2pkh: '1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH', ethereum: '0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf' })
  assert.is(walletAddresses(key, 'testnet').p2wpkh, p2wpkhAddress(key, 'testnet'))
  assert.is.not(walletAddresses(key, 'testnet').p2wpkh, main.p2wpkh)
  const offCurve = Uint8Array.from([3, ...numberToBytesBE(5n, 32)])
  for (let i = 0; i < 2; i++) throwsNamed(() => walletAddresses(offCurve, 'mainnet'), 'InvalidKeyError')
  assert.throws(() => walletAddresses(key, 'moonnet' as 'mainnet'), (e: Error) => e instanceof TypeError)
})

test('bad keys: uncompressed, off-curve, wrong length are InvalidKeyError', () => {
  throwsNamed(() => walletAddresses(secp256k1.getPublicKey(numberToBytesBE(1n, 32), false), 'mainnet'), 'InvalidKeyError')
  throwsNamed(() => walletAddresses(Uint8Array.from([3, ...numberToBytesBE(5n, 32)]), 'mainnet'), 'InvalidKeyError')
  throwsNamed(() => walletAddresses(new Uint8Array(32), 'mainnet'), 'InvalidKeyError')
})

test.run()
