// What the threshold service needs from the node: the custody port (log, identities, sealing,
// sending and opening envelopes), plus the node's identity signing key, with which a dealer signs
// each share it deals — the evidence a receiver shows when the share is wrong. `thresholdPort(node)`
// adapts a running MilagroNode; tests and simulations may pass their own.
import type { MilagroNode } from '../node.ts'
import { custodyPort, type CustodyNode } from './custody-port.ts'

export interface ThresholdNode extends CustodyNode {
  /** Ed25519 signature by this node's identity key (verifiable with its identity document's signing key). */
  sign (message: Uint8Array): Uint8Array
}

export function thresholdPort (node: MilagroNode): ThresholdNode {
  const signer = node.home.keys.signer
  return Object.assign(custodyPort(node), { sign: (message: Uint8Array): Uint8Array => signer.sign(message) })
}
