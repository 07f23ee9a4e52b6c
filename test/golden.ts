// Golden vectors of our own wire formats (test/vectors/*.json): fixed keys and randomness in,
// exact bytes and CIDs out. They pin the format: a change that alters them is a protocol change
// and needs a new version. Regenerate deliberately with MILAGRO_UPDATE_GOLDEN=1.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('./vectors/', import.meta.url))

export function golden<T> (file: string, actual: T): T {
  const path = dir + file
  if (process.env.MILAGRO_UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.CI === 'true') throw new Error(`golden vector ${file} is missing; generate it locally and commit it`)
    writeFileSync(path, JSON.stringify(actual, null, 2) + '\n')
    console.log(`SKIP: wrote golden vector ${file}; commit it`)
    return actual
  }
  return JSON.parse(readFileSync(path, 'utf8')) as T
}
