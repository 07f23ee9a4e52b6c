// What keeps this process alive: one line, for a test process that did not exit when it should
// have (teardown.ts's exit watchdog, and the runner's report before it kills a file at its time
// limit). Cheap — no async_hooks: the resource kinds and counts of process.getActiveResourcesInfo(),
// then what the listening servers, sockets and child processes are (local and remote addresses,
// socket paths, pids and commands). Timers show as a count only (their callbacks are not
// reachable without async_hooks). The process's own stdio is left out.

interface HandleLike {
  readonly constructor?: { readonly name?: string }
  readonly address?: () => unknown
  readonly remoteAddress?: string
  readonly remotePort?: number
  readonly localAddress?: string
  readonly localPort?: number
  readonly _isStdio?: boolean
  readonly pid?: number
  readonly spawnargs?: readonly string[]
}

function addressText (a: unknown): string {
  if (typeof a === 'string') return a
  if (a !== null && typeof a === 'object' && 'port' in a) {
    const { address, port } = a as { address?: string, port?: number }
    return `${address ?? '?'}:${port ?? '?'}`
  }
  return '?'
}

function describe (h: HandleLike): string | undefined {
  const kind = h.constructor?.name ?? 'handle'
  try {
    if (kind === 'Socket' && h._isStdio === true) return undefined
    if (kind === 'Server' && typeof h.address === 'function') return `server ${addressText(h.address())}`
    if (kind === 'Socket') return h.remoteAddress === undefined ? 'socket (unconnected or pipe)' : `socket ${h.localAddress ?? '?'}:${h.localPort ?? '?'} → ${h.remoteAddress}:${h.remotePort ?? '?'}`
    if (kind === 'ChildProcess') return `child process ${h.pid ?? '?'} (${(h.spawnargs ?? []).slice(1).join(' ').slice(0, 160)})`
  } catch {
    // a handle being closed right now; its kind is enough
  }
  return kind
}

/** e.g. `8 TCPServerWrap, 20 Timeout; server 127.0.0.1:40571, server /tmp/…/admin.sock, …` */
export function openHandles (): string {
  const counts = new Map<string, number>()
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1)
  const kinds = [...counts].map(([k, n]) => `${n} ${k}`).join(', ')
  const getHandles = (process as unknown as { _getActiveHandles?: () => HandleLike[] })._getActiveHandles
  const details = typeof getHandles === 'function' ? getHandles.call(process).map(describe).filter((d) => d !== undefined) : []
  return `${kinds === '' ? 'nothing' : kinds}${details.length > 0 ? `; ${details.join(', ')}` : ''}`
}
