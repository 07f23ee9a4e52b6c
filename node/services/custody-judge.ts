// What a node makes of a custody envelope addressed to it: the fact to record. The message is
// validated at the boundary (protocol/custody/messages.ts: structure, proofs of possession, wallet
// key, addresses), then judged by the same role rules the reducers apply (checkFact). Anything
// refused becomes a `custody.rejected` fact naming the typed error; the state stays as it was.
//
// A `custody/release` is the one message with secret content: the fiduciary's share, HPKE-sealed
// by the fiduciary's key store to this node's encryption key. Only once the rules accept the
// release is it opened; then f·G must be the fiduciary's published key and (b + f)·G (b from this
// node's key store) the wallet key W. f·G is computed and compared here; w·G is computed by the key
// store when w = b + f is imported, so w is imported first and compared next: a w that fails is
// destroyed again and the release refused. Only w is kept — f = w − b adds nothing to it and would
// be one more secret at rest (nodes before this one also imported f: `imported.share`). The fact
// records the handle of a w that passed; the buffers holding f and w are zeroed (see the README's
// Security section for what JS cannot zero).
//
// A repeated release request, once the share is released, is answered with the earlier release:
// the same envelopes are queued again (the beneficiary and principal acknowledge duplicates), and
// nothing is released twice.
//
// Errors that are not the sender's fault — key store or storage failures — are thrown, not
// recorded: the effect that asked for the judgement stays in the outbox and is tried again. So is
// PrematureMessageError (a release before the address): the service judges it again when the
// order moves.
import type { CID } from 'multiformats/cid'
import {
  combineSecretShares, CommitmentMismatchError, equalBytes, hpkeOpen, secp256k1PublicKey, wipe, type KeyStore
} from '../../crypto/index.ts'
import {
  checkFact, CUSTODY_FACTS, CUSTODY_MESSAGES, decodeMessage, KeyMismatchError, NotAPartyError, OrderStateError, recordedEnvelope,
  rejectedFact, releaseAad, RELEASE_INFO, roleOrder, type CustodyFact, type DecodeOptions, type CustodyState, type ImportedShares, type ReleaseFact
} from '../../protocol/custody/index.ts'
import type { DecodedEnvelope } from '../../protocol/envelope.ts'
import type { CustodyNode } from './custody-port.ts'

/** Errors that mean "this message is refused", as opposed to "this node failed". */
const REFUSALS = new Set([
  'MalformedError', 'UnsupportedVersionError', 'InvalidKeyError', 'InvalidProofError', 'CommitmentMismatchError', 'DecryptionError',
  'UnknownOrderError', 'NotAPartyError', 'UnauthorizedSenderError', 'WrongBeneficiaryError', 'TermsMismatchError',
  'OrderNotCommittedError', 'AlreadyReleasedError', 'OrderStateError', 'DuplicateMessageError', 'KeyMismatchError', 'AddressMismatchError'
])

export function isRefusal (err: unknown): err is Error {
  return err instanceof Error && REFUSALS.has(err.name)
}

export interface JudgeComponents {
  readonly node: CustodyNode
  readonly keystore: KeyStore
  readonly state: () => CustodyState
}

export interface JudgeInit {
  /** Roles this node serves; an order naming it in another role is refused. */
  readonly roles: ReadonlySet<string>
}

export class Judge {
  readonly #c: JudgeComponents
  readonly #roles: ReadonlySet<string>

  constructor (components: JudgeComponents, init: JudgeInit) {
    this.#c = components
    this.#roles = init.roles
  }

