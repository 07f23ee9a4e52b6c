// The node's configuration: one JSON file in the node home, validated by a zod schema at start.
// Errors name the exact field and the problem (`ConfigError: listen[1]: not a multiaddr`).
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { CID } from 'multiformats/cid'
import { ConfigError } from './errors.ts'

export const CONFIG_VERSION = 1
export const ROLES = ['principal', 'fiduciary', 'beneficiary'] as const
export const SERVICES = ['custody', 'safeguard', 'mpin', 'threshold'] as const

const multiaddr = z.string().regex(/^(\/[a-z0-9-]+\/[^/\s]+)+(\/p2p\/[1-9A-HJ-NP-Za-km-z]+)?$/, 'not a multiaddr (e.g. /ip4/127.0.0.1/tcp/4101)')

const keystoreSchema = z.discriminatedUnion('backend', [
  z.object({
    backend: z.literal('software'),
    /** Name of an environment variable holding the passphrase; without it the KEK is a 0600 file. */
    passphraseEnv: z.string().min(1).optional()
  }).strict(),
  z.object({
    backend: z.literal('pkcs11'),
    module: z.string().min(1),
    tokenLabel: z.string().min(1).max(32),
    /** The PIN comes from an environment variable or a 0600 file, never from the config or argv. */
    pinEnv: z.string().min(1).optional(),
    pinFile: z.string().min(1).optional()
  }).strict().refine((k) => (k.pinEnv === undefined) !== (k.pinFile === undefined), { message: 'set exactly one of pinEnv or pinFile' })
])

const identityCid = z.string().refine((s) => { try { return CID.parse(s).version === 1 } catch { return false } }, 'not an identity CID (CIDv1)')

export const configSchema = z.object({
  version: z.literal(CONFIG_VERSION),
  name: z.string().min(1).max(64),
  roles: z.array(z.enum(ROLES)).min(1).default([...ROLES]),
  services: z.array(z.enum(SERVICES)).default([...SERVICES]),
  listen: z.array(multiaddr).default(['/ip4/127.0.0.1/tcp/4101']),
  bootstrap: z.array(multiaddr).default([]),
  api: z.object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(4100)
  }).strict().default({ host: '127.0.0.1', port: 4100 }),
  keystore: keystoreSchema.default({ backend: 'software' }),
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
  }).strict().default({ level: 'info' }),
  custody: z.object({
    /** Bitcoin network of the addresses this node publishes as principal. */
    network: z.enum(['mainnet', 'testnet', 'signet', 'regtest']).default('mainnet'),
    /** Identity CID of the fiduciary used when an order names none. */
    defaultFiduciary: identityCid.optional()
  }).strict().default({ network: 'mainnet' }),
  mpin: z.object({
    /** D-TA: identities that may ask for secrets on behalf of any beneficiary. */
    principals: z.array(identityCid).default([]),
    /** D-TA: identities (authentication servers) that may receive server-secret shares. */
    authServers: z.array(identityCid).default([]),
    /** D-TA: days before and after today for which time permits are issued. */
    permitWindow: z.object({ before: z.number().int().min(0).max(366), after: z.number().int().min(0).max(366) }).strict().default({ before: 1, after: 1 }),
    /** Authentication server: whether logins need a time permit. */
    timePermits: z.enum(['optional', 'required']).default('optional')
  }).strict().default({ principals: [], authServers: [], permitWindow: { before: 1, after: 1 }, timePermits: 'optional' }),
  storage: z.object({
    checkpointEvery: z.number().int().min(1).default(1000)
  }).strict().default({ checkpointEvery: 1000 }),
  backup: z.object({
    /** Identities this node replicates its own log to, besides the fiduciaries of its newest backup. */
    replicas: z.array(identityCid).default([]),
    /** Identities whose log this node keeps a copy of, besides the principals whose backup it holds as fiduciary. */
    replicate: z.array(identityCid).default([]),
    /** Bytes kept per replicated log (<home>/data/replicas); a push past it is refused. */
    quotaBytes: z.number().int().min(0).default(256 * 1024 * 1024)
  }).strict().default({ replicas: [], replicate: [], quotaBytes: 256 * 1024 * 1024 })
}).strict()

export type NodeConfig = z.infer<typeof configSchema>
export type ConfigInput = z.input<typeof configSchema>

/** Validates a parsed config; the error names the first bad field and what is wrong with it. */
export function parseConfig (value: unknown, source = 'config'): NodeConfig {
  const result = configSchema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    const path = issue === undefined || issue.path.length === 0 ? '(root)' : issue.path.map((p) => typeof p === 'number' ? `[${p}]` : `.${String(p)}`).join('').replace(/^\./, '')
    throw new ConfigError(`${source}: ${path}: ${issue?.message ?? 'invalid'}`)
  }
  return result.data
}

