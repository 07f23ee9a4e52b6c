// Where a token PIN or an operator passphrase comes from: an environment variable or a private
// file (mode 0600 or stricter, owned by this user). Never a command-line argument — argv is
// visible to every user through /proc and ps — and never a log line.
//
// The value comes back as a JS string because that is what pkcs11js' C_Login takes; strings are
// immutable and cannot be zeroed, so the PIN stays in the heap until collected (see Security).
import { InsecureFileError, PinSourceError } from './errors.ts'
import { isErrnoCode, readPrivateFile } from './files.ts'
import type { AbortOptions } from './types.ts'

export type PinSource =
  | { readonly env: string }
  | { readonly file: string }

export function describePinSource (source: PinSource): string {
  return 'env' in source ? `environment variable ${source.env}` : `file ${source.file}`
}

/** Reads the PIN / passphrase. One trailing newline (LF or CRLF) of a file is dropped. */
export async function readPin (source: PinSource, options?: AbortOptions): Promise<string> {
  options?.signal?.throwIfAborted()
  if ('env' in source && typeof source.env === 'string') {
    const value = process.env[source.env]
    if (value === undefined || value === '') throw new PinSourceError(`${describePinSource(source)} is unset or empty`)
    return value
  }
  if ('file' in source && typeof source.file === 'string') {
    let bytes: Uint8Array
    try {
      bytes = await readPrivateFile(source.file)
    } catch (err) {
      if (err instanceof InsecureFileError) throw err
      if (isErrnoCode(err, 'ENOENT')) throw new PinSourceError(`${describePinSource(source)} does not exist`, { cause: err })
      throw err
    }
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').replace(/\r?\n$/, '')
    bytes.fill(0)
    if (text === '') throw new PinSourceError(`${describePinSource(source)} is empty`)
    return text
  }
  throw new TypeError('PIN source must be { env: string } or { file: string }')
}
