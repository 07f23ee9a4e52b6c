// Typed errors of node/admin/. Callers discriminate on `.name`; every class accepts `{ cause }`.
// A request error travels back to the client as `{ ok: false, error: { name, message } }`.

export class AdminError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AdminError'
  }
}

/** A request line that is not JSON, or not a request object of the documented shape. */
export class MalformedRequestError extends AdminError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MalformedRequestError'
  }
}

/** A well-formed request naming a command the socket does not have. */
export class UnknownCommandError extends AdminError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnknownCommandError'
  }
}

/** A request line longer than MAX_REQUEST_BYTES; the connection is closed after the reply. */
export class RequestTooLargeError extends AdminError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RequestTooLargeError'
  }
}

/** No node answers on the socket (not running, wrong home), or this user may not use it. */
export class AdminUnavailableError extends AdminError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AdminUnavailableError'
  }
}

/** Another live node already listens on this home's admin socket. */
export class AdminSocketInUseError extends AdminError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AdminSocketInUseError'
  }
}

/**
 * The directory that would hold the admin socket is accessible by group or others: another user
 * could reach the socket before its chmod, or replace it with one of their own. The node refuses to
 * open it (it does not change the operator's directory mode for them).
 */
export class AdminSocketPermissionError extends AdminError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AdminSocketPermissionError'
  }
}

/** The node answered with an error; `remoteName` is the error's name on the node's side. */
export class AdminCommandError extends AdminError {
  readonly remoteName: string
  constructor (remoteName: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AdminCommandError'
    this.remoteName = remoteName
  }
}
