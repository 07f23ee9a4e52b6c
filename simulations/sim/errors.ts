// Typed errors of simulations/sim/. Callers discriminate on `.name`; every class accepts `{ cause }`.
// A failed invariant is not an error: it is a result (invariants.ts), reported and turned into the
// exit status by the CLI.

export class SimError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SimError'
  }
}

/** Options that cannot make a simulation (too few nodes for the roles, unknown scenario …). */
export class SimOptionsError extends SimError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SimOptionsError'
  }
}

/** A node process did not come up (or back up after a fault) in time. */
export class SimNodeError extends SimError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SimNodeError'
  }
}
