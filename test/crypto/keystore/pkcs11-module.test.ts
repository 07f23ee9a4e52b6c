// PKCS#11 module leases (reference-counted C_Initialize / C_Finalize) and the mapping of CK_RV
// values to typed errors.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pkcs11js from 'pkcs11js'
import { acquireModule, ckrName, codeOf, isSessionLost, loginError, toTokenError } from '../../../crypto/keystore/pkcs11-module.ts'
import { createSoftHsm, hasSoftHsm } from '../../fixtures/softhsm.ts'

const rv = (name: keyof typeof pkcs11js): InstanceType<typeof pkcs11js.Pkcs11Error> => {
  const code = pkcs11js[name] as number
  return new pkcs11js.Pkcs11Error(`${name}:${code}`, code, 'C_Test')
}

test('ckrName / codeOf', () => {
  assert.is(ckrName(pkcs11js.CKR_PIN_INCORRECT), 'CKR_PIN_INCORRECT')
  assert.is(ckrName(0x0fffffff), 'CKR_0xfffffff')
  assert.is(codeOf(rv('CKR_PIN_LOCKED')), pkcs11js.CKR_PIN_LOCKED)
  assert.is(codeOf(new Error('CKR_PIN_LOCKED:164')), undefined)
})

test('loginError: PIN failures → WrongPinError / PinLockedError, others → TokenError', () => {
  for (const name of ['CKR_PIN_INCORRECT', 'CKR_PIN_INVALID', 'CKR_PIN_LEN_RANGE'] as const) {
    const e = loginError(rv(name))
    assert.is(e.name, 'WrongPinError', name)
    assert.is((e.cause as { code: number }).code, pkcs11js[name])
  }
  assert.is(loginError(rv('CKR_PIN_LOCKED')).name, 'PinLockedError')
  const other = loginError(rv('CKR_DEVICE_ERROR'))
  assert.is(other.name, 'TokenError')
  assert.is(other.message, 'C_Login failed: CKR_DEVICE_ERROR')
  assert.is((other as { code?: number }).code, pkcs11js.CKR_DEVICE_ERROR)
})

test('isSessionLost: exactly the codes after which a new session can help', () => {
  for (const name of ['CKR_SESSION_HANDLE_INVALID', 'CKR_SESSION_CLOSED', 'CKR_DEVICE_REMOVED', 'CKR_TOKEN_NOT_PRESENT', 'CKR_USER_NOT_LOGGED_IN'] as const) {
    assert.ok(isSessionLost(rv(name)), name)
  }
  for (const name of ['CKR_GENERAL_ERROR', 'CKR_PIN_INCORRECT', 'CKR_KEY_HANDLE_INVALID', 'CKR_ENCRYPTED_DATA_INVALID'] as const) {
    assert.not.ok(isSessionLost(rv(name)), name)
  }
  assert.not.ok(isSessionLost(new Error('x')))
})

test('toTokenError keeps non-PKCS#11 errors as they are', () => {
  const plain = new RangeError('x')
  assert.is(toTokenError(plain, 'C_X'), plain)
  assert.is(toTokenError(rv('CKR_ARGUMENTS_BAD'), 'C_X').message, 'C_X failed: CKR_ARGUMENTS_BAD')
})

test('acquireModule: a missing path, a directory or a non-library → ModuleNotFoundError', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'milagro-p11mod-'))
  try {
    await writeFile(join(dir, 'fake.so'), 'not an ELF file')
    for (const path of [join(dir, 'absent.so'), dir, join(dir, 'fake.so')]) {
      await rejects(acquireModule(path), { name: 'ModuleNotFoundError' }, path)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

if (hasSoftHsm()) {
  test('acquireModule: leases share one initialisation; the last release finalizes', async () => {
    const hsm = await createSoftHsm()
    try {
      const token = await hsm.initToken()
      const a = await acquireModule(hsm.module)
      const b = await acquireModule(hsm.module)
      assert.is(a.p11, b.p11)
      a.release()
      a.release() // a second release of the same lease is a no-op
      const labels = b.p11.C_GetSlotList(true).map((s) => b.p11.C_GetTokenInfo(s).label.trimEnd())
      assert.ok(labels.includes(token.label), 'module still initialised for the other lease')
      b.release()
      // finalized: a fresh instance initialises without CKR_CRYPTOKI_ALREADY_INITIALIZED
      const p11 = new pkcs11js.PKCS11()
      p11.load(hsm.module)
      p11.C_Initialize()
      p11.C_Finalize()
      p11.close()
    } finally {
      await hsm.remove()
    }
  })
} else {
  console.log('SKIP: SoftHSM2 is not installed; the module lease test is skipped')
  test.skip('acquireModule: leases share one initialisation; the last release finalizes', () => {})
}

test.run()
