// The invariants a simulation must end with, checked once the faults are healed and the network
// is quiet. Each has a stable name the report and the CLI print when it fails, with the failures
// themselves (order index and id, node, what differs):
//
//   orders-final          every planned order was created and reached its final state at each of
//                         its parties: principal and beneficiary 'redeemed', fiduciary 'released'
//   orders-unique         no order lost or duplicated: every node lists exactly the orders it is a
//                         party to, each once, with the same parties and network as planned
//   keys-match-addresses  the wallet key each beneficiary exports (sealed to a one-time key, opened
//                         here) has the public key and the three addresses the principal published,
//                         and every party has the same published wallet
//   logs-audit            every node's log passes `milagro audit` (signatures, chain, clocks,
//                         linked envelopes, replayed state against each checkpoint)
//   envelopes-agree       peers agree on every envelope they share: same CID ↔ same bytes (which hash
//                         to that CID); every envelope a node sent is in each recipient's log and
//                         every envelope a node received is in its sender's; none recorded twice
//
// The first three ask the nodes' REST APIs (api-checks.ts); the last two read the homes after a
// clean stop (log-checks.ts).

export const INVARIANTS = {
  'orders-final': 'every order reached its final state at each of its parties',
  'orders-unique': 'no order lost or duplicated',
  'keys-match-addresses': 'every released key matches its published address',
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
