// Fuzzing threshold-custody message bodies (protocol/threshold/decode.ts `decodeMessage`): what a
// party of an order can put in an envelope it signs. Any body, under any header shape, must be
// refused with an error the threshold service treats as a refusal (node/services/threshold-judge.ts
// isRefusal): the service then records `threshold.rejected` and moves on. Any other error would
// make the service retry the envelope forever (its effect stays in the outbox).
import type { CID } from 'multiformats/cid'
import { createProofOfPossession, combinePublicKeys, secp256k1PublicKey, sha256, walletAddresses } from '../../crypto/index.ts'
import { cidOf } from '../../protocol/index.ts'
import { beneficiaryKeyContext, decodeMessage, type MessageEnvelope } from '../../protocol/threshold/decode.ts'
import {
  acceptBody, addressBody, beneficiaryKeyBody, dealBody, failedBody, heldBody, orderBody, qualifiedBody, redeemedBody, releaseBody, releaseRequestBody,
  reshareBody, roundBody, startBody, verdictBody
} from '../../protocol/threshold/messages.ts'
import { THRESHOLD_MESSAGE_TYPES, THRESHOLD_MESSAGES, type ThresholdMessageType } from '../../protocol/threshold/types.ts'
import { isRefusal } from '../../node/services/threshold-judge.ts'
import { cidArb, fc, fieldEditArb, ipldArb, property, UntypedRejectionError, type Family } from './fuzz.ts'

const enc = new TextEncoder()
const scalar = (label: string): Uint8Array => sha256(enc.encode(`milagro fuzz threshold/${label}`))
const id = (s: string): CID => cidOf(enc.encode(s))
const principal = id('principal')
const beneficiary = id('beneficiary')
const f1 = id('f1')
const f2 = id('f2')
const order = id('order')
const B = secp256k1PublicKey(scalar('b'))
const Y = secp256k1PublicKey(scalar('y'))
const W = combinePublicKeys(B, Y)
const pop = createProofOfPossession(scalar('b'), beneficiaryKeyContext(order, beneficiary))
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill)
const wallet = { beneficiaryKey: B, beneficiaryPop: pop, groupKey: Y, walletKey: W, chainCode: bytes(32, 1), ...walletAddresses(W, 'testnet') }

const BODIES: Readonly<Record<ThresholdMessageType, Record<string, unknown>>> = {
  [THRESHOLD_MESSAGES.order]: orderBody({ beneficiary, fiduciaries: [f1, f2], threshold: 2, network: 'testnet', phaseMs: 1000 }) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.refresh]: roundBody(1) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.reshare]: reshareBody({ round: 1, beneficiary, network: 'testnet', phaseMs: 1000, wallet, previous: { fiduciaries: [f1, f2], threshold: 1, holders: [1, 2], commitments: [Y] }, fiduciaries: [f1], threshold: 1 }) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.accept]: acceptBody(0, 1, 1, bytes(32, 2)) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.start]: startBody(0, [1, 2], [{ index: 1, key: bytes(32, 2) }]) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.deal]: dealBody(0, 1, [Y, B], bytes(64, 3), [{ index: 1, enc: bytes(32, 4), ct: bytes(112, 5) }]) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.verdict]: verdictBody(0, 1, [{ dealer: 1, deal: order }], [{ dealer: 2, reason: 'invalid', deal: order, share: bytes(32, 6), signature: bytes(64, 7) }]) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.qualified]: qualifiedBody(0, [1], [order], [1, 2], [Y, B]) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.failed]: failedBody(0, 'too few') as Record<string, unknown>,
  [THRESHOLD_MESSAGES.held]: heldBody(0, 1, B) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.beneficiaryKey]: beneficiaryKeyBody(B, pop) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.address]: addressBody(wallet) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.releaseRequest]: releaseRequestBody(0, beneficiary, W) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.release]: releaseBody(0, 1, bytes(32, 8), bytes(48, 9)) as Record<string, unknown>,
  [THRESHOLD_MESSAGES.redeemed]: redeemedBody(W) as Record<string, unknown>
}

const headerArb = fc.record({
  type: fc.constantFrom(...THRESHOLD_MESSAGE_TYPES),
  sender: fc.constantFrom(principal, beneficiary, f1, f2),
  recipients: fc.subarray([principal, beneficiary, f1, f2], { minLength: 1 }),
  thread: fc.oneof(fc.constant(null), fc.constant(order), cidArb),
  time: fc.nat()
})

function refusedOnly (envelope: MessageEnvelope, body: unknown): void {
  try {
    decodeMessage(envelope, body)
  } catch (err) {
    if (!isRefusal(err)) throw new UntypedRejectionError(`not a refusal: ${(err as Error)?.name}: ${(err as Error)?.message}\n${(err as Error)?.stack ?? ''}`, { cause: err })
  }
}

export const properties: Family = [
  property('decodeMessage: arbitrary bodies under any threshold header are refusals', 400, fc.tuple(headerArb, ipldArb), ([header, body]) => {
    refusedOnly({ cid: order, header }, body)
  }),
  property('decodeMessage: valid bodies with fields replaced, removed or added are refusals (or decode)', 600, headerArb.chain((header) => {
    const body = BODIES[header.type]
    return fc.array(fieldEditArb(Object.keys(body)), { minLength: 1, maxLength: 3 }).map((edits) => {
      let m: Record<string, unknown> = { ...body }
      for (const e of edits) m = e(m)
      return { header, body: m }
    })
  }), (r) => {
    refusedOnly({ cid: order, header: r.header }, r.body)
  }),
  property('decodeMessage: every valid body decodes under its own header shape, or is refused', 100, headerArb, (header) => {
    refusedOnly({ cid: order, header }, BODIES[header.type])
  })
]
