// crypto/threshold/child.ts: non-hardened BIP-32 children of the wallet key.
// Known answers: BIP-32 "Test vector 1" (https://github.com/bitcoin/bips/blob/master/bip-0032.mediawiki),
// its three non-hardened steps m/0H → m/0H/1, m/0H/1/2H → m/0H/1/2H/2 and
// m/0H/1/2H/2 → m/0H/1/2H/2/1000000000: from the parent's published xpub (public derivation) and
// xprv (private derivation) we must reach the child's published keys. Differential: CKDpub written
// out with noble's HMAC-SHA512 in the test. Properties: child private key · G = child public key;
// with a DKG, the beneficiary's w = b + y derives the children of W = B + Y.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fc from 'fast-check'
import { HDKey } from '@scure/bip32'
import { hmac } from '@noble/hashes/hmac.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js'
import { bytesToNumberBE } from '@noble/curves/utils.js'
import { TAG_CHAIN_CODE, childPrivateKey, childPublicKey, walletChainCode } from '../../../crypto/threshold/child.ts'
import { combineShares, groupPublicKey } from '../../../crypto/threshold/dkg.ts'
import { interpolate } from '../../../crypto/threshold/lagrange.ts'
import { N, pub, range, scalar, simulateDkg, throwsNamed, toHex } from './fixtures.ts'

// BIP-32, Test vector 1 (seed 000102030405060708090a0b0c0d0e0f), published ext pub / ext prv.
const TV1 = {
  'm/0H': {
    xpub: 'xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw',
    xprv: 'xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7'
  },
  'm/0H/1': {
    xpub: 'xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ',
    xprv: 'xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs'
  },
  'm/0H/1/2H': {
    xpub: 'xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5',
    xprv: 'xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM'
  },
  'm/0H/1/2H/2': {
    xpub: 'xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV',
    xprv: 'xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334'
  },
  'm/0H/1/2H/2/1000000000': {
    xpub: 'xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy',
    xprv: 'xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76'
  }
} as const
const STEPS = [['m/0H', 1, 'm/0H/1'], ['m/0H/1/2H', 2, 'm/0H/1/2H/2'], ['m/0H/1/2H/2', 1000000000, 'm/0H/1/2H/2/1000000000']] as const

test('BIP-32 test vector 1: the non-hardened steps, from the published parent xpub and xprv', () => {
  for (const [parentPath, index, childPath] of STEPS) {
    const parentPub = HDKey.fromExtendedKey(TV1[parentPath].xpub)
    const parentPrv = HDKey.fromExtendedKey(TV1[parentPath].xprv)
    const child = HDKey.fromExtendedKey(TV1[childPath].xpub)
    const childPrv = HDKey.fromExtendedKey(TV1[childPath].xprv)
    assert.is(toHex(childPublicKey(parentPub.publicKey!, parentPub.chainCode!, index)), toHex(child.publicKey!), childPath)
    assert.is(toHex(childPrivateKey(parentPrv.privateKey!, parentPrv.chainCode!, index)), toHex(childPrv.privateKey!), childPath)
  }
})

/** BIP-32 CKDpub written out: I = HMAC-SHA512(c, K ‖ ser32(i)); K_i = K + parse256(I_L)·G. */
function ckdPub (K: Uint8Array, c: Uint8Array, i: number): Uint8Array {
  const data = new Uint8Array(37)
  data.set(K)
  new DataView(data.buffer).setUint32(33, i)
  const IL = bytesToNumberBE(hmac(sha512, c, data).subarray(0, 32))
  return secp256k1.Point.fromBytes(K).add(secp256k1.Point.BASE.multiply(IL)).toBytes(true)
}

test('property: child private key · G = child public key = CKDpub written out', () => {
  const chainCode = walletChainCode(new TextEncoder().encode('order-7'), pub(scalar(99n)))
  fc.assert(fc.property(fc.bigInt({ min: 1n, max: N - 1n }), fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(0, 1, 2 ** 31 - 1)), (w, i) => {
    const W = pub(scalar(w))
    const K = childPublicKey(W, chainCode, i)
    assert.is(toHex(pub(childPrivateKey(scalar(w), chainCode, i))), toHex(K))
    assert.is(toHex(K), toHex(ckdPub(W, chainCode, i)))
  }), { numRuns: 40 })
})

test('walletChainCode: tagged hash of the length-prefixed context and the wallet key', () => {
  const W = pub(scalar(5n))
  const ctx = new TextEncoder().encode('order-42')
  const c = walletChainCode(ctx, W)
  assert.is(c.length, 32)
  assert.is(toHex(c), toHex(schnorr.utils.taggedHash(TAG_CHAIN_CODE, Uint8Array.of(0, 8), ctx, W)))
  assert.is.not(toHex(walletChainCode(new TextEncoder().encode('order-43'), W)), toHex(c))
  assert.is.not(toHex(walletChainCode(ctx, pub(scalar(6n)))), toHex(c))
  throwsNamed(() => walletChainCode(new Uint8Array(0), W), 'ThresholdParameterError')
  throwsNamed(() => walletChainCode(ctx, new Uint8Array(33)), 'ThresholdEncodingError')
})

test('with a DKG: b + y derives the children of B + Y; distinct indices give distinct keys', () => {
  const dkg = simulateDkg(2, 3)
  const Y = groupPublicKey(dkg.dealings.map((d) => d.commitments))
  const b = scalar(0xbeefn)
  const W = groupPublicKey([[pub(b)], [Y]])
  const y = interpolate([{ index: 1, share: dkg.combined[0]! }, { index: 3, share: dkg.combined[2]! }])
  const w = combineShares([b, y])
  assert.is(toHex(pub(w)), toHex(W))
  const c = walletChainCode(new TextEncoder().encode('order-42'), W)
  const keys = range(0, 9).map((i) => childPublicKey(W, c, i))
  keys.forEach((K, i) => assert.is(toHex(pub(childPrivateKey(w, c, i))), toHex(K)))
  assert.is(new Set(keys.map(toHex)).size, 10)
})

test('errors: hardened and invalid indices, bad chain code, bad keys', () => {
  const W = pub(scalar(5n))
  const c = new Uint8Array(32).fill(1)
  for (const i of [2 ** 31, 2 ** 32 - 1, 2 ** 32]) {
    throwsNamed(() => childPublicKey(W, c, i), 'ThresholdParameterError')
    throwsNamed(() => childPrivateKey(scalar(5n), c, i), 'ThresholdParameterError')
  }
  for (const i of [-1, 1.5, Number.NaN]) throwsNamed(() => childPublicKey(W, c, i), 'ThresholdParameterError')
  throwsNamed(() => childPublicKey(W, c.subarray(1), 0), 'ThresholdEncodingError')
  throwsNamed(() => childPublicKey(new Uint8Array(33), c, 0), 'ThresholdEncodingError')
  throwsNamed(() => childPublicKey(secp256k1.Point.BASE.toBytes(false), c, 0), 'ThresholdEncodingError')
  throwsNamed(() => childPrivateKey(scalar(0n), c, 0), 'ThresholdEncodingError')
  throwsNamed(() => childPrivateKey(new Uint8Array(32).fill(0xff), c, 0), 'ThresholdEncodingError')
})

test.run()
