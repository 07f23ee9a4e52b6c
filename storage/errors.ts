// Typed errors of storage/. Callers discriminate on `.name`; every class accepts `{ cause }`.
// Programmer mistakes (wrong argument types, a draft that breaks the entry rules) stay
// TypeError / RangeError.

export class StorageError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StorageError'
  }
}

/** The data directory was written by a newer or unknown storage layout; it is never rewritten. */
export class LayoutVersionError extends StorageError {
  readonly found: unknown
  readonly supported: number

  constructor (found: unknown, supported: number, options?: ErrorOptions) {
    super(`storage layout version ${String(found)} is not supported (this node reads layout ${supported}); ` +
      'it was written by another version of milagro and is left untouched', options)
    this.name = 'LayoutVersionError'
    this.found = found
    this.supported = supported
  }
}

/** Another process holds the data directory (LevelDB lock): usually a running node. */
export class StoreLockedError extends StorageError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StoreLockedError'
  }
}

/** There is no log where one was expected (audit/log on a directory that holds none). */
export class LogNotFoundError extends StorageError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'LogNotFoundError'
  }
}

/** What is wrong with one entry (or the index around it); `seq`/`cid` name it when known. */
export type ProblemCode =
  | 'missing-block' | 'unreadable-block' | 'hash-mismatch' | 'malformed-entry' | 'seq-mismatch'
  | 'prev-mismatch' | 'clock-regression' | 'author-mismatch' | 'unknown-author' | 'bad-signature'
  | 'unsigned-tail' | 'index-gap' | 'bad-index' | 'head-mismatch' | 'checkpoint-mismatch' | 'checkpoint-malformed'
  | 'missing-link' | 'link-hash-mismatch' | 'bad-envelope'

export interface LogProblem {
  readonly code: ProblemCode
  /** The entry's sequence number (or the first index slot found wrong). */
  readonly seq: number
  /** The entry's CID, when it is known (from the index, the head record or a `prev` link). */
  readonly cid?: string
  readonly message: string
}

export function describeProblem (p: LogProblem): string {
  return `seq ${p.seq}${p.cid !== undefined ? ` (${p.cid})` : ''}: ${p.message} [${p.code}]`
}

/**
 * The log on disk does not verify. The node refuses to serve it; the operator runs `milagro audit`
 * for a full report. `problem` names the first bad entry.
 */
export class CorruptLogError extends StorageError {
  readonly problem: LogProblem

  constructor (problem: LogProblem, options?: ErrorOptions & { auditHint?: string }) {
    const hint = options?.auditHint ?? 'milagro audit --home <home>'
    super(`the log does not verify at ${describeProblem(problem)}; refusing to open it — run \`${hint}\` for a full report`, options)
    this.name = 'CorruptLogError'
    this.problem = problem
  }
}

/** A group commit failed to reach the disk; the in-memory log is ahead of the disk and is closed. */
export class LogFailedError extends StorageError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'LogFailedError'
  }
}

/** The log was closed (or never opened). */
export class LogClosedError extends StorageError {
  constructor (message = 'the log is closed', options?: ErrorOptions) {
    super(message, options)
    this.name = 'LogClosedError'
  }
}

/** The signer given to the log does not hold the key its author identity resolves to. */
export class SignerMismatchError extends StorageError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SignerMismatchError'
  }
}

/** A block or record that should exist is not in the store. */
export class BlockNotFoundError extends StorageError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'BlockNotFoundError'
  }
}

/** Bytes that are not a well-formed log entry (bad DAG-CBOR, non-canonical, wrong fields). */
export class MalformedEntryError extends StorageError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MalformedEntryError'
  }
}

/** `importChain` was given a log that is not empty: a foreign chain is imported only into an empty log. */
export class LogNotEmptyError extends StorageError {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'LogNotEmptyError'
  }
}

/** A chain offered for import (or to a replica) does not verify; `problem` names the first bad entry. Nothing of it was kept. */
export class ChainRejectedError extends StorageError {
  readonly problem: LogProblem

  constructor (problem: LogProblem, options?: ErrorOptions) {
    super(`the chain does not verify at ${describeProblem(problem)}`, options)
    this.name = 'ChainRejectedError'
    this.problem = problem
  }
}
