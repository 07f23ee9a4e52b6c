// The invariants a simulation must end with, checked once the faults are healed and the network
// is quiet. Each has a stable name the report and the CLI print when it fails, with the failures
// themselves (order kind, index and id, node, what differs):
//
//   orders-final          every planned order was created and reached its final state at each of
//                         its parties — custody: principal and beneficiary 'redeemed', fiduciary
//                         'released'; safeguard: principal and every fiduciary 'released',
//                         beneficiary 'recovered'; M-Pin: the client secret 'complete' with every
//                         D-TA's share and the login accepted
//   orders-unique         no order lost or duplicated: every node lists exactly the orders it is a
//                         party to, each once, on the terms they were made with
//   keys-match-addresses  every released key matches what was published — custody: the wallet key
//                         the beneficiary exports (sealed to a one-time key, opened here) has the
//                         public key and the three addresses the principal published, shared by
//                         every party; safeguard: the recovered secret is, byte for byte, the one
//                         deposited, under the same commitment at every party; M-Pin: the exported
//                         client secret logs in to the authentication server (server secret from the
//                         same D-TAs) with its PIN and is refused with another
//   logs-audit            every node's log passes `milagro audit` (signatures, chain, clocks,
//                         linked envelopes, replayed state against each checkpoint)
//   envelopes-agree       peers agree on every envelope they share: same CID ↔ same bytes (which hash
//                         to that CID); every envelope a node sent is in each recipient's log and
//                         every envelope a node received is in its sender's; none recorded twice
//
// The first three ask the nodes' REST APIs (api-checks.ts and each scenario-*.ts); the last two
// read the homes after a clean stop (log-checks.ts).

export const INVARIANTS = {
  'orders-final': 'every order reached its final state at each of its parties',
  'orders-unique': 'no order lost or duplicated',
  'keys-match-addresses': 'every released key matches its published address (safeguard: the secret deposited; M-Pin: logs in with its PIN only)',
  'logs-audit': 'every node\'s log passes audit',
  'envelopes-agree': 'peers agree on every envelope they share (same CID ↔ same bytes, sent ↔ received)'
} as const
export type InvariantName = keyof typeof INVARIANTS

export interface InvariantResult {
  readonly name: InvariantName
  readonly description: string
  readonly ok: boolean
  /** Things checked (orders, nodes, envelopes). */
  readonly checked: number
  /** The first MAX_LISTED failures, each one line. */
  readonly failures: readonly string[]
  readonly failureCount: number
}

const MAX_LISTED = 50

/** Collects the failures of one invariant. */
export class Check {
  readonly name: InvariantName
  checked = 0
  readonly #failures: string[] = []
  #count = 0

  constructor (name: InvariantName) {
    this.name = name
  }

  fail (message: string): void {
    this.#count++
    if (this.#failures.length < MAX_LISTED) this.#failures.push(message)
  }

  result (): InvariantResult {
    return { name: this.name, description: INVARIANTS[this.name], ok: this.#count === 0, checked: this.checked, failures: [...this.#failures], failureCount: this.#count }
  }
}
