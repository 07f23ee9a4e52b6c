// Public surface of protocol/custody/: the decentralized custody flow (issue 5) — messages and
// their validation, the facts a node records, the three roles' rules and reducers, effects, and
// read-only queries. The cryptography is crypto/custody/; the node service that executes the
// effects is node/services/custody.ts.
export * from './errors.ts'
export {
  CUSTODY_VERSION, CUSTODY_MESSAGES, CUSTODY_MESSAGE_TYPES, CUSTODY_FACTS, factKindOf, isCustodyMessageType,
  type CustodyMessageType, type CustodyFactKind, type CustodyFact, type MessageFact, type MessageMeta, type WalletAddressSet,
  type OrderFact, type KeyFact, type AddressFact, type ReleaseRequestFact, type ReleaseFact, type ReleasedFact, type RedeemedFact,
  type ShareFact, type RejectedFact, type ImportedShares,
  type OrderBody, type KeyBody, type AddressBody, type ReleaseRequestBody, type ReleaseBody, type ReleasedBody, type RedeemedBody
} from './types.ts'
export {
  PUBLIC_KEY_LENGTH, RELEASE_INFO, RELEASE_ENC_LENGTH, RELEASE_CT_LENGTH, releaseAad, shareContext,
  orderBody, keyBody, addressBody, releaseRequestBody, releaseBody, releasedBody, redeemedBody,
  decodeMessage, messageMeta, type DecodeOptions, type DecodedMessage, type MessageEnvelope
} from './messages.ts'
export { factEntry, readFact, rejectedFact, isCustodyFactKind, type FactDraft } from './facts.ts'
export {
  PRINCIPAL_STATUSES, FIDUCIARY_STATUSES, BENEFICIARY_STATUSES, PARTY_ROLES,
  type OrderTerms, type PublicShare, type OwnShare, type Wallet, type Envelopes,
  type PrincipalOrder, type PrincipalStatus, type FiduciaryOrder, type FiduciaryStatus, type BeneficiaryOrder, type BeneficiaryStatus,
  type PrincipalCustody, type FiduciaryCustody, type BeneficiaryCustody, type CustodyState, type PartyRole
} from './state.ts'
export {
  CUSTODY_EFFECTS, isCustodyEffect, sendEffect, distinct,
  type CustodyEffect, type CustodyEffectType, type GenerateShareEffect, type SendEffect, type ReleaseShareEffect
} from './effects.ts'
export { emptyOrders, getOrder, setOrder, entriesOf, countOrders, type OrderMap } from './order-map.ts'
export type { Decision, RuleOptions } from './decision.ts'
export { decidePrincipal } from './principal.ts'
export { decideFiduciary } from './fiduciary.ts'
export { decideBeneficiary } from './beneficiary.ts'
export { reducePrincipalCustody, reduceFiduciaryCustody, reduceBeneficiaryCustody, decideAll, checkFact, applyFact } from './reduce.ts'
export { roleOrder, recordedEnvelope, isRecorded, ownShare, checkReleaseRequest, custodyEffectSettled, orderView, orderIds, type OrderView } from './queries.ts'
