// Measures REST latency from a process of its own (so the attacker's work in the test process does
// not inflate it): GET `--url`/v1/status with the bearer token of `--token-file`, one request at a
// time, every `--every` ms, until a line `stop` on stdin (`--home` is accepted and ignored: child.ts passes it); then prints {"result": {"latencies": [ms, …], "errors": n}}.
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { home: { type: 'string' }, url: { type: 'string' }, 'token-file': { type: 'string' }, every: { type: 'string', default: '20' } } })
const token = (await readFile(values['token-file'] as string, 'utf8')).trim()
const every = Number(values.every)
let stopped = false
const input = createInterface({ input: process.stdin })
input.on('line', (line) => { if (line.trim() === 'stop') stopped = true })
process.stdout.write(JSON.stringify({ probing: true }) + '\n')
const latencies: number[] = []
let errors = 0
while (!stopped) {
  const t0 = performance.now()
  try {
    const res = await fetch(`${values.url as string}/v1/status`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) })
    await res.text()
    if (res.status !== 200) errors++
  } catch {
    errors++
  }
  latencies.push(performance.now() - t0)
  // A fixed pace between requests (a probe, not a load test of its own).
  await sleep(every)
}
process.stdout.write(JSON.stringify({ result: { latencies, errors } }) + '\n')
input.close()
