// Typed errors of the safeguard and backup services (node/services/safeguard*.ts, backup*.ts).
// Callers discriminate on `.name`; every class accepts `{ cause }`. The protocol's decisions are
// protocol/safeguard/errors.ts; these are the node's.
import { NodeError } from '../errors.ts'

/** No backup with this id is known to this node (as the node backed up, or as its recovery identity). */
export class UnknownBackupError extends NodeError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnknownBackupError'
  }
}

/** A backup cannot be made or restored: not a node backup, parts missing or inconsistent, a home in the way. */
export class BackupError extends NodeError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'BackupError'
  }
}
