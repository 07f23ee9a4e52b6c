// Decentralized backup of a node: its keys, identity, configuration and key store (backup-bundle.ts)
// safeguarded k-of-n with fiduciaries for a recovery identity — the node's operator's other node —
// as beneficiary. A bundle larger than one deposit (MAX_SECRET_BYTES) is cut into parts, one
// deposit each, labelled `milagro-backup/v1 <backup id> <part>/<parts>`; every part has the same
// fiduciaries, threshold and beneficiary.
//
// Backup deposits say `principal-or-beneficiary`: the node that made the backup is, by then, gone,
// so the recovery identity must be able to ask for the release itself. `delayMs` is the guard:
// fiduciaries wait that long after the request, and the node — if it is in fact alive and the
// request is not its operator's — can revoke in between (`milagro safeguard revoke`).
//
// Restoring runs on the operator's side (backup-restore.ts): the recovery node asks for the
// release of every part, recovers them, and hands them sealed to the restoring CLI. The node's log
// is not in the bundle: from the backup on, the fiduciaries keep a copy of it (backup-replication.ts).
import type { CID } from 'multiformats/cid'
import { randomBytes, toHex, wipe, type KeyStore } from '../../crypto/index.ts'
import { entriesOf } from '../../protocol/custody/order-map.ts'
import { depositView, type DepositView } from '../../protocol/safeguard/queries.ts'
import type { LoadedHome } from '../home.ts'
import type { Logger } from '../logger.ts'
import { InvalidRequestError } from './errors.ts'
import { backupLabel, collectBundle, encodeBundle, parseBackupLabel, partsOf } from './backup-bundle.ts'
import type { SafeguardService } from './safeguard.ts'
import { UnknownBackupError } from './safeguard-errors.ts'

export interface BackupComponents {
  readonly home: LoadedHome
  /** The node's key store: its records go into the bundle. */
  readonly keystore: Pick<KeyStore, 'exportRecords'>
  readonly safeguard: SafeguardService
  readonly logger: Logger
}

export interface NewBackup {
  readonly fiduciaries: readonly CID[]
  readonly threshold: number
  /** The recovery identity: receives the backup on release. */
  readonly beneficiary: CID
  /** Fiduciaries release no sooner than this after a request (ms, default 0). */
  readonly delayMs?: number
  readonly approver?: CID | null
}

export interface BackupView {
  readonly id: string
  /** The node backed up (the principal of every part). */
  readonly identity: CID
  readonly beneficiary: CID
  /** This node's role: the node backed up, or its recovery identity. */
  readonly role: 'principal' | 'beneficiary'
  readonly parts: number
  /** The parts this node knows, in order (a part not known yet is missing). */
  readonly deposits: readonly DepositView[]
  readonly created: number
  /** Every part known, and (beneficiary) recovered into this node's key store. */
  readonly complete: boolean
  readonly recovered: boolean
}

type Options = { signal?: AbortSignal }

export class Backups {
  readonly #c: BackupComponents

  constructor (components: BackupComponents) {
    this.#c = components
  }

  /** Backs up this node: the bundle of its home, safeguarded part by part. */
  async create (input: NewBackup, options: Options = {}): Promise<BackupView> {
    const { home, safeguard } = this.#c
    if (input.beneficiary.equals(home.keys.identity.cid)) {
      throw new InvalidRequestError('the recovery identity must be another identity than the node backed up (its keys are in the backup)')
    }
    const bundle = await collectBundle(home, this.#c.keystore)
    const bytes = encodeBundle(bundle)
    const id = toHex(randomBytes(16))
    try {
      const parts = partsOf(bytes)
      for (let i = 0; i < parts.length; i++) {
        await safeguard.deposit({
          secret: parts[i] as Uint8Array,
          beneficiary: input.beneficiary,
          fiduciaries: input.fiduciaries,
          threshold: input.threshold,
          requesters: 'principal-or-beneficiary',
          delayMs: input.delayMs ?? 0,
          approver: input.approver ?? null,
          label: backupLabel({ backup: id, part: i + 1, parts: parts.length })
        }, options)
      }
      this.#c.logger.info({ backup: id, parts: parts.length, bytes: bytes.length, records: Object.keys(bundle.files).length }, 'node backed up')
    } finally {
      wipe(bytes)
      for (const f of Object.values(bundle.files)) wipe(f)
    }
    return this.get(id)
  }

  /** Backups this node made, or is the recovery identity of, oldest first. */
  list (): BackupView[] {
    const state = this.#c.safeguard.state
    const groups = new Map<string, { parts: number, deposits: Map<number, DepositView> }>()
    for (const [id, r] of entriesOf(state.deposits)) {
      const label = parseBackupLabel(r.label)
      if (label === undefined || (r.asPrincipal === null && r.asBeneficiary === null)) continue
      const g = groups.get(label.backup) ?? { parts: label.parts, deposits: new Map<number, DepositView>() }
      // A part that restates another part count, or a part already seen, is not this backup's.
      if (g.parts !== label.parts || g.deposits.has(label.part)) continue
      g.deposits.set(label.part, depositView(state, id) as DepositView)
      groups.set(label.backup, g)
    }
    const views: BackupView[] = []
    for (const [id, g] of groups) {
      const deposits = [...g.deposits.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v)
      const first = deposits[0] as DepositView
      const sameParties = deposits.every((d) => d.principal.equals(first.principal) && d.beneficiary.equals(first.beneficiary))
      if (!sameParties) continue
      const role = first.roles.includes('principal') ? 'principal' : 'beneficiary'
      const complete = deposits.length === g.parts
      views.push({
        id,
        identity: first.principal,
        beneficiary: first.beneficiary,
        role,
        parts: g.parts,
        deposits,
        created: Math.min(...deposits.map((d) => d.created)),
        complete,
        recovered: complete && deposits.every((d) => d.recovered)
      })
    }
    return views.sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1))
  }

  get (id: string): BackupView {
    const v = this.list().find((b) => b.id === id)
    if (v === undefined) throw new UnknownBackupError(`backup ${id} is not known to this node`)
    return v
  }
}
