// Key handles: format, canonical ids, rejection of everything else.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { isHandle, isSecretKind, newHandle, parseHandle } from '../../../crypto/keystore/handle.ts'
import { SECRET_KINDS } from '../../../crypto/keystore/types.ts'

test('newHandle: ks1:<kind>:<22 base64url chars>, parseable, unique', () => {
  const seen = new Set<string>()
  for (const kind of SECRET_KINDS) {
    for (let i = 0; i < 200; i++) {
      const h = newHandle(kind)
      assert.match(h.handle, new RegExp(`^ks1:${kind}:[A-Za-z0-9_-]{22}$`))
      assert.equal(parseHandle(h.handle), h)
      assert.ok(isHandle(h.handle))
      seen.add(h.handle)
    }
  }
  assert.is(seen.size, 800)
})

test('parseHandle: splits kind and id', () => {
  assert.equal(parseHandle('ks1:bls12-381-scalar:AAAAAAAAAAAAAAAAAAAAAA'), { handle: 'ks1:bls12-381-scalar:AAAAAAAAAAAAAAAAAAAAAA', kind: 'bls12-381-scalar', id: 'AAAAAAAAAAAAAAAAAAAAAA' })
  assert.is(parseHandle('ks1:generic:_-_-_-_-_-_-_-_-_-_-_w').id, '_-_-_-_-_-_-_-_-_-_-_w')
})

test('parseHandle: malformed → InvalidHandleError (non-canonical ids too)', () => {
  const bad: unknown[] = [
    '', 'ks1::AAAAAAAAAAAAAAAAAAAAAA', 'ks1:secp256k1:AAAAAAAAAAAAAAAAAAAAAB', 'ks1:secp256k1:AAAAAAAAAAAAAAAAAAAAA',
    'ks1:secp256k1:AAAAAAAAAAAAAAAAAAAAAAA', 'ks1:ed25519:AAAAAAAAAAAAAAAAAAAAAA', 'ks1:secp256k1:AAAAAAAAAAAAAAAAAAAAA=',
    'ks1:secp256k1:AAAAAAAAAAAAAAAAAAAAA/', 'ks1:secp256k1:AAAAAAAAAAAAAAAAAAAAAA ', 'ks1:Secp256k1:AAAAAAAAAAAAAAAAAAAAAA',
    'ks1:secp256k1:AAAAAAAAAAAAAAAAAAAAAA:x', 7, null, undefined, ['ks1:generic:AAAAAAAAAAAAAAAAAAAAAA']
  ]
  for (const b of bad) {
    assert.throws(() => parseHandle(b), (e: Error) => e.name === 'InvalidHandleError', String(b))
    assert.not.ok(isHandle(b), String(b))
  }
})

test('isSecretKind', () => {
  for (const k of SECRET_KINDS) assert.ok(isSecretKind(k))
  for (const k of ['', 'rsa', 'SECP256K1', 'toString', '__proto__', 1, undefined]) assert.not.ok(isSecretKind(k), String(k))
})

test.run()
