// Timing helpers for figure scripts: time-bounded loops after a warm-up, on one core.

/** Runs `fn` repeatedly for about `ms` milliseconds (after a warm-up) and returns calls per second. */
export function opsPerSecond (fn: () => unknown, ms = 1000): number {
  const warmUntil = performance.now() + Math.min(200, ms / 5)
  while (performance.now() < warmUntil) fn()
  let n = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    for (let i = 0; i < 16; i++) fn()
    n += 16
    now = performance.now()
  }
  return n / ((now - start) / 1000)
}

/** Async variant: awaits each call. */
export async function opsPerSecondAsync (fn: () => Promise<unknown>, ms = 1000): Promise<number> {
  const warmUntil = performance.now() + Math.min(200, ms / 5)
  while (performance.now() < warmUntil) await fn()
  let n = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    await fn()
    n++
    now = performance.now()
  }
  return n / ((now - start) / 1000)
}
