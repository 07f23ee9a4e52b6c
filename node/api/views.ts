// Typed values → the JSON the API returns (schemas.ts): CIDs as base32 strings, keys as hex.
// Only public values: no secret, no key-store handle.
import { toHex } from '../../crypto/index.ts'
import type { OrderView } from '../../protocol/custody/index.ts'
import type { VerifiedIdentity } from '../../protocol/identity.ts'
import type { ExportedKey } from '../services/custody.ts'
import type { z } from 'zod'
import type { Exported, Identity, Order } from './schemas.ts'

export function orderJson (v: OrderView): z.infer<typeof Order> {
  return {
    id: v.id.toString(),
    roles: [...v.roles],
    status: { ...v.statuses },
    principal: v.terms.principal.toString(),
    beneficiary: v.terms.beneficiary.toString(),
    fiduciary: v.terms.fiduciary.toString(),
    network: v.terms.network,
    created: v.terms.created,
    updated: v.updated,
    beneficiaryKey: v.beneficiaryKey === null ? null : toHex(v.beneficiaryKey),
    fiduciaryKey: v.fiduciaryKey === null ? null : toHex(v.fiduciaryKey),
    wallet: v.wallet === null ? null : { publicKey: toHex(v.wallet.walletKey), p2wpkh: v.wallet.p2wpkh, p2pkh: v.wallet.p2pkh, ethereum: v.wallet.ethereum },
    keyAvailable: v.imported !== null,
    envelopes: Object.fromEntries(Object.entries(v.envelopes).map(([type, cid]) => [type, cid.toString()]))
  }
}

export function identityJson (id: VerifiedIdentity): z.infer<typeof Identity> {
  const d = id.doc
  return {
    cid: id.cid.toString(),
    name: d.name,
    peerId: d.peerId,
    created: d.created,
    supersedes: d.supersedes?.toString() ?? null,
    signingKey: toHex(d.signingKey),
    encryptionKey: toHex(d.encryptionKey),
    custodyKey: toHex(d.custodyKey)
  }
}

export function exportedJson (e: ExportedKey): z.infer<typeof Exported> {
  return { format: e.format, network: e.network, walletKey: toHex(e.walletKey), enc: toHex(e.enc), ciphertext: toHex(e.ciphertext) }
}

/** Whether an order has reached `stage` in any role this node plays. */
export function reached (v: OrderView, stage: 'published' | 'released' | 'redeemed'): boolean {
  const s = v.statuses
  if (stage === 'published') return v.wallet !== null
  if (stage === 'redeemed') return s.principal === 'redeemed' || s.beneficiary === 'redeemed'
  return s.principal === 'released' || s.principal === 'redeemed' || s.fiduciary === 'released' || s.beneficiary === 'redeemed'
}
