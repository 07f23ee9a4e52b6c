// The D-TA role of the M-Pin service: this node's master-secret share per curve, and its answer
// to a request.
//
// Master share: generated once per curve, on first need, in the key store (kind bn254-scalar or
// bls12-381-scalar), and recorded as `mpin.master` with its handle and fingerprint (the key
// store's SHA-256 commitment; never sᵢ·Q, see protocol/mpin/types.ts). Generation runs in one lane per curve and re-reads the state inside it,
// so two requests arriving together never make two shares. A crash between generation and the
// fact leaves an unused key-store record, never two shares in use.
//
// Answer: the entitlement rule (protocol/mpin/entitlement.ts) with this node's principals,
// authentication servers and today; then the share sᵢ·A, sᵢ·AT or sᵢ·Q from the master share
// (pool), sealed in an `mpin/share` envelope to the beneficiary alone, with the fact
// `mpin.issued` (who asked, for which id and date; no share). A refused request is answered with
// `mpin/refused` to the requester and the beneficiary, and recorded as `mpin.refused`. Errors that
// are not a refusal (an unknown beneficiary identity, a key-store or pool failure) are thrown: the
// effect that asked stays in the outbox and is tried again.
import type { CID } from 'multiformats/cid'
import type { CryptoPool, CurveName, KeyStore, MpinCurve } from '../../crypto/index.ts'
import { checkEntitlement, dayOf, type EntitlementPolicy } from '../../protocol/mpin/entitlement.ts'
import { refusedBody, shareBody } from '../../protocol/mpin/messages.ts'
import { masterOf } from '../../protocol/mpin/queries.ts'
import type { MasterRecord, MpinState } from '../../protocol/mpin/state.ts'
import { MPIN_FACTS, MPIN_MESSAGES, type IssuanceRequest } from '../../protocol/mpin/types.ts'
import type { CustodyNode } from './custody-port.ts'
import { RoleError } from './errors.ts'
import { Lanes } from './lanes.ts'
import { isRefusal, type PlanItem } from './mpin-plan.ts'
import { hashedIdOf, issueShare, MASTER_KIND } from './mpin-shares.ts'

type Options = { signal?: AbortSignal }

export interface DtaComponents {
  readonly node: CustodyNode
  readonly keystore: KeyStore
  readonly pool: CryptoPool
  readonly state: () => MpinState
  readonly commit: (items: readonly PlanItem[]) => Promise<void>
  readonly curve: (name: CurveName) => Promise<MpinCurve>
}

export interface DtaInit {
  /** Whether this node serves as a D-TA (the `fiduciary` role). */
  readonly serving: boolean
  readonly principals: readonly CID[]
  readonly authServers: readonly CID[]
  readonly permitWindow?: EntitlementPolicy['permitWindow']
  readonly now: () => number
}

export class Dta {
  readonly #c: DtaComponents
  readonly #init: DtaInit
  readonly #lanes = new Lanes()

  constructor (components: DtaComponents, init: DtaInit) {
    this.#c = components
    this.#init = init
  }

  get serving (): boolean {
    return this.#init.serving
  }

  /** This node's master share on `curve`, generated and recorded on first need. */
  async master (curve: CurveName, options: Options = {}): Promise<MasterRecord> {
    if (!this.#init.serving) throw new RoleError('this node does not serve as a D-TA')
    const now = masterOf(this.#c.state(), curve)
    if (now !== undefined) return now
    return await this.#lanes.run(curve, async () => {
      const again = masterOf(this.#c.state(), curve)
      if (again !== undefined) return again
      const stored = await this.#c.keystore.generate(MASTER_KIND[curve], options)
      await this.#c.commit([{ fact: { kind: MPIN_FACTS.master, curve, handle: stored.handle, fingerprint: stored.publicPart } }])
      const recorded = masterOf(this.#c.state(), curve)
      if (recorded === undefined) throw new Error(`the master share for ${curve} was not recorded`)
      return recorded
    })
  }

  /** The answer to `request` (which names this node as a D-TA): an envelope and its fact, not yet appended. */
  async answer (request: IssuanceRequest, options: Options = {}): Promise<PlanItem[]> {
    const { node } = this.#c
    try {
      if (!this.#init.serving) throw new RoleError('this node does not serve as a D-TA')
      checkEntitlement(request, { principals: this.#init.principals, authServers: this.#init.authServers, today: dayOf(this.#init.now()), ...(this.#init.permitWindow === undefined ? {} : { permitWindow: this.#init.permitWindow }) })
      const beneficiary = await node.resolve(request.beneficiary, options)
      const master = await this.master(request.curve, options)
      const hashed = request.issuance === 'server-secret' ? null : hashedIdOf(await this.#c.curve(request.curve), request.id as string)
      const share = await issueShare(this.#c, master.handle, { issuance: request.issuance, curve: request.curve, hashed, date: request.date }, options)
      const body = shareBody({ issuance: request.issuance, curve: request.curve, share, master: master.fingerprint })
      const envelope = node.seal([beneficiary], MPIN_MESSAGES.share, body, { thread: request.request, prev: [request.request] })
      share.fill(0)
      const { request: id, from, time, issuance, curve, beneficiary: b, id: mpinId, date, dtas } = request
      return [{ envelope }, { fact: { kind: MPIN_FACTS.issued, request: id, from, time, issuance, curve, beneficiary: b, id: mpinId, date, dtas, answer: envelope.cid } }]
    } catch (err) {
      if (!isRefusal(err)) throw err
      const to = [request.from, request.beneficiary].filter((c, i, all) => all.findIndex((x) => x.toString() === c.toString()) === i)
      const recipients = await Promise.all(to.map(async (c) => await node.resolve(c, options)))
      const envelope = node.seal(recipients, MPIN_MESSAGES.refused, refusedBody({ error: err.name, message: err.message }), { thread: request.request, prev: [request.request] })
      return [{ envelope }, { fact: { kind: MPIN_FACTS.refused, request: request.request, dta: node.identity.cid, error: err.name, message: err.message.slice(0, 512), answer: envelope.cid } }]
    }
  }

  async idle (): Promise<void> {
    await this.#lanes.idle()
  }
}
