// Fuzzing custody message bodies (protocol/custody/messages.ts `decodeMessage`): what a party of an
// order can put in an envelope it signs. Any body, under any header shape, must be refused with an
// error the custody service treats as a refusal (node/services/custody-judge.ts isRefusal): the
// service then records `custody.rejected` and moves on. Any other error would make the service
// retry the envelope forever (its effect stays in the outbox), so this property guards a liveness
// bug, not only a crash.
import type { CID } from 'multiformats/cid'
import { createProofOfPossession, combinePublicKeys, secp256k1PublicKey, sha256, walletAddresses } from '../../crypto/index.ts'
import {
  addressBody, CUSTODY_MESSAGE_TYPES, CUSTODY_MESSAGES, decodeMessage, keyBody, orderBody, redeemedBody, releaseBody, releasedBody,
  releaseRequestBody, shareContext, type CustodyMessageType, type MessageEnvelope
} from '../../protocol/custody/index.ts'
import { cidOf } from '../../protocol/index.ts'
import { isRefusal } from '../../node/services/custody-judge.ts'
import { cidArb, fc, fieldEditArb, ipldArb, property, UntypedRejectionError, type Family } from './fuzz.ts'

const enc = new TextEncoder()
const scalar = (label: string): Uint8Array => sha256(enc.encode(`milagro fuzz custody/${label}`))
const id = (s: string): CID => cidOf(enc.encode(s))
const principal = id('principal')
const beneficiary = id('beneficiary')
const fiduciary = id('fiduciary')
const order = id('order')
const B = secp256k1PublicKey(scalar('b'))
const F = secp256k1PublicKey(scalar('f'))
const W = combinePublicKeys(B, F)
const bPop = createProofOfPossession(scalar('b'), shareContext(order, 'beneficiary', beneficiary))
const fPop = createProofOfPossession(scalar('f'), shareContext(order, 'fiduciary', fiduciary))

const BODIES: Readonly<Record<CustodyMessageType, Record<string, unknown>>> = {
  [CUSTODY_MESSAGES.order]: orderBody({ beneficiary, fiduciary, network: 'testnet' }) as Record<string, unknown>,
  [CUSTODY_MESSAGES.beneficiaryKey]: keyBody({ publicKey: B, pop: bPop }) as Record<string, unknown>,
  [CUSTODY_MESSAGES.fiduciaryKey]: keyBody({ publicKey: F, pop: fPop }) as Record<string, unknown>,
  [CUSTODY_MESSAGES.address]: addressBody({ network: 'mainnet', beneficiary, beneficiaryKey: B, beneficiaryPop: bPop, fiduciary, fiduciaryKey: F, fiduciaryPop: fPop, walletKey: W, ...walletAddresses(W, 'mainnet') }) as Record<string, unknown>,
  [CUSTODY_MESSAGES.releaseRequest]: releaseRequestBody({ beneficiary, walletKey: W }) as Record<string, unknown>,
  [CUSTODY_MESSAGES.release]: releaseBody({ publicKey: F, enc: new Uint8Array(32).fill(2), ct: new Uint8Array(48).fill(3) }) as Record<string, unknown>,
  [CUSTODY_MESSAGES.released]: releasedBody({ beneficiary, release: order }) as Record<string, unknown>,
  [CUSTODY_MESSAGES.redeemed]: redeemedBody({ walletKey: W }) as Record<string, unknown>
}

const headerArb = fc.record({
  type: fc.constantFrom(...CUSTODY_MESSAGE_TYPES),
  sender: fc.constantFrom(principal, beneficiary, fiduciary),
  recipients: fc.subarray([principal, beneficiary, fiduciary], { minLength: 1 }),
  thread: fc.oneof(fc.constant(null), fc.constant(order), cidArb),
  time: fc.nat()
})

function refusedOnly (envelope: MessageEnvelope, body: unknown, verify: boolean): void {
  try {
    decodeMessage(envelope, body, { verify })
  } catch (err) {
    if (!isRefusal(err)) throw new UntypedRejectionError(`not a refusal: ${(err as Error)?.name}: ${(err as Error)?.message}\n${(err as Error)?.stack ?? ''}`, { cause: err })
  }
}

export const properties: Family = [
  property('decodeMessage: arbitrary bodies under any custody header are refusals', 400, fc.tuple(headerArb, ipldArb, fc.boolean()), ([header, body, verify]) => {
    refusedOnly({ cid: order, header }, body, verify)
  }),
  property('decodeMessage: valid bodies with fields replaced, removed or added are refusals (or decode)', 600, fc.tuple(headerArb, fc.array(fc.tuple(fc.nat(), ipldArb), { maxLength: 0 }), fc.boolean()).chain(([header, _unused, verify]) => {
    const body = BODIES[header.type]
    return fc.tuple(fc.constant(header), fc.array(fieldEditArb(Object.keys(body)), { minLength: 1, maxLength: 3 }), fc.constant(verify)).map(([h, edits, v]) => {
      let m: Record<string, unknown> = { ...body }
      for (const e of edits) m = e(m)
      return { header: h, body: m, verify: v }
    })
  }), (r) => {
    refusedOnly({ cid: order, header: r.header }, r.body, r.verify)
  })
]
