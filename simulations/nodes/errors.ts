// Typed errors of simulations/nodes/. Callers discriminate on `.name`; every class accepts `{ cause }`.

/** A kill (SIGKILL) asked of a node that has no process of its own (in-process.ts). */
export class NotKillableError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NotKillableError'
  }
}
