// Keeping secrets out of core dumps. A core file of a running node would hold, in clear, what its
// memory holds: the node keys, shares while they are used, the API token, passphrases and PINs.
//
// Node.js can neither set RLIMIT_CORE (there is no process.setrlimit) nor call
// prctl(PR_SET_DUMPABLE, 0). What it can do, on Linux, is write /proc/self/coredump_filter: a mask
// of the memory mappings a core dump includes (core(5)). With 0, none are written — a core file
// then holds only ELF headers, registers and notes, no heap, no stack contents of memory maps —
// and the setting is inherited by child processes. `milagro start` does this first thing.
//
// It does not stop a core dump from being written (the operator should: `ulimit -c 0`, systemd
// `LimitCORE=0`, `docker run --ulimit core=0`), and root or a debugger attached with ptrace can
// still read the process's memory; see the README's Security section.
import { readFile, writeFile } from 'node:fs/promises'

export const COREDUMP_FILTER_PATH = '/proc/self/coredump_filter'

/**
 * Excludes every memory mapping from this process's core dumps. Resolves true when the filter is
 * now 0, false where the platform has no such control (not Linux, or /proc not mounted).
 */
export async function excludeMemoryFromCoreDumps (): Promise<boolean> {
  try {
    await writeFile(COREDUMP_FILTER_PATH, '0')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return false
    throw err
  }
  return Number.parseInt((await readFile(COREDUMP_FILTER_PATH, 'utf8')).trim(), 16) === 0
}
