// Typed errors of crypto/pool/. Callers discriminate on `.name`; every class accepts `{ cause }`.
import { CryptoError } from '../errors.ts'

/** The pool's bounded queue is full: back off and resubmit (backpressure; nothing was run). */
export class QueueFullError extends CryptoError {
  constructor (message = 'crypto pool queue is full', options?: ErrorOptions) {
    super(message, options)
    this.name = 'QueueFullError'
  }
}

/** The worker running the job died (exited, or threw outside a job). The pool replaces it; the job did not complete. */
export class WorkerCrashedError extends CryptoError {
  constructor (message = 'crypto pool worker crashed', options?: ErrorOptions) {
    super(message, options)
    this.name = 'WorkerCrashedError'
  }
}

/** The pool is not started, or was stopped before the job ran. */
export class PoolStoppedError extends CryptoError {
  constructor (message = 'crypto pool is not running', options?: ErrorOptions) {
    super(message, options)
    this.name = 'PoolStoppedError'
  }
}
