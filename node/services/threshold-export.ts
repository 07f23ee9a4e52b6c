// What a threshold order's wallet gives its parties outside the protocol: receiving addresses (the
// wallet key's non-hardened BIP-32 children, derived from public values by any party that knows
// the wallet) and, to the beneficiary's operator alone, the redeemed wallet key or a child's key —
// HPKE-sealed to a key the caller chose, exactly as custody's export (custody-export.ts: info
// "milagro/custody/export/v1", aad = the order id's CID bytes). The key is in clear only inside
// the key store's `use` and, as text, in the sealing call (JS strings cannot be wiped).
import { exportSecretKey, walletAddresses, wipe, type BitcoinNetwork, type KeyStore, type SecretKeyFormat } from '../../crypto/index.ts'
import { childPrivateKey, childPublicKey } from '../../crypto/threshold/index.ts'
import { OrderStateError } from '../../protocol/threshold/errors.ts'
import type { OrderRecord } from '../../protocol/threshold/state.ts'
import { sealExport, type SealedExport } from './custody-export.ts'
import { InvalidRequestError, RoleError } from './errors.ts'

export interface ExportedThresholdKey extends SealedExport {
  readonly format: SecretKeyFormat
  readonly network: BitcoinNetwork
  /** The exported key's public key: the wallet key, or its child. */
  readonly publicKey: Uint8Array
  readonly child: number | null
}

export interface ChildAddress {
  readonly index: number
  readonly publicKey: Uint8Array
  readonly p2wpkh: string
  readonly p2pkh: string
  readonly ethereum: string
}

type Options = { signal?: AbortSignal }

function checkChild (child: number | null): void {
  if (child !== null && (!Number.isSafeInteger(child) || child < 0 || child >= 0x80000000)) {
    throw new InvalidRequestError('a child index is 0..2^31 − 1 (non-hardened)')
  }
}

/** Receiving address `index` of order `o`: W/index. */
export function childAddressOf (o: OrderRecord, index: number): ChildAddress {
  const w = o.wallet
  if (w === null) throw new OrderStateError(`order ${o.id.toString()} has no published address yet`)
  checkChild(index)
  const publicKey = childPublicKey(w.walletKey, w.chainCode, index)
  return { index, publicKey, ...walletAddresses(publicKey, o.network) }
}

/** The redeemed wallet key of `o` (or child `child`'s), sealed to `recipientKey`; the beneficiary's only. */
export async function exportWalletKey (keystore: KeyStore, o: OrderRecord, format: SecretKeyFormat, recipientKey: Uint8Array, child: number | null, options: Options = {}): Promise<ExportedThresholdKey> {
  const id = o.id
  if (!o.isBeneficiary) throw new RoleError(`this node is not the beneficiary of order ${id.toString()}`)
  const w = o.wallet
  if (o.combined === null || w === null) throw new OrderStateError(`order ${id.toString()} is not redeemed yet`)
  if (!(recipientKey instanceof Uint8Array) || recipientKey.length !== 32) throw new InvalidRequestError('the export recipient key must be a 32-byte X25519 public key')
  checkChild(child)
  const publicKey = child === null ? w.walletKey : childPublicKey(w.walletKey, w.chainCode, child)
  const sealed = await keystore.use(o.combined.handle, (secret) => {
    const key = child === null ? secret.slice() : childPrivateKey(secret, w.chainCode, child)
    const text = new TextEncoder().encode(exportSecretKey(key, format, o.network))
    try {
      return sealExport(recipientKey, id, text)
    } finally {
      wipe(key)
      wipe(text)
    }
  }, options)
  return { ...sealed, format, network: o.network, publicKey, child }
}
