// crypto/custody/export.ts: WIF and hex export of a private key. Known answers from
// ../shared/vectors/bitcoin-p2pkh-base58check.json (see its README): bitcoinjs/ecpair @ 0550de70
// test/fixtures/ecpair.json (key → WIF) and Bitcoin Core @ 1010c48a src/test/data/key_io_valid.json
// (WIF ↔ raw key on main, testnet4, signet, regtest); differential with @scure/btc-signer's WIF.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { numberToBytesBE } from '@noble/curves/utils.js'
import { NETWORK, TEST_NETWORK, WIF } from '@scure/btc-signer'
import { decodeWif, encodeWif, exportSecretKey } from '../../../crypto/custody/export.ts'
import { base58check } from '../../../crypto/custody/bitcoin-address.ts'
import { BITCOIN_NETWORKS } from '../../../crypto/custody/bitcoin-network.ts'
import { hex, readSharedJson, toHex } from '../../vectors.ts'

const N = secp256k1.Point.CURVE().n
const throwsNamed = (fn: () => unknown, name: string, label = ''): Error => {
  try { fn() } catch (err) { assert.is((err as Error).name, name, label); return err as Error }
  assert.unreachable(`expected ${name}: ${label}`)
  throw new Error('unreachable')
}

interface KeyToAddress { privateKey: string, WIF: string, compressed: boolean, network: 'bitcoin' | 'testnet' }
interface KeyIoWif { wif: string, privateKey: string, chain: 'main' | 'testnet4' | 'signet' | 'regtest', isCompressed: boolean }
const vectors = readSharedJson<{ privateKeyToAddress: KeyToAddress[], keyIoValid: { wif: KeyIoWif[] } }>('bitcoin-p2pkh-base58check.json')
const chainNetwork = { main: 'mainnet', testnet4: 'testnet', signet: 'signet', regtest: 'regtest' } as const

if (vectors === undefined) {
  test.skip('WIF vectors (shared vectors absent)', () => {})
} else {
  test('bitcoinjs/ecpair: private key → WIF and back (compressed and uncompressed, both networks)', () => {
    for (const v of vectors.privateKeyToAddress) {
      const network = v.network === 'bitcoin' ? 'mainnet' : 'testnet'
      assert.is(encodeWif(hex(v.privateKey), network, { compressed: v.compressed }), v.WIF)
      const decoded = decodeWif(v.WIF, network)
      assert.is(toHex(decoded.secretKey), v.privateKey)
      assert.is(decoded.compressed, v.compressed)
    }
  })

  test('Bitcoin Core key_io_valid.json: 16 WIF ↔ raw key entries on every chain', () => {
    assert.is(vectors.keyIoValid.wif.length, 16)
    for (const v of vectors.keyIoValid.wif) {
      const network = chainNetwork[v.chain]
      const decoded = decodeWif(v.wif, network)
      assert.is(toHex(decoded.secretKey), v.privateKey, v.wif)
      assert.is(decoded.compressed, v.isCompressed, v.wif)
      assert.is(encodeWif(hex(v.privateKey), network, { compressed: v.isCompressed }), v.wif)
      if (v.isCompressed) assert.is(exportSecretKey(hex(v.privateKey), 'wif', network), v.wif)
      throwsNamed(() => decodeWif(v.wif, v.chain === 'main' ? 'regtest' : 'mainnet'), 'InvalidKeyError', v.wif)
    }
  })
}

test('differential with @scure/btc-signer WIF (compressed) on mainnet and testnet', () => {
  fc.assert(fc.property(fc.bigInt({ min: 1n, max: N - 1n }), (k) => {
    const secretKey = numberToBytesBE(k, 32)
    assert.is(encodeWif(secretKey, 'mainnet'), WIF(NETWORK).encode(secretKey))
    assert.is(encodeWif(secretKey, 'testnet'), WIF(TEST_NETWORK).encode(secretKey))
    assert.is(toHex(WIF(NETWORK).decode(encodeWif(secretKey, 'mainnet'))), toHex(secretKey))
  }), { numRuns: 50 })
})

test('round trip on every network; hex export is the 64 lowercase hex digits', () => {
  const secretKey = numberToBytesBE(N - 1n, 32)
  for (const network of BITCOIN_NETWORKS) {
    const wif = exportSecretKey(secretKey, 'wif', network)
    assert.equal(decodeWif(wif, network), { secretKey, compressed: true })
  }
  assert.is(exportSecretKey(secretKey, 'hex', 'mainnet'), toHex(secretKey))
  assert.throws(() => exportSecretKey(secretKey, 'pem' as 'hex', 'mainnet'), (e: Error) => e instanceof TypeError)
})

test('bad input: zero / ≥ n keys, bad checksum, wrong version, wrong length or flag — never echoing the secret', () => {
  const secret = numberToBytesBE(0x5ec2e7n, 32)
  throwsNamed(() => encodeWif(new Uint8Array(32), 'mainnet'), 'InvalidKeyError')
  throwsNamed(() => encodeWif(numberToBytesBE(N, 32), 'mainnet'), 'InvalidKeyError')
  throwsNamed(() => encodeWif(secret.subarray(1), 'mainnet'), 'InvalidKeyError')
  throwsNamed(() => exportSecretKey(new Uint8Array(32), 'hex', 'mainnet'), 'InvalidKeyError')
  const wif = encodeWif(secret, 'mainnet')
  const last = wif[wif.length - 1] === 'x' ? 'y' : 'x'
  throwsNamed(() => decodeWif(wif.slice(0, -1) + last, 'mainnet'), 'InvalidKeyError')
  throwsNamed(() => decodeWif('', 'mainnet'), 'InvalidKeyError')
  const payloads = [
    Uint8Array.of(0x80, ...new Uint8Array(32), 1), // zero key
    Uint8Array.of(0x80, ...numberToBytesBE(N, 32), 1), // n
    Uint8Array.of(0x80, ...secret, 2), // bad compression flag
    Uint8Array.of(0x80, ...secret.subarray(1)), // 31 bytes
    Uint8Array.of(0x80, ...secret, 1, 1), // too long
    Uint8Array.of(0x00, ...secret, 1) // P2PKH version byte
  ]
  for (const p of payloads) {
    const err = throwsNamed(() => decodeWif(base58check.encode(p), 'mainnet'), 'InvalidKeyError', toHex(p.subarray(0, 1)))
    assert.not.ok(err.message.includes('5ec2e7'))
  }
})

test.run()
