// Figures for the key stores (issue 7), so operators see what the HSM costs:
//   keystore.<backend>.wrap  import() of a 32-byte generic secret: validate, commit (SHA-256),
//                            seal under the KEK, write the record (one fsynced LevelDB write)
//   keystore.<backend>.use   use() of that secret with a no-op fn: read the record, unwrap,
//                            zero the buffer
//   keystore.<backend>.kek   the KEK alone: seal + open of 32 bytes, no disk — what the token
//                            itself costs, which wrap hides behind its fsync
// for backend = software (random KEK in a key file, AES-256-GCM on OpenSSL) and pkcs11 (AES-256-GCM
// by C_Encrypt / C_Decrypt inside a throw-away SoftHSM2 token). Each figure is time-bounded to
// about 1 s, awaiting one operation at a time, in a temp directory removed afterwards.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pkcs11Sealer, pkcs11KeyStore, type Pkcs11KeyStoreConfig } from '../../crypto/keystore/pkcs11.ts'
import type { Sealer } from '../../crypto/keystore/sealed-store.ts'
import { SoftwareSealer, softwareKeyStore, type SoftwareKeyStoreConfig } from '../../crypto/keystore/software.ts'
import type { KeyStore, KeyStoreLogger } from '../../crypto/keystore/types.ts'
import { createSoftHsm, hasSoftHsm } from '../../test/fixtures/softhsm.ts'
import { opsPerSecondAsync } from '../measure.ts'
import type { Report } from '../bench.ts'

export const figures = ['keystore.']

const quiet: KeyStoreLogger = { warn: () => {} }

async function measure (name: string, store: KeyStore, sealer: Sealer, report: Report): Promise<void> {
  const secret = new Uint8Array(32).fill(0x5a)
  await store.start()
  try {
    report({ name: `keystore.${name}.wrap`, value: await opsPerSecondAsync(() => store.import('generic', secret)), unit: 'ops/s' })
    const { handle } = await store.import('generic', secret)
    report({ name: `keystore.${name}.use`, value: await opsPerSecondAsync(() => store.use(handle, () => undefined)), unit: 'ops/s' })
  } finally {
    await store.stop()
  }
  await sealer.start({ hasRecords: true }) // the KEK the store created
  try {
    const aad = new Uint8Array(100)
    const roundTrip = async (): Promise<void> => {
      const { iv, ciphertext } = await sealer.seal(aad, secret)
      ;(await sealer.open(aad, iv, ciphertext)).fill(0)
    }
    report({ name: `keystore.${name}.kek`, value: await opsPerSecondAsync(roundTrip), unit: 'ops/s' })
  } finally {
    await sealer.stop()
  }
}

export async function bench (report: Report): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'milagro-bench-keystore-'))
  try {
    const sw: SoftwareKeyStoreConfig = { backend: 'software', dir: join(root, 'software') }
    await measure('software', softwareKeyStore(sw, { logger: quiet }), new SoftwareSealer(sw, { logger: quiet }), report)
    if (!hasSoftHsm()) {
      process.stderr.write('keystore: SoftHSM2 is not installed (apt-get install softhsm2); keystore.pkcs11.* not measured\n')
      return
    }
    const hsm = await createSoftHsm()
    try {
      const token = await hsm.initToken()
      process.env.MILAGRO_BENCH_PKCS11_PIN = token.pin
      const config: Pkcs11KeyStoreConfig = {
        backend: 'pkcs11', dir: join(root, 'pkcs11'), module: hsm.module, tokenLabel: token.label, pin: { env: 'MILAGRO_BENCH_PKCS11_PIN' }
      }
      await measure('pkcs11', pkcs11KeyStore(config, { logger: quiet }), new Pkcs11Sealer(config, { logger: quiet }), report)
    } finally {
      delete process.env.MILAGRO_BENCH_PKCS11_PIN
      await hsm.remove()
    }
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}
