// Typed errors of the REST API (node/api/). Callers discriminate on `.name`; every class accepts
// `{ cause }`. Every error a route throws is answered as JSON `{ error: { name, message } }` with
// the status of status.ts.
import { NodeError } from '../errors.ts'

export class ApiError extends NodeError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ApiError'
  }
}

/** No bearer token, or not this node's. */
export class UnauthenticatedError extends ApiError {
  constructor (message = 'a valid bearer token is required', options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnauthenticatedError'
  }
}

/** A request's parameters, query or body do not match the route's schema. */
export class ValidationError extends ApiError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ValidationError'
  }
}

/** No such route, or no such resource. */
export class NotFoundError extends ApiError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NotFoundError'
  }
}

/** The API token file is missing, malformed or not private. */
export class ApiTokenError extends ApiError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ApiTokenError'
  }
}

/** The API answered with an error (client side: the CLI). */
export class ApiCallError extends ApiError {
  readonly status: number
  readonly remoteName: string
  constructor (status: number, remoteName: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ApiCallError'
    this.status = status
    this.remoteName = remoteName
  }
}

/** The API could not be reached at all (refused, reset, unknown host): no HTTP answer came. */
export class ApiUnreachableError extends ApiError {
  readonly url: string
  constructor (url: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ApiUnreachableError'
    this.url = url
  }
}