/**
 * Environment overrides: every config field has a `MILAGRO_…` variable (the table below, also in
 * the README). Lists are comma-separated; numbers are parsed; an override replaces the file's value.
 */
export const ENV_OVERRIDES: ReadonlyArray<{ readonly env: string, readonly path: readonly string[], readonly type: 'string' | 'list' | 'number' }> = [
  { env: 'MILAGRO_NAME', path: ['name'], type: 'string' },
  { env: 'MILAGRO_ROLES', path: ['roles'], type: 'list' },
  { env: 'MILAGRO_SERVICES', path: ['services'], type: 'list' },
  { env: 'MILAGRO_LISTEN', path: ['listen'], type: 'list' },
  { env: 'MILAGRO_BOOTSTRAP', path: ['bootstrap'], type: 'list' },
  { env: 'MILAGRO_API_HOST', path: ['api', 'host'], type: 'string' },
  { env: 'MILAGRO_API_PORT', path: ['api', 'port'], type: 'number' },
  { env: 'MILAGRO_KEYSTORE_BACKEND', path: ['keystore', 'backend'], type: 'string' },
  { env: 'MILAGRO_KEYSTORE_PASSPHRASE_ENV', path: ['keystore', 'passphraseEnv'], type: 'string' },
  { env: 'MILAGRO_KEYSTORE_MODULE', path: ['keystore', 'module'], type: 'string' },
  { env: 'MILAGRO_KEYSTORE_TOKEN_LABEL', path: ['keystore', 'tokenLabel'], type: 'string' },
  { env: 'MILAGRO_KEYSTORE_PIN_ENV', path: ['keystore', 'pinEnv'], type: 'string' },
  { env: 'MILAGRO_KEYSTORE_PIN_FILE', path: ['keystore', 'pinFile'], type: 'string' },
  { env: 'MILAGRO_LOG_LEVEL', path: ['log', 'level'], type: 'string' },
  { env: 'MILAGRO_CUSTODY_NETWORK', path: ['custody', 'network'], type: 'string' },
  { env: 'MILAGRO_CUSTODY_DEFAULT_FIDUCIARY', path: ['custody', 'defaultFiduciary'], type: 'string' },
  { env: 'MILAGRO_MPIN_PRINCIPALS', path: ['mpin', 'principals'], type: 'list' },
  { env: 'MILAGRO_MPIN_AUTH_SERVERS', path: ['mpin', 'authServers'], type: 'list' },
  { env: 'MILAGRO_MPIN_TIME_PERMITS', path: ['mpin', 'timePermits'], type: 'string' },
  { env: 'MILAGRO_STORAGE_CHECKPOINT_EVERY', path: ['storage', 'checkpointEvery'], type: 'number' },
  { env: 'MILAGRO_BACKUP_REPLICAS', path: ['backup', 'replicas'], type: 'list' },
  { env: 'MILAGRO_BACKUP_REPLICATE', path: ['backup', 'replicate'], type: 'list' },
  { env: 'MILAGRO_BACKUP_QUOTA_BYTES', path: ['backup', 'quotaBytes'], type: 'number' }
]

/** Returns a copy of `raw` with every `MILAGRO_…` variable set in `env` applied. */
export function applyEnvOverrides (raw: unknown, env: Readonly<Record<string, string | undefined>> = process.env): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw
  const out = structuredClone(raw) as Record<string, unknown>
  for (const o of ENV_OVERRIDES) {
    const text = env[o.env]
    if (text === undefined) continue
    let value: unknown = text
    if (o.type === 'list') value = text.split(',').map((v) => v.trim()).filter((v) => v.length > 0)
    if (o.type === 'number') {
      value = Number(text)
      if (text.trim() === '' || !Number.isFinite(value)) throw new ConfigError(`${o.env}: '${text}' is not a number`)
    }
    let target = out
    for (const key of o.path.slice(0, -1)) {
      const next = target[key]
      target[key] = next !== null && typeof next === 'object' && !Array.isArray(next) ? { ...next as object } : {}
      target = target[key] as Record<string, unknown>
    }
    target[o.path[o.path.length - 1] as string] = value
  }
  return out
}

export async function readConfig (path: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<NodeConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`, { cause: err })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  const applied = ENV_OVERRIDES.filter((o) => env[o.env] !== undefined).map((o) => o.env)
  return parseConfig(applyEnvOverrides(value, env), applied.length === 0 ? path : `${path} with ${applied.join(', ')}`)
}
