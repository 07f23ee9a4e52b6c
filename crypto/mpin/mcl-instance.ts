// One mcl-wasm module instance per curve.
//
// mcl-wasm keeps its WebAssembly instance in a module-level variable, and `init(curve)` replaces
// it: one loaded copy of the package serves exactly one curve at a time, and every Fp/G1/G2 object
// computes with whatever curve was initialised last. M-Pin needs BN254 (Milagro interop) and
// BLS12-381 side by side, in the main thread and in every pool worker. So each curve gets its own
// copy of the package: we evaluate mcl-wasm's CommonJS files afresh (evicting them from the
// require cache for the duration of one `require`, then restoring whatever was cached before), which
// yields an independent WebAssembly instance with its own heap and curve. Other code in the process
// that imports `mcl-wasm` normally keeps its own singleton and is not disturbed.
import { createRequire } from 'node:module'
import { dirname, sep } from 'node:path'
import type * as McLib from 'mcl-wasm'

export type Mcl = typeof McLib

const require = createRequire(import.meta.url)
const entry = require.resolve('mcl-wasm')
const distDir = dirname(entry) + sep

function evictMcl (): Map<string, NodeJS.Module> {
  const evicted = new Map<string, NodeJS.Module>()
  for (const [key, mod] of Object.entries(require.cache)) {
    if (key.startsWith(distDir) && mod !== undefined) {
      evicted.set(key, mod)
      delete require.cache[key]
    }
  }
  return evicted
}

/** Loads a private mcl-wasm instance initialised for the named mcl curve. */
export async function loadMclInstance (curve: 'BN254' | 'BLS12_381'): Promise<Mcl> {
  const previous = evictMcl()
  let instance: Mcl
  try {
    instance = require(entry) as Mcl
  } finally {
    evictMcl()
    for (const [key, mod] of previous) require.cache[key] = mod
  }
  await instance.init(instance[curve])
  return instance
}
