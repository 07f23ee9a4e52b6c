// Fixtures shared by the pool tests: signed Ed25519 items and M-Pin logins made in-process.
import { generateKeyPairSync, sign } from 'node:crypto'
import type { Ed25519BatchItem } from '../../../crypto/pool/ed25519-batch.ts'
import type { MpinVerifyJob } from '../../../crypto/pool/jobs.ts'
import { loadCurve } from '../../../crypto/mpin/curves.ts'
import { hashId } from '../../../crypto/mpin/map.ts'
import {
  client1, client2, clientSecretShare, extractPin, randomScalar, serverSecretShare, timePermitShare
} from '../../../crypto/mpin/mpin.ts'
import type { CurveName } from '../../../crypto/mpin/params.ts'

/** A fresh key pair and n signed messages, as batch items. */
export function signedItems (n: number): Ed25519BatchItem[] {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12))
  return Array.from({ length: n }, (_, i) => {
    const message = new TextEncoder().encode(`entry ${i}`)
    return { publicKey: raw, message, signature: new Uint8Array(sign(null, message, privateKey)) }
  })
}

/** n logins of one user against one server secret; logins at odd indexes use a wrong PIN. */
export async function logins (curveName: CurveName, n: number, date = 0): Promise<MpinVerifyJob[]> {
  const curve = await loadCurve(curveName)
  const s = randomScalar(curve)
  const hid = hashId(curve, new TextEncoder().encode(`pool-user-${curveName}`))
  const token = extractPin(curve, clientSecretShare(curve, s, hid), hid, 2024)
  const permit = timePermitShare(curve, s, date === 0 ? 1 : date, hid)
  const serverSecret = serverSecretShare(curve, s)
  return Array.from({ length: n }, (_, i) => {
    const pass1 = client1(curve, { hashedId: hid, pin: i % 2 === 0 ? 2024 : 2025, token, date, permit })
    const y = randomScalar(curve)
    const V = client2(curve, pass1.x, y, pass1.sec)
    return { curve: curveName, serverSecret, hashedId: hid, date, U: pass1.U, ...(pass1.UT === undefined ? {} : { UT: pass1.UT }), y, V }
  })
}
