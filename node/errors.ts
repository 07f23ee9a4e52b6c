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

/**
 * The sealed node key file (keys/node.sealed) cannot be used: malformed, failing authentication
 * (tampered, or sealed by another key store), or belonging to another home's identity. `path`
 * names the file; nothing on disk was changed.
 */
export class NodeKeysError extends HomeError {
  readonly path: string
  constructor (path: string, message: string, options?: ErrorOptions) {
    super(`${path}: ${message}`, options)
    this.name = 'NodeKeysError'
    this.path = path
  }
}

/**
 * The key store that seals the node keys could not be opened (wrong PIN or passphrase, missing
 * module or token, missing KEK): the key store's typed error is the `cause`. Nothing on disk was
 * changed by the node keys step.
 */
export class NodeKeysLockedError extends HomeError {
  readonly path: string
  constructor (path: string, message: string, options?: ErrorOptions) {
    super(`${path}: ${message}`, options)
    this.name = 'NodeKeysLockedError'
    this.path = path
  }
}

/** The node's crypto pool (worker threads) could not start; the node does not start without it. */
export class PoolStartError extends NodeError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PoolStartError'
  }
}
