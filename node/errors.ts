// Typed errors of node/. Callers discriminate on `.name`; every class accepts `{ cause }`.

export class NodeError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NodeError'
  }
}

/** The config file (or an environment override) is invalid; the message names the field. */
export class ConfigError extends NodeError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ConfigError'
  }
}

/** The node home is missing, incomplete, or has unsafe permissions. */
export class HomeError extends NodeError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'HomeError'
  }
}

/** `init` was asked to create a node where one already exists. */
export class HomeExistsError extends NodeError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'HomeExistsError'
  }
}

/** The node's crypto pool (worker threads) could not start; the node does not start without it. */
export class PoolStartError extends NodeError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PoolStartError'
  }
}
