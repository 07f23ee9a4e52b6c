// Memory of a simulation, read from /proc: the resident set (VmRSS of /proc/<pid>/status) and the
// proportional set (Pss of /proc/<pid>/smaps_rollup: pages shared between processes — the node
// binary's code, mostly — split among them) of a process.
import { readFile } from 'node:fs/promises'

export interface ProcessMemory {
  /** bytes */
  readonly rss: number
  readonly pss: number | undefined
}

const kib = (text: string | undefined, field: string): number | undefined => {
  const m = text === undefined ? null : new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
  return m === null ? undefined : Number(m[1]) * 1024
}

/** RSS and PSS of process `pid` ('self': this one); undefined when it is gone. */
export async function processMemory (pid: number | 'self'): Promise<ProcessMemory | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined)
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => undefined)
  const rss = kib(status, 'VmRSS')
  return rss === undefined ? undefined : { rss, pss: kib(rollup, 'Pss') }
}
