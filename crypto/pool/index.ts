// Public surface of crypto/pool/: the worker-thread pool for pairings and batch signature checks.
export { CryptoPool } from './pool.ts'
export type { CryptoPoolLogger, CryptoPoolOptions, MpinVerifyResult, RunOptions as PoolRunOptions, StopOptions as PoolStopOptions } from './pool.ts'
export type { MpinIssueJob, MpinVerifyJob } from './jobs.ts'
export { verifyEd25519Batch } from './ed25519-batch.ts'
export type { Ed25519BatchItem } from './ed25519-batch.ts'
export { PoolStoppedError, QueueFullError, WorkerCrashedError } from './errors.ts'
