// crypto/custody/bitcoin-address.ts: P2WPKH / P2PKH encoding and the BIP-350 address decoder.
// Known answers from ../shared/vectors (see its README):
//   bip173-bip350-addresses.json — bitcoin/bips @ 7fe0b034 bip-0173.mediawiki "Test vectors" and
//     bip-0350.mediawiki "Test vectors for Bech32m" / "…v0-v16 native segregated witness addresses";
//   bitcoin-p2pkh-base58check.json — bitcoinjs/ecpair @ 0550de70 test/fixtures/ecpair.json
//     (private key → P2PKH) and bitcoin/bitcoin @ 1010c48a src/test/data/key_io_valid.json (P2PKH).
// Differential: our addresses (written on @scure/base + @noble/hashes) against @scure/btc-signer's
// own p2wpkh / p2pkh / Address decoder, on every network.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { numberToBytesBE } from '@noble/curves/utils.js'
import { bech32, bech32m } from '@scure/base'
import { Address, NETWORK, OutScript, TEST_NETWORK, p2pkh, p2wpkh } from '@scure/btc-signer'
import { parseBitcoinAddress, p2pkhAddress, p2wpkhAddress, hash160 } from '../../../crypto/custody/bitcoin-address.ts'
import { BITCOIN_NETWORKS, type BitcoinNetwork } from '../../../crypto/custody/bitcoin-network.ts'
import { hex, readSharedJson, toHex } from '../../vectors.ts'

const N = secp256k1.Point.CURVE().n
const throwsNamed = (fn: () => unknown, name: string, label = ''): void => {
  try { fn() } catch (err) { assert.is((err as Error).name, name, label); return }
  assert.unreachable(`expected ${name}: ${label}`)
}
const networkOfHrp = (address: string): BitcoinNetwork => address.toLowerCase().startsWith('bc1') ? 'mainnet' : 'testnet'

interface SegwitValid { address: string, scriptPubKey: string, witnessVersion: number, validUnderBip350?: boolean }
interface Invalid { address?: string, string?: string, reason: string }
interface BipSection { valid_strings: string[], invalid_strings: Invalid[], valid_segwit_addresses: SegwitValid[], invalid_segwit_addresses: Invalid[] }
const bips = readSharedJson<{ bip173: BipSection, bip350: BipSection }>('bip173-bip350-addresses.json')

if (bips === undefined) {
  test.skip('BIP-173 / BIP-350 vectors (shared vectors absent)', () => {})
} else {
  test('BIP-350 valid segwit addresses decode to the given scriptPubKey and version', () => {
    assert.is(bips.bip350.valid_segwit_addresses.length, 8)
    for (const v of bips.bip350.valid_segwit_addresses) {
      const parsed = parseBitcoinAddress(v.address, networkOfHrp(v.address))
      assert.is(parsed.type, 'witness', v.address)
      assert.is(parsed.witnessVersion, v.witnessVersion, v.address)
      assert.is(toHex(parsed.scriptPubKey), v.scriptPubKey, v.address)
    }
  })

  test('BIP-350 invalid segwit addresses are InvalidAddressError on mainnet and testnet', () => {
    assert.is(bips.bip350.invalid_segwit_addresses.length, 15)
    for (const v of bips.bip350.invalid_segwit_addresses) {
      for (const network of ['mainnet', 'testnet'] as const) throwsNamed(() => parseBitcoinAddress(v.address!, network), 'InvalidAddressError', `${v.address!}: ${v.reason}`)
    }
  })

  test('BIP-173 segwit addresses: v0 still valid, v1+ (Bech32-checksummed) rejected under BIP-350, invalid ones rejected', () => {
    let rejected = 0
    for (const v of bips.bip173.valid_segwit_addresses) {
      const network = networkOfHrp(v.address)
      if (v.validUnderBip350 === true) {
        assert.is(toHex(parseBitcoinAddress(v.address, network).scriptPubKey), v.scriptPubKey, v.address)
      } else {
        assert.ok(v.witnessVersion >= 1)
        throwsNamed(() => parseBitcoinAddress(v.address, network), 'InvalidAddressError', v.address)
        rejected++
      }
    }
    assert.is(rejected, 3)
    for (const v of bips.bip173.invalid_segwit_addresses) {
      for (const network of ['mainnet', 'testnet'] as const) throwsNamed(() => parseBitcoinAddress(v.address!, network), 'InvalidAddressError', `${v.address!}: ${v.reason}`)
    }
  })

  test('checksum-level strings: Bech32 valid strings decode as Bech32 only, Bech32m ones as Bech32m only; invalid ones as neither', () => {
    // These test the @scure/base primitive our decoder stands on (BIP-350: each valid string is
    // invalid under the other checksum constant).
    for (const [section, right, wrong] of [[bips.bip173, bech32, bech32m], [bips.bip350, bech32m, bech32]] as const) {
      for (const s of section.valid_strings) {
        assert.ok(right.decodeUnsafe(s) !== undefined, s)
        assert.ok(wrong.decodeUnsafe(s) === undefined, s)
      }
      for (const v of section.invalid_strings) {
        assert.ok(right.decodeUnsafe(v.string!) === undefined, `${v.string!}: ${v.reason}`)
        assert.ok(wrong.decodeUnsafe(v.string!) === undefined, `${v.string!}: ${v.reason}`)
      }
    }
  })
}