  /** The fact this node records for `envelope` (addressed to it) with opened `body`. */
  async judge (envelope: DecodedEnvelope, body: unknown, options: { signal?: AbortSignal } = {}): Promise<CustodyFact> {
    try {
      const decoded = decodeMessage(envelope, body, this.#own(envelope))
      const fact = decoded.fact
      const self = this.#c.node.identity.cid
      if (fact.kind === CUSTODY_FACTS.order) this.#checkRoles(fact.beneficiary, fact.fiduciary, self)
      const refusal = checkFact(this.#c.state(), fact, self, { beforeImport: fact.kind === CUSTODY_FACTS.release })
      if (refusal !== null) throw refusal
      if (fact.kind === CUSTODY_FACTS.release && decoded.sealed !== undefined) {
        return { ...fact, imported: await this.#importRelease(fact, decoded.sealed, options) }
      }
      return fact
    } catch (err) {
      if (!isRefusal(err)) throw err
      const answer = err.name === 'AlreadyReleasedError' && envelope.header.thread !== null ? await this.#answerAgain(envelope.header.thread) : []
      return rejectedFact(envelope, err, answer)
    }
  }

  /** In an address, this node's own share needs no proof of possession (the rules check that it is its own). */
  #own (envelope: DecodedEnvelope): DecodeOptions {
    const thread = envelope.header.thread
    if (envelope.header.type !== CUSTODY_MESSAGES.address || thread === null) return {}
    const s = this.#c.state()
    const b = roleOrder(s, 'beneficiary', thread)?.share
    if (b != null) return { own: { role: 'beneficiary', publicKey: b.publicKey } }
    const f = roleOrder(s, 'fiduciary', thread)?.share
    return f == null ? {} : { own: { role: 'fiduciary', publicKey: f.publicKey } }
  }

  #checkRoles (beneficiary: CID, fiduciary: CID, self: CID): void {
    for (const [role, party] of [['beneficiary', beneficiary], ['fiduciary', fiduciary]] as const) {
      if (party.equals(self) && !this.#roles.has(role)) throw new NotAPartyError(`this node does not serve as ${role}`)
    }
  }

  async #importRelease (fact: ReleaseFact, sealed: { readonly enc: Uint8Array, readonly ct: Uint8Array }, options: { signal?: AbortSignal }): Promise<ImportedShares> {
    const { keystore, node } = this.#c
    const o = roleOrder(this.#c.state(), 'beneficiary', fact.order)
    if (o?.wallet == null || o.share === null) throw new OrderStateError('the order has no published wallet key or no own share')
    const walletKey = o.wallet.walletKey
    const own = o.share.handle
    const f = hpkeOpen({ aead: 'aes-256-gcm' }, node.encryptionSecretKey, sealed.enc, RELEASE_INFO, releaseAad(fact.order, node.identity.cid, fact.publicKey), sealed.ct)
    try {
      // f·G = F (constant-time multiplication; InvalidKeyError: f is not a scalar).
      if (!equalBytes(secp256k1PublicKey(f), fact.publicKey)) throw new KeyMismatchError('the released share is not the secret of its announced public key')
      const w = await keystore.use(own, (b) => combineSecretShares(b, f), options)
      try {
        // The key store computes the imported secret's public part: the check w·G = W without
        // computing the product twice. A w that fails is destroyed again before the refusal; no
        // fact ever names it.
        const wallet = await keystore.import('secp256k1', w, options)
        if (!equalBytes(wallet.publicPart, walletKey)) {
          await keystore.destroy(wallet.handle, options)
          throw new CommitmentMismatchError('combined secret key does not match the wallet public key')
        }
        return { wallet: wallet.handle }
      } finally {
        wipe(w)
      }
    } finally {
      wipe(f)
    }
  }

  /** Queues the earlier release and its announcement again; returns their CIDs. */
  async #answerAgain (order: CID): Promise<CID[]> {
    const out: CID[] = []
    for (const type of [CUSTODY_MESSAGES.release, CUSTODY_MESSAGES.released] as const) {
      const cid = recordedEnvelope(this.#c.state(), 'fiduciary', order, type)
      if (cid === undefined) continue
      await this.#c.node.requeue(cid)
      out.push(cid)
    }
    return out
  }
}
