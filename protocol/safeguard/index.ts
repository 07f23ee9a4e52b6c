// Public surface of protocol/safeguard/ (safeguarded secrets and backups: deposits with one or
// k-of-n fiduciaries, release to a named beneficiary, revocation). Exported from
// protocol/index.ts as the namespace `safeguard`; see docs/PROTOCOL.md, "Safeguard".
export * from './types.ts'
export * from './errors.ts'
export * from './messages.ts'
export * from './queries.ts'
export { withSafeguard, SAFEGUARD_STATE_VERSION, type WithSafeguard } from './machine.ts'