interface KeyToAddress { privateKey: string, compressed: boolean, network: 'bitcoin' | 'testnet', publicKey: string, address: string, scriptPubKey: string }
interface KeyIoP2pkh { address: string, scriptPubKey: string, chain: 'main' | 'testnet4' | 'signet' | 'regtest' }
const p2pkhVectors = readSharedJson<{ privateKeyToAddress: KeyToAddress[], keyIoValid: { p2pkh: KeyIoP2pkh[] } }>('bitcoin-p2pkh-base58check.json')
const chainNetwork = { main: 'mainnet', testnet4: 'testnet', signet: 'signet', regtest: 'regtest' } as const

if (p2pkhVectors === undefined) {
  test.skip('P2PKH Base58Check vectors (shared vectors absent)', () => {})
} else {
  test('bitcoinjs/ecpair: private key → public key → P2PKH address (compressed and uncompressed, both networks)', () => {
    assert.is(p2pkhVectors.privateKeyToAddress.length, 8)
    for (const v of p2pkhVectors.privateKeyToAddress) {
      const publicKey = secp256k1.getPublicKey(hex(v.privateKey), v.compressed)
      assert.is(toHex(publicKey), v.publicKey)
      const network = v.network === 'bitcoin' ? 'mainnet' : 'testnet'
      assert.is(p2pkhAddress(publicKey, network), v.address)
      const parsed = parseBitcoinAddress(v.address, network)
      assert.is(parsed.type, 'p2pkh')
      assert.is(toHex(parsed.program), toHex(hash160(publicKey)))
      assert.is(toHex(parsed.scriptPubKey), v.scriptPubKey)
    }
  })

  test('Bitcoin Core key_io_valid.json: P2PKH address ↔ scriptPubKey on main, testnet4, signet, regtest', () => {
    assert.is(p2pkhVectors.keyIoValid.p2pkh.length, 11)
    for (const v of p2pkhVectors.keyIoValid.p2pkh) {
      const parsed = parseBitcoinAddress(v.address, chainNetwork[v.chain])
      assert.is(parsed.type, 'p2pkh', v.address)
      assert.is(toHex(parsed.scriptPubKey), v.scriptPubKey, v.address)
      // The other family's version byte is rejected.
      throwsNamed(() => parseBitcoinAddress(v.address, v.chain === 'main' ? 'testnet' : 'mainnet'), 'InvalidAddressError', v.address)
    }
  })
}

const REGTEST_NETWORK = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef }
const btcSignerNetwork = { mainnet: NETWORK, testnet: TEST_NETWORK, signet: TEST_NETWORK, regtest: REGTEST_NETWORK } as const

test('differential with @scure/btc-signer: p2wpkh, p2pkh and the decoded output scripts, every network', () => {
  fc.assert(fc.property(fc.bigInt({ min: 1n, max: N - 1n }), fc.constantFrom(...BITCOIN_NETWORKS), (k, network) => {
    const publicKey = secp256k1.getPublicKey(numberToBytesBE(k, 32), true)
    const net = btcSignerNetwork[network]
    const wpkh = p2wpkhAddress(publicKey, network)
    const pkh = p2pkhAddress(publicKey, network)
    assert.is(wpkh, p2wpkh(publicKey, net).address)
    assert.is(pkh, p2pkh(publicKey, net).address)
    for (const address of [wpkh, pkh]) {
      assert.is(toHex(parseBitcoinAddress(address, network).scriptPubKey), toHex(OutScript.encode(Address(net).decode(address))))
    }
  }), { numRuns: 80 })
})

