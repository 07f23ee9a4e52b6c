// Checkpoints: a snapshot of the reduced state and the entry it covers, so that a restart replays
// only the entries after it.
//
// Every `checkpointEvery` entries the log appends a `checkpoint` marker entry whose body is
// `{ state: CID of the state's DAG-CBOR bytes, version: state machine version }`, and stores in the
// same LevelDB batch the record `{ v, seq, entry, version, state }` (seq and CID of the marker,
// the state bytes). Reducers never see markers, so the state "at" the marker is the state after
// every entry before it. The marker is signed like every entry, so a record altered on disk no
// longer matches a signed hash: restart refuses it (CorruptLogError) and audit recomputes every
// marker's state from genesis and compares. Records of another state machine version are not
// errors: they are skipped and replay starts from an older record or from genesis.
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { parseSeqKey, seqKey, type Sublevel } from './layout.ts'

export const CHECKPOINT_RECORD_VERSION = 1

export interface CheckpointRecord {
  readonly seq: number
  /** CID of the marker entry at `seq`. */
  readonly entry: CID
  /** State machine version that computed `state`. */
  readonly version: number
  /** The state, DAG-CBOR encoded. */
  readonly state: Uint8Array
}

export function encodeCheckpoint (r: CheckpointRecord): Uint8Array {
  return dagCbor.encode({ v: CHECKPOINT_RECORD_VERSION, seq: r.seq, entry: r.entry, version: r.version, state: r.state })
}

/** Parses a stored record; throws Error with a readable reason on anything unexpected. */
export function decodeCheckpoint (bytes: Uint8Array): CheckpointRecord {
  const v = dagCbor.decode(bytes) as Record<string, unknown> | null
  if (v === null || typeof v !== 'object') throw new Error('checkpoint record is not a map')
  if (v.v !== CHECKPOINT_RECORD_VERSION) throw new Error(`checkpoint record version ${typeof v.v === 'number' ? v.v : typeof v.v} is not supported`)
  const entry = CID.asCID(v.entry)
  if (typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq) || v.seq < 0) throw new Error('checkpoint record seq is not a valid seq')
  if (entry === null) throw new Error('checkpoint record entry is not a CID')
  if (typeof v.version !== 'number' || !Number.isSafeInteger(v.version)) throw new Error('checkpoint record version is not an integer')
  if (!(v.state instanceof Uint8Array)) throw new Error('checkpoint record state is not bytes')
  return { seq: v.seq, entry, version: v.version, state: v.state }
}

export interface StoredCheckpoint {
  readonly seq: number
  readonly bytes: Uint8Array
}

/** Every stored record, newest first (there are only a few: see `keepCheckpoints`). */
export async function listCheckpoints (ckpt: Sublevel): Promise<StoredCheckpoint[]> {
  const rows = await ckpt.iterator({ reverse: true }).all()
  return rows.map(([key, bytes]) => ({ seq: parseSeqKey(key), bytes }))
}

export { seqKey as checkpointKey }
