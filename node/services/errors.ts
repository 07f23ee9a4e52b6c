// Typed errors of node/services/. Callers discriminate on `.name`; every class accepts `{ cause }`.
import { NodeError } from '../errors.ts'

/** A service method was called before `start()` or after `stop()`. */
export class ServiceStoppedError extends NodeError {
  constructor (message = 'the service is not running', options?: ErrorOptions) {
    super(message, options)
    this.name = 'ServiceStoppedError'
  }
}

/** This node does not play the role the operation needs (e.g. export by a node that is not the order's beneficiary). */
export class RoleError extends NodeError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'RoleError'
  }
}

/** A request names a value the service cannot use (no fiduciary given and none configured, a bad export key). */
export class InvalidRequestError extends NodeError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InvalidRequestError'
  }
}

/** The node's log does not fold the custody reducers (it was created without `nodeMachine()`). */
export class MachineMismatchError extends NodeError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MachineMismatchError'
  }
}