test('known answer: key 1 (G) → bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 (the BIP-173 example program) and 1BgGZ…', () => {
  const G = secp256k1.getPublicKey(numberToBytesBE(1n, 32), true)
  assert.is(p2wpkhAddress(G, 'mainnet'), 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')
  assert.is(p2wpkhAddress(G, 'testnet'), 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx')
  assert.is(p2wpkhAddress(G, 'signet'), p2wpkhAddress(G, 'testnet'))
  assert.ok(p2wpkhAddress(G, 'regtest').startsWith('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7k'))
  assert.is(p2pkhAddress(G, 'mainnet'), '1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH')
})

test('wrong network: HRP or version byte of another network, and unknown HRPs, are InvalidAddressError', () => {
  const G = secp256k1.getPublicKey(numberToBytesBE(1n, 32), true)
  const main = p2wpkhAddress(G, 'mainnet')
  const test4 = p2wpkhAddress(G, 'testnet')
  const reg = p2wpkhAddress(G, 'regtest')
  throwsNamed(() => parseBitcoinAddress(main, 'testnet'), 'InvalidAddressError')
  throwsNamed(() => parseBitcoinAddress(test4, 'mainnet'), 'InvalidAddressError')
  throwsNamed(() => parseBitcoinAddress(test4, 'regtest'), 'InvalidAddressError')
  throwsNamed(() => parseBitcoinAddress(reg, 'testnet'), 'InvalidAddressError')
  assert.is(parseBitcoinAddress(reg, 'regtest').type, 'witness')
  assert.is(parseBitcoinAddress(test4, 'signet').type, 'witness')
  throwsNamed(() => parseBitcoinAddress(p2pkhAddress(G, 'mainnet'), 'regtest'), 'InvalidAddressError')
  throwsNamed(() => parseBitcoinAddress(bech32.encode('ltc', [0, ...bech32.toWords(hash160(G))]), 'mainnet'), 'InvalidAddressError')
})

test('malformed strings: mixed case, bad checksum, empty, garbage, over-long', () => {
  const G = secp256k1.getPublicKey(numberToBytesBE(1n, 32), true)
  const main = p2wpkhAddress(G, 'mainnet')
  assert.is(parseBitcoinAddress(main.toUpperCase(), 'mainnet').type, 'witness')
  throwsNamed(() => parseBitcoinAddress('bc1QW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'mainnet'), 'InvalidAddressError')
  throwsNamed(() => parseBitcoinAddress(main.slice(0, -1) + (main.endsWith('q') ? 'p' : 'q'), 'mainnet'), 'InvalidAddressError')
  const pkh = p2pkhAddress(G, 'mainnet')
  throwsNamed(() => parseBitcoinAddress(pkh.slice(0, -1) + (pkh.endsWith('H') ? 'J' : 'H'), 'mainnet'), 'InvalidAddressError')
  for (const s of ['', '1', 'bc1', 'not an address', 'bc1' + 'q'.repeat(100), '0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf']) {
    throwsNamed(() => parseBitcoinAddress(s, 'mainnet'), 'InvalidAddressError', s)
  }
  assert.throws(() => parseBitcoinAddress(42 as unknown as string, 'mainnet'), (e: Error) => e instanceof TypeError)
  assert.throws(() => parseBitcoinAddress(main, 'litecoin' as BitcoinNetwork), (e: Error) => e instanceof TypeError)
})

test('bad keys: off-curve, wrong length, uncompressed for P2WPKH are InvalidKeyError', () => {
  const off = Uint8Array.from([2, ...numberToBytesBE(5n, 32)])
  const U = secp256k1.getPublicKey(numberToBytesBE(1n, 32), false)
  throwsNamed(() => p2wpkhAddress(off, 'mainnet'), 'InvalidKeyError')
  throwsNamed(() => p2pkhAddress(off, 'mainnet'), 'InvalidKeyError')
  throwsNamed(() => p2wpkhAddress(U, 'mainnet'), 'InvalidKeyError')
  throwsNamed(() => p2wpkhAddress(new Uint8Array(32), 'mainnet'), 'InvalidKeyError')
  throwsNamed(() => p2pkhAddress(new Uint8Array(64), 'mainnet'), 'InvalidKeyError')
  assert.is(p2pkhAddress(U, 'mainnet'), '1EHNa6Q4Jz2uvNExL497mE43ikXhwF6kZm')
})

test.run()
