// crypto/custody/ethereum-address.ts: Ethereum addresses and EIP-55. Known answers from
// ../shared/vectors/eip55.json (see its README): the 8 EIP-55 test addresses of ethereum/ERCs
// @ 9c718c7c ERCS/erc-55.md "Test Cases", and 5 private key → address pairs of ethers.js
// @ 98c49d09 testcases/accounts.json.gz.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { numberToBytesBE } from '@noble/curves/utils.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { ethereumAddress, isValidEip55, parseEthereumAddress, toChecksumAddress } from '../../../crypto/custody/ethereum-address.ts'
import { hex, readSharedJson, toHex } from '../../vectors.ts'

const N = secp256k1.Point.CURVE().n
const throwsNamed = (fn: () => unknown, name: string, label = ''): void => {
  try { fn() } catch (err) { assert.is((err as Error).name, name, label); return }
  assert.unreachable(`expected ${name}: ${label}`)
}
/** Flips the case of the first letter a–f in the 40 hex digits (an address with a wrong checksum). */
function flipOneLetter (address: string): string | undefined {
  for (let i = 2; i < address.length; i++) {
    const c = address[i]!
    if (/[a-fA-F]/.test(c)) return address.slice(0, i) + (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) + address.slice(i + 1)
  }
  return undefined
}

interface Eip55 { eip55: Array<{ address: string, group: string }>, privateKeyToAddress: Array<{ name: string, privateKey: string, address: string }> }
const vectors = readSharedJson<Eip55>('eip55.json')

if (vectors === undefined) {
  test.skip('EIP-55 vectors (shared vectors absent)', () => {})
} else {
  test('EIP-55 test cases: every address is valid, re-checksums to itself, and a flipped letter case fails', () => {
    assert.is(vectors.eip55.length, 8)
    for (const { address, group } of vectors.eip55) {
      assert.ok(isValidEip55(address), address)
      const bytes = parseEthereumAddress(address)
      assert.is(toHex(bytes), address.slice(2).toLowerCase())
      assert.is(toChecksumAddress(bytes), address)
      const flipped = flipOneLetter(address)!
      assert.not.ok(isValidEip55(flipped), flipped)
      throwsNamed(() => parseEthereumAddress(flipped), 'InvalidAddressError', flipped)
      if (group === 'Normal') {
        assert.not.ok(isValidEip55('0x' + address.slice(2).toLowerCase()))
        assert.not.ok(isValidEip55('0x' + address.slice(2).toUpperCase()))
      }
    }
  })

  test('ethers.js accounts: private key → address, from the compressed and the uncompressed public key', () => {
    assert.is(vectors.privateKeyToAddress.length, 5)
    for (const v of vectors.privateKeyToAddress) {
      const k = hex(v.privateKey.slice(2))
      assert.is(ethereumAddress(secp256k1.getPublicKey(k, true)), v.address, v.name)
      assert.is(ethereumAddress(secp256k1.getPublicKey(k, false)), v.address, v.name)
    }
  })
}

test('property: address = EIP-55(last 20 bytes of keccak256(X ‖ Y)), computed from noble directly', () => {
  fc.assert(fc.property(fc.bigInt({ min: 1n, max: N - 1n }), (k) => {
    const point = secp256k1.Point.BASE.multiply(k)
    const address = ethereumAddress(point.toBytes(true))
    assert.is(address.slice(2).toLowerCase(), toHex(keccak_256(point.toBytes(false).subarray(1)).subarray(12)))
    assert.ok(isValidEip55(address))
  }), { numRuns: 60 })
})

test('malformed addresses: no 0x, wrong length, non-hex, wrong type', () => {
  const good = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
  for (const bad of [good.slice(2), good.slice(0, -1), good + 'd', '0X' + good.slice(2), good.slice(0, -1) + 'g', '', '0x']) {
    assert.not.ok(isValidEip55(bad), bad)
    throwsNamed(() => parseEthereumAddress(bad), 'InvalidAddressError', bad)
  }
  assert.not.ok(isValidEip55(42 as unknown as string))
  assert.throws(() => toChecksumAddress(new Uint8Array(19)), (e: Error) => e instanceof RangeError)
})

test('bad keys are InvalidKeyError', () => {
  throwsNamed(() => ethereumAddress(Uint8Array.from([2, ...numberToBytesBE(5n, 32)])), 'InvalidKeyError')
  throwsNamed(() => ethereumAddress(new Uint8Array(64)), 'InvalidKeyError')
  const U = secp256k1.getPublicKey(numberToBytesBE(3n, 32), false); U[64]! ^= 1
  throwsNamed(() => ethereumAddress(U), 'InvalidKeyError')
})

test.run()
