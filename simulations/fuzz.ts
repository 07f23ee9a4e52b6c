// `npm run fuzz [-- --runs N] [-- --only FAMILY] [-- --seed S]`: the long mode of the fuzz suites
// (test/fuzz/*.ts): every property of every decoder family, N runs each (default 10,000), one
// line per property with its time; a failure prints fast-check's counterexample, seed and path
// (replay with --seed, or MILAGRO_FUZZ_SEED in `npm test`) and the exit status is 1.
//
// Families: identity, envelope, log-entry, p2p, custody, threshold, admin, rest.
import { parseArgs } from 'node:util'
import type { Family } from '../test/fuzz/fuzz.ts'

const FAMILIES = ['identity', 'envelope', 'log-entry', 'p2p', 'custody', 'threshold', 'admin', 'rest'] as const

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10000' }, only: { type: 'string', multiple: true }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  strict: true
})
if (values.help === true) {
  console.log(`usage: npm run fuzz [-- --runs N] [-- --only FAMILY ...] [-- --seed S]\n  families: ${FAMILIES.join(', ')}`)
  process.exit(0)
}
const runs = Number(values.runs)
if (!Number.isSafeInteger(runs) || runs < 1) {
  console.error(`fuzz: --runs must be a positive integer, got '${values.runs}'`)
  process.exit(2)
}
const seed = values.seed === undefined ? undefined : Number(values.seed)
const only = values.only ?? []
const unknown = only.filter((f) => !(FAMILIES as readonly string[]).includes(f))
if (unknown.length > 0) {
  console.error(`fuzz: unknown famil${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')} (have: ${FAMILIES.join(', ')})`)
  process.exit(2)
}

let failed = 0
let passed = 0
const started = performance.now()
for (const family of FAMILIES.filter((f) => only.length === 0 || only.includes(f))) {
  const { properties } = await import(`../test/fuzz/${family}.ts`) as { properties: Family }
  for (const p of properties) {
    const t0 = performance.now()
    try {
      await p.check(runs, seed)
      passed++
      console.log(`ok   ${family}: ${p.name} (${runs} runs, ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
    } catch (err) {
      failed++
      console.log(`FAIL ${family}: ${p.name}\n${(err as Error).message}`)
      const cause = (err as Error).cause
      if (cause instanceof Error) console.log(`  cause: ${cause.name}: ${cause.message}\n${cause.stack ?? ''}`)
    }
  }
}
console.log(`fuzz: ${passed} passed, ${failed} failed (${((performance.now() - started) / 1000).toFixed(1)} s)`)
process.exitCode = failed > 0 ? 1 : 0
