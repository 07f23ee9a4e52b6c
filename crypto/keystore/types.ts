// The KeyStore interface: what the custody, safeguard and M-Pin services need from a place that
// keeps secrets, and no more. Two backends implement it (software.ts, pkcs11.ts); both are
// held to the same conformance suite (test/crypto/keystore/suite.ts).
//
// A secret is referenced by an opaque handle (see handle.ts) that is safe to log and to put in
// the node's append-only log. A stored secret has a public part that may be published:
//   - 'secp256k1'         the 33-byte compressed point secret·G;
//   - 'bls12-381-scalar', 'bn254-scalar', 'generic'
//                         a 32-byte SHA-256 commitment (see kinds.ts `secretCommitment`); the
//                         pairing public parts (s·Q in G2, …) are computed by the M-Pin layer.
// Scalars are 32 bytes big-endian, in [1, n) for secp256k1 and [1, r) for the pairing curves.

export const SECRET_KINDS = ['secp256k1', 'bls12-381-scalar', 'bn254-scalar', 'generic'] as const
export type SecretKind = typeof SECRET_KINDS[number]

export type KeyStoreBackend = 'software' | 'pkcs11'

export interface AbortOptions {
  readonly signal?: AbortSignal
}

export interface StartOptions extends AbortOptions {
  /**
   * Data sealed under this store's KEK exists outside the store (sealBlob, e.g. the node's own
   * keys): like existing records, this forbids creating a new KEK (KekNotFoundError instead).
   */
  readonly existingKek?: boolean
}

/** A blob sealed under the store's KEK by sealBlob: kept by the caller, not by the store. */
export interface SealedBlob {
  /** The sealer that made it ('aes-256-gcm' or 'pkcs11-aes-256-gcm'), bound into the AEAD. */
  readonly alg: string
  readonly iv: Uint8Array
  readonly ciphertext: Uint8Array
}

export interface GenerateOptions extends AbortOptions {
  /** Length in bytes of a 'generic' secret (default 32, at most MAX_GENERIC_SECRET_BYTES). */
  readonly length?: number
}

export interface ReleaseOptions extends AbortOptions {
  /** HPKE AEAD (default 'aes-256-gcm'). KEM is DHKEM(X25519, HKDF-SHA256), KDF HKDF-SHA256. */
  readonly aead?: 'aes-256-gcm' | 'chacha20-poly1305' | 'aes-128-gcm'
  /** Associated data the recipient must present to open (default empty). */
  readonly aad?: Uint8Array
}

export interface StoredSecret {
  readonly handle: string
  readonly kind: SecretKind
  readonly publicPart: Uint8Array
}

/** HPKE base-mode output: the encapsulated key and the sealed secret. */
export interface ReleasedSecret {
  readonly enc: Uint8Array
  readonly ciphertext: Uint8Array
}

/** pino-compatible: a pino logger or child fits. Never given secret material. */
export interface KeyStoreLogger {
  warn (obj: Record<string, unknown>, msg: string): void
  info? (obj: Record<string, unknown>, msg: string): void
}

export interface KeyStore {
  readonly backend: KeyStoreBackend

  /** Opens the backend (loads the KEK / logs in to the token). Refuses rather than degrades. */
  start (options?: StartOptions): Promise<void>
  /** Releases every handle (token session, module); idempotent. */
  stop (): Promise<void>

  /** Generates a fresh secret of `kind` and stores it wrapped. */
  generate (kind: SecretKind, options?: GenerateOptions): Promise<StoredSecret>
  /**
   * `generate`, then `fn` with the fresh secret once its record is stored — as `use` would, without
   * unwrapping the record again (a file read and a KEK decryption; with PKCS#11, a token call).
   * The buffer is zeroed when `fn` settles. If `fn` throws, the record stays (like generate + use).
   */
  generateAndUse<T> (kind: SecretKind, fn: (secret: Uint8Array, stored: StoredSecret) => T | Promise<T>, options?: GenerateOptions): Promise<{ stored: StoredSecret, result: T }>
  /** Stores a secret received from elsewhere. The caller keeps (and should zero) its own copy. */
  import (kind: SecretKind, secret: Uint8Array, options?: AbortOptions): Promise<StoredSecret>
  /** The public part of a stored secret, authenticated against the wrapped record. */
  publicPart (handle: string, options?: AbortOptions): Promise<Uint8Array>
  /**
   * Runs `fn` with the secret unwrapped into a fresh buffer that is zeroed when `fn` settles.
   * `fn` must not keep the buffer (or views of it) beyond its own completion.
   */
  use<T> (handle: string, fn: (secret: Uint8Array) => T | Promise<T>, options?: AbortOptions): Promise<T>
  /** secret·G + point (33-byte compressed); `point` is a SEC1 secp256k1 point. */
  secp256k1AddPublic (handle: string, point: Uint8Array, options?: AbortOptions): Promise<Uint8Array>
  /** secret·point (33-byte compressed). */
  secp256k1Multiply (handle: string, point: Uint8Array, options?: AbortOptions): Promise<Uint8Array>
  /** The secret HPKE-sealed (RFC 9180 base mode) to a recipient's X25519 public key. */
  release (handle: string, recipientPublicKey: Uint8Array, info: Uint8Array, options?: ReleaseOptions): Promise<ReleasedSecret>
  /** Deletes the wrapped record; later calls with the handle fail with UnknownHandleError. */
  destroy (handle: string, options?: AbortOptions): Promise<void>
  /**
   * Seals `plaintext` under the store's KEK with associated data `aad` (domain-separated from the
   * records' so neither can pass for the other), for a secret the caller keeps elsewhere — the
   * node's own keys (node/node-keys.ts). Nothing is stored; the caller keeps (and zeroes) its copy.
   */
  sealBlob (aad: Uint8Array, plaintext: Uint8Array, options?: AbortOptions): Promise<SealedBlob>
  /**
   * Opens a sealBlob result into a fresh buffer the caller zeroes after use. TamperedRecordError
   * when it does not authenticate under `aad` and this store's KEK, or was made by another sealer.
   */
  openBlob (aad: Uint8Array, blob: SealedBlob, options?: AbortOptions): Promise<Uint8Array>
  /** Every stored handle, sorted. */
  list (options?: AbortOptions): Promise<string[]>
  /**
   * Every record as stored, by handle (sorted): sealed under the KEK, so useless without it — the
   * key store part of a node backup. Nothing is unwrapped.
   */
  exportRecords (options?: AbortOptions): Promise<Array<{ readonly handle: string, readonly bytes: Uint8Array }>>
}
