// Prometheus metrics of one node: libp2p's own (through @libp2p/prometheus-metrics) and ours, in
// one registry per node (several nodes may share a process in tests and simulations). Served at
// `GET /metrics` by the REST API, behind the same bearer token as every other route.
//
// Ours (all prefixed `milagro_`):
//   log_entries_total{kind}             entries appended, by kind (envelope.sent = envelopes out)
//   log_length                          entries in the log (head seq + 1)
//   envelopes_received_total            envelopes accepted into the log (envelopes in)
//   envelopes_duplicate_total           envelopes received again and acknowledged, not appended
//   envelopes_rejected_total{reason}    envelopes dropped, by typed reason
//   outbox_pending / outbox_dead        envelopes waiting for delivery / given up
//   peers                               connected peers
//   orders{role,status}                 custody orders by role and status
//   pool_queue_depth                    tasks waiting for the crypto worker pool
//   keystore_operations_total{op}       key store calls, by operation
// Nothing secret is ever a label or a value.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import type { KeyStore } from '../crypto/index.ts'
import { entriesOf, type CustodyState } from '../protocol/index.ts'

/** What the collectors read at scrape time; undefined while the node is not running. */
export interface MetricsSource {
  readonly logLength: () => number
  readonly inbound: () => { readonly received: number, readonly duplicates: number, readonly dropped: Readonly<Record<string, number>> }
  readonly outbox: () => { readonly pending: number, readonly dead: number }
  readonly peers: () => number
  readonly poolQueue: () => number
  readonly custody: () => CustodyState | undefined
}

const ROLES = ['principal', 'fiduciary', 'beneficiary'] as const

export class NodeMetrics {
  readonly registry = new Registry()
  readonly logEntries: Counter<'kind'>
  readonly keystoreOperations: Counter<'op'>
  #source: MetricsSource | undefined

  constructor () {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry, prefix: 'milagro_process_' })
    this.logEntries = new Counter({ name: 'milagro_log_entries_total', help: 'Log entries appended, by kind', labelNames: ['kind'], registers })
    this.keystoreOperations = new Counter({ name: 'milagro_keystore_operations_total', help: 'Key store calls, by operation', labelNames: ['op'], registers })
    const gauge = (name: string, help: string, read: (s: MetricsSource) => number): void => {
      const self = this
      new Gauge({ name, help, registers, collect () { const s = self.#source; this.set(s === undefined ? 0 : read(s)) } }) // eslint-disable-line no-new
    }
    gauge('milagro_log_length', 'Entries in the log', (s) => s.logLength())
    gauge('milagro_envelopes_received_total', 'Envelopes accepted into the log', (s) => s.inbound().received)
    gauge('milagro_envelopes_duplicate_total', 'Envelopes received again (acknowledged, not appended)', (s) => s.inbound().duplicates)
    gauge('milagro_outbox_pending', 'Envelopes waiting for delivery', (s) => s.outbox().pending)
    gauge('milagro_outbox_dead', 'Envelopes given up on', (s) => s.outbox().dead)
    gauge('milagro_peers', 'Connected peers', (s) => s.peers())
    gauge('milagro_pool_queue_depth', 'Tasks waiting for the crypto worker pool', (s) => s.poolQueue())
    const metrics = this
    new Gauge({ // eslint-disable-line no-new
      name: 'milagro_envelopes_rejected_total',
      help: 'Envelopes dropped, by typed reason',
      labelNames: ['reason'],
      registers,
      collect () {
        this.reset()
        for (const [reason, n] of Object.entries(metrics.#source?.inbound().dropped ?? {})) this.set({ reason }, n)
      }
    })
    new Gauge({ // eslint-disable-line no-new
      name: 'milagro_orders',
      help: 'Custody orders known to this node, by role and status',
      labelNames: ['role', 'status'],
      registers,
      collect () {
        this.reset()
        const state = metrics.#source?.custody()
        if (state === undefined) return
        for (const role of ROLES) {
          const counts = new Map<string, number>()
          for (const [, o] of entriesOf<{ readonly status: string }>(state[role].orders)) counts.set(o.status, (counts.get(o.status) ?? 0) + 1)
          for (const [status, n] of counts) this.set({ role, status }, n)
        }
      }
    })
  }

  /** The libp2p metrics component, registering libp2p's own metrics in this node's registry. */
  libp2p (): ReturnType<typeof prometheusMetrics> {
    return prometheusMetrics({ registry: this.registry, collectDefaultMetrics: false, preserveExistingMetrics: true })
  }

  attach (source: MetricsSource | undefined): void {
    this.#source = source
  }

  /** Prometheus text exposition of every metric. */
  async text (): Promise<{ readonly contentType: string, readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}

/** A key store that counts its calls in `counter` (by operation; never arguments or results). */
export function countingKeyStore (inner: KeyStore, counter: Counter<'op'>): KeyStore {
  const count = (op: string): void => { counter.inc({ op }) }
  return {
    get backend () { return inner.backend },
    start: async (options) => { await inner.start(options) },
    stop: async () => { await inner.stop() },
    generate: async (kind, options) => { count('generate'); return await inner.generate(kind, options) },
    generateAndUse: async (kind, fn, options) => { count('generateAndUse'); return await inner.generateAndUse(kind, fn, options) },
    import: async (kind, secret, options) => { count('import'); return await inner.import(kind, secret, options) },
    publicPart: async (handle, options) => { count('publicPart'); return await inner.publicPart(handle, options) },
    use: async (handle, fn, options) => { count('use'); return await inner.use(handle, fn, options) },
    secp256k1AddPublic: async (handle, point, options) => { count('secp256k1AddPublic'); return await inner.secp256k1AddPublic(handle, point, options) },
    secp256k1Multiply: async (handle, point, options) => { count('secp256k1Multiply'); return await inner.secp256k1Multiply(handle, point, options) },
    release: async (handle, recipient, info, options) => { count('release'); return await inner.release(handle, recipient, info, options) },
    destroy: async (handle, options) => { count('destroy'); await inner.destroy(handle, options) },
    sealBlob: async (aad, plaintext, options) => { count('sealBlob'); return await inner.sealBlob(aad, plaintext, options) },
    openBlob: async (aad, blob, options) => { count('openBlob'); return await inner.openBlob(aad, blob, options) },
    list: async (options) => await inner.list(options),
    exportRecords: async (options) => await inner.exportRecords(options)
  }
}
