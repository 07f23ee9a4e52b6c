// A node's key store on a PKCS#11 token that another key store of the same process is logged in to.
// A token's login state belongs to the process (PKCS#11: C_Login on a second session of a logged-in
// token returns CKR_USER_ALREADY_LOGGED_IN without looking at the PIN), and the key store shares
// one module and one login per token between its stores (crypto/keystore/pkcs11-module.ts). Two
// homes on one token in one process — an operator's nodes sharing an HSM partition, in-process
// simulations — must still each prove their PIN: a node started with a wrong PIN while the other
// runs fails with NodeKeysLockedError caused by WrongPinError (its key store alone: WrongPinError),
// its home unchanged, and the running node goes on working; with the right PIN it starts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rejects } from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initHome, openHome } from '../../../node/home.ts'
import { silentLogger } from '../../../node/logger.ts'
import { keyStoreFor } from '../../../node/services/keystore.ts'
import { createSoftHsm, type SoftHsm, type SoftHsmToken } from '../../fixtures/softhsm.ts'
import { snapshotTree, startPkcs11Node, startWithWrongPin, stopAll, type Pkcs11Home, type Pkcs11Node, skippedWithoutSoftHsm } from './pkcs11-harness.ts'

const SERVICES = { mpin: false, safeguard: false, threshold: false } as const

if (!skippedWithoutSoftHsm('two nodes on one SoftHSM2 token in one process: each proves its PIN', 'two nodes on one PKCS#11 token are not tested')) {
  let hsm: SoftHsm
  let token: SoftHsmToken
  let base: string
  const homes: Pkcs11Home[] = []
  let running: Pkcs11Node | undefined

  test.before(async () => {
    hsm = await createSoftHsm()
    token = await hsm.initToken({ label: 'milagro-shared' })
    base = await mkdtemp(join(tmpdir(), 'milagro-shared-token-'))
    for (const name of ['first', 'second']) {
      const pinEnv = `MILAGRO_TEST_PIN_SHARED_${name.toUpperCase()}`
      process.env[pinEnv] = token.pin
      const dir = join(base, name, 'home')
      const home = await initHome(dir, { name, listen: ['/ip4/127.0.0.1/tcp/0'], services: ['custody'], keystore: { backend: 'pkcs11', module: hsm.module, tokenLabel: token.label, pinEnv } })
      homes.push({ name, dir, cid: home.keys.identity.cid, token, pinEnv })
    }
  })

  test.after(async () => {
    await stopAll([running], { remove: false })
    for (const h of homes) delete process.env[h.pinEnv]
    await rm(base, { recursive: true, force: true })
    await hsm?.remove()
  })

  test('while a node runs on the token, a second node on it with a wrong PIN is refused (NodeKeysLockedError / WrongPinError), its home unchanged; the first goes on working; the right PIN starts it', async () => {
    const [first, second] = homes as [Pkcs11Home, Pkcs11Home]
    running = await startPkcs11Node(first, SERVICES)
    const ks = running.services.keystore
    assert.is(ks?.backend, 'pkcs11')
    const kept = await ks?.generate('secp256k1')
    assert.ok(kept !== undefined)

    const before = await snapshotTree(second.dir)
    const failed = await startWithWrongPin(second, SERVICES)
    for (const err of [failed.harness, failed.start] as Array<Error | undefined>) {
      assert.is(err?.name, 'NodeKeysLockedError', 'a wrong PIN on a token the process is logged in to')
      assert.is((err?.cause as Error | undefined)?.name, 'WrongPinError')
    }
    assert.is((failed.keystore as Error | undefined)?.name, 'WrongPinError')
    assert.equal(await snapshotTree(second.dir), before, 'nothing in the home changed')

    // The refused starts did not end the running node's login.
    assert.equal(await ks?.publicPart(kept.handle), kept.publicPart)
    const fresh = await ks?.generate('generic')
    assert.is((await ks?.use(fresh?.handle as string, (s) => s.length)), 32)

    // The right PIN: the second node starts on the shared token while the first runs, and each stops on its own.
    const other = await startPkcs11Node(second, SERVICES)
    try {
      const mine = await other.services.keystore?.generate('secp256k1')
      assert.ok(mine !== undefined)
      await other.node.stop()
      assert.equal(await ks?.publicPart(kept.handle), kept.publicPart, 'the first node still works after the second stopped')
    } finally {
      await other.node.stop()
    }
  })

  test('a key store with a wrong PIN started while another store of the process is logged in to the token: WrongPinError; a wrong PIN after the last logout too', async () => {
    const [first, second] = homes as [Pkcs11Home, Pkcs11Home]
    await running?.node.stop() // its key store has the first home's records open: `right` opens them below
    const right = keyStoreFor(await openHome(first.dir), silentLogger())
    const wrongEnv = 'MILAGRO_TEST_PIN_SHARED_WRONG'
    process.env[wrongEnv] = token.pin === '1234567890' ? '0987654321' : '1234567890'
    try {
      const opened = await openHome(second.dir)
      const wrong = keyStoreFor({ ...opened, config: { ...opened.config, keystore: { backend: 'pkcs11', module: hsm.module, tokenLabel: token.label, pinEnv: wrongEnv } } }, silentLogger())
      await right.start()
      try {
        await rejects(wrong.start(), { name: 'WrongPinError' })
        await rejects(wrong.list(), { name: 'KeyStoreNotStartedError' })
        assert.ok((await right.list()).length > 0, 'the logged-in store still works')
      } finally {
        await right.stop()
      }
      await rejects(wrong.start(), { name: 'WrongPinError' })
    } finally {
      delete process.env[wrongEnv]
    }
  })

  test.run()
}
