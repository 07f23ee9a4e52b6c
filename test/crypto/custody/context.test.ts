// crypto/custody/context.ts: the key-context encoding (exact bytes) and the BIP-340-style tagged
// hash, checked against @noble/curves' own schnorr.utils.taggedHash.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { schnorr } from '@noble/curves/secp256k1.js'
import { encodeKeyContext, tagPrefix, taggedHash, TAG_POP } from '../../../crypto/custody/context.ts'
import { toHex } from '../../vectors.ts'

const enc = new TextEncoder()

test('encodeKeyContext: u16be length-prefixed orderId ‖ role ‖ party, exact bytes', () => {
  const bytes = encodeKeyContext({ orderId: 'o1', role: 'fiduciary', party: Uint8Array.of(0xaa, 0xbb) })
  assert.is(toHex(bytes), '0002' + toHex(enc.encode('o1')) + '0009' + toHex(enc.encode('fiduciary')) + '0002aabb')
})

test('a string field is its UTF-8 bytes; moving bytes between fields changes the encoding', () => {
  const a = encodeKeyContext({ orderId: 'é1', role: 'beneficiary', party: 'bafy' })
  const b = encodeKeyContext({ orderId: enc.encode('é1'), role: 'beneficiary', party: enc.encode('bafy') })
  assert.is(toHex(a), toHex(b))
  const c = encodeKeyContext({ orderId: 'ab', role: 'beneficiary', party: 'c' })
  const d = encodeKeyContext({ orderId: 'a', role: 'beneficiary', party: 'bc' })
  assert.is.not(toHex(c), toHex(d))
})

test('rejects empty or over-long fields and unknown roles (programmer errors)', () => {
  assert.throws(() => encodeKeyContext({ orderId: '', role: 'fiduciary', party: 'p' }), (e: Error) => e instanceof RangeError)
  assert.throws(() => encodeKeyContext({ orderId: 'o', role: 'fiduciary', party: new Uint8Array(65536) }), (e: Error) => e instanceof RangeError)
  encodeKeyContext({ orderId: 'o', role: 'fiduciary', party: new Uint8Array(65535) })
  assert.throws(() => encodeKeyContext({ orderId: 'o', role: 'principal' as 'fiduciary', party: 'p' }), (e: Error) => e instanceof TypeError)
})

test('taggedHash equals BIP-340 taggedHash of @noble/curves', () => {
  const m1 = Uint8Array.of(1, 2, 3)
  const m2 = new Uint8Array(40).fill(9)
  assert.is(toHex(taggedHash(tagPrefix(TAG_POP), m1, m2)), toHex(schnorr.utils.taggedHash(TAG_POP, m1, m2)))
})

test.run()
