// Figures for HPKE (RFC 9180, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM), single-shot
// base mode with a 32-byte plaintext (the size of a wrapped content key): ours (node:crypto,
// synchronous) beside @hpke/core (WebCrypto, async) as the peer, each time-bounded to ~1 s.
// The peer always opens with a CryptoKey imported once; ours is measured both from the raw
// 32-byte skR (the plain API) and with a RecipientKey imported once (importRecipientKey).
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core'
import { importRecipientKey, open, seal } from '../../crypto/hpke.ts'
import { generateKeyAgreementKeyPair } from '../../crypto/x25519.ts'
import { opsPerSecond, opsPerSecondAsync } from '../measure.ts'
import type { Report } from '../bench.ts'

export const figures = ['hpke.']

const PEER = '@hpke/core'

export async function bench (report: Report): Promise<void> {
  const suite = { aead: 'aes-256-gcm' as const }
  const peer = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() })
  const recipient = generateKeyAgreementKeyPair()
  const peerSk = await peer.kem.deserializePrivateKey(recipient.secretKey)
  const peerPk = await peer.kem.deserializePublicKey(recipient.publicKey)
  const info = new TextEncoder().encode('milagro bench info')
  const aad = new TextEncoder().encode('envelope header bytes')
  const plaintext = new Uint8Array(32).fill(7)

  const oursSeal = opsPerSecond(() => seal(suite, recipient.publicKey, info, aad, plaintext))
  const peerSeal = await opsPerSecondAsync(() => peer.seal({ recipientPublicKey: peerPk, info }, plaintext, aad))
  report({ name: 'hpke.seal', value: oursSeal, unit: 'ops/s', peer: PEER, peerValue: peerSeal })

  const { enc, ciphertext } = seal(suite, recipient.publicKey, info, aad, plaintext)
  const peerOpen = await opsPerSecondAsync(() => peer.open({ recipientKey: peerSk, enc, info }, ciphertext, aad))
  const oursOpen = opsPerSecond(() => open(suite, recipient.secretKey, enc, info, aad, ciphertext))
  report({ name: 'hpke.open', value: oursOpen, unit: 'ops/s', peer: PEER, peerValue: peerOpen })

  const prepared = importRecipientKey(recipient.secretKey)
  const oursOpenPrepared = opsPerSecond(() => open(suite, prepared, enc, info, aad, ciphertext))
  report({ name: 'hpke.open.prepared-key', value: oursOpenPrepared, unit: 'ops/s', peer: PEER, peerValue: peerOpen })
}
