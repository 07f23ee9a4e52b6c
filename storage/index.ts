// Public surface of storage/. Other folders import only this file.
export * from './errors.ts'
export { dataPaths, createStores, type DataPaths, type Stores, type StoresInit, type StateDb, type StateOps } from './stores.ts'
export { LogBlockstore, type Block } from './blockstore.ts'
export {
  LevelLog, type LogInit, type LogComponents, type AppendOptions, type Appended, type LogEvents, type StartInfo,
  type EntryDraft, type LogSigner, type Head
} from './log.ts'
export {
  encodeEntry, decodeEntry, signingMessage as entrySigningMessage, cidOfBlock, blockMatches, checkpointBody,
  LOG_ENTRY_VERSION, LOG_ENTRY_SIGNATURE_CONTEXT, MAX_ENTRY_BYTES, type StoredEntry, type EntryFields
} from './entry.ts'
export { ChainVerifier, scan, verifyInProcess, type VerifyBatch, type VerifyItem, type ResolveSigningKey } from './replay.ts'
export { audit, type AuditOptions, type AuditReport, type VerifyEnvelope } from './audit.ts'
export { listEntries, logExtent, type ListedEntry, type LogExtent } from './inspect.ts'
export { listCheckpoints, decodeCheckpoint, type StoredCheckpoint } from './checkpoint.ts'
export { LAYOUT_VERSION, sublevels } from './layout.ts'
export { crashPoint, armCrashPoint, parseCrashSpec } from './crash-point.ts'
export { importChain, type ChainBatch, type ImportOptions, type Imported } from './import.ts'
