// Known answers for crypto/mpin/mpin.ts on BLS12-381: all 150 tests of Apache Milagro's
// testVectors/mpin/BLS381.json (apache/incubator-milagro-crypto-c @ 4ede6268ff821692159526cdb48f7ea48b6580e8,
// read from ../shared/vectors/mpin-BLS381.json; see its README). The protocol is M. Scott,
// "M-Pin: A Multi-Factor Zero Knowledge Authentication Protocol" (CertiVox / MIRACL white paper).
// Tests 1–100 authenticate (AuthResult 0); 101–150 log in with PIN2 ≠ PIN1 (AuthResult −19,
// Milagro's MPIN_BAD_PIN). These vectors have no time permits.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hex, readSharedJson, toHex } from '../../vectors.ts'
import { loadCurve } from '../../../crypto/mpin/curves.ts'
import { hashId } from '../../../crypto/mpin/map.ts'
import {
  client1, client2, clientSecretShare, extractPin, recombineG1, recombineG2, serverSecretShare, serverVerify
} from '../../../crypto/mpin/mpin.ts'

interface Bls381Vector {
  TEST: number, CURVE: string, MPINId: string, MS1: string, MS2: string, PIN1: number, PIN2: number,
  SS1: string, SS2: string, SS: string, CS1: string, CS2: string, CS: string, TOKEN: string,
  X: string, U: string, Y: string, V: string, AuthResult: number
}

const vectors = readSharedJson<Bls381Vector[]>('mpin-BLS381.json')

if (vectors === undefined) {
  test.skip('Milagro BLS381 M-Pin vectors (mpin-BLS381.json absent)', () => {})
} else {
  test('the file holds the 150 upstream tests, 100 accepting and 50 rejecting', () => {
    assert.is(vectors.length, 150)
    assert.is(vectors.filter((v) => v.AuthResult === 0).length, 100)
    assert.is(vectors.filter((v) => v.AuthResult === -19).length, 50)
    assert.ok(vectors.every((v) => v.CURVE === 'bls381'))
  })

  test('all 150 tests reproduce SS1 SS2 SS CS1 CS2 CS TOKEN U V and AuthResult', async () => {
    const curve = await loadCurve('BLS12-381')
    let accepted = 0
    let rejected = 0
    for (const v of vectors) {
      const where = `TEST ${v.TEST}`
      const hid = hashId(curve, hex(v.MPINId))
      const ss1 = serverSecretShare(curve, hex(v.MS1))
      const ss2 = serverSecretShare(curve, hex(v.MS2))
      assert.is(toHex(ss1), v.SS1, `${where} SS1`)
      assert.is(toHex(ss2), v.SS2, `${where} SS2`)
      const ss = recombineG2(curve, [ss1, ss2])
      assert.is(toHex(ss), v.SS, `${where} SS`)
      const cs1 = clientSecretShare(curve, hex(v.MS1), hid)
      const cs2 = clientSecretShare(curve, hex(v.MS2), hid)
      assert.is(toHex(cs1), v.CS1, `${where} CS1`)
      assert.is(toHex(cs2), v.CS2, `${where} CS2`)
      const cs = recombineG1(curve, [cs1, cs2])
      assert.is(toHex(cs), v.CS, `${where} CS`)
      const token = extractPin(curve, cs, hid, v.PIN1)
      assert.is(toHex(token), v.TOKEN, `${where} TOKEN`)
      const pass1 = client1(curve, { hashedId: hid, pin: v.PIN2, token, x: hex(v.X) })
      assert.is(toHex(pass1.U), v.U, `${where} U`)
      assert.is(pass1.UT, undefined)
      const V = client2(curve, pass1.x, hex(v.Y), pass1.sec)
      assert.is(toHex(V), v.V, `${where} V`)
      let result = 0
      try {
        serverVerify(curve, { serverSecret: ss, hashedId: hid, U: pass1.U, y: hex(v.Y), V })
      } catch (err) {
        assert.is((err as Error).name, 'BadPinError', `${where} error`)
        result = (err as { code: number }).code
      }
      assert.is(result, v.AuthResult, `${where} AuthResult`)
      if (result === 0) accepted++
      else rejected++
    }
    assert.is(accepted, 100)
    assert.is(rejected, 50)
  })
}

test.run()
