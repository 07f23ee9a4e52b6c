// Published test vectors live in ../shared/vectors beside the clone (see that folder's README
// for sources). They are never copied into the project. Where the folder is absent, vector tests
// print a `SKIP:` line and skip explicitly.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const sharedVectorsDir = fileURLToPath(new URL('../../shared/vectors/', import.meta.url))

export function hasSharedVectors (file: string): boolean {
  return existsSync(sharedVectorsDir + file)
}

/** Reads a shared vector file, or returns undefined after printing a `SKIP:` line. */
export function readSharedVector (file: string): string | undefined {
  if (!hasSharedVectors(file)) {
    console.log(`SKIP: ${file} not found in ${sharedVectorsDir}; its known-answer tests are skipped`)
    return undefined
  }
  return readFileSync(sharedVectorsDir + file, 'utf8')
}

export function readSharedJson<T = unknown> (file: string): T | undefined {
  const text = readSharedVector(file)
  return text === undefined ? undefined : JSON.parse(text) as T
}

export function hex (s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'))
}

export function toHex (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}
