// Loopback ports for the simulated nodes, fixed at creation so that a restarted node comes back
// where its peers expect it.
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { SimNodeError } from './errors.ts'

/** The kernel's range for ephemeral ports (outgoing connections, listens on port 0). */
async function ephemeralRange (): Promise<[number, number]> {
  const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '')
  const m = /^(\d+)\s+(\d+)/.exec(text)
  return m === null ? [32_768, 60_999] : [Number(m[1]), Number(m[2])]
}

async function bindable (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => { resolve(false) })
    s.listen(port, '127.0.0.1', () => { s.close(() => { resolve(true) }) })
  })
}

/**
 * `n` free loopback ports below the ephemeral range. A port taken from the ephemeral range and
 * released could be handed to any outgoing connection before its node binds it (seen with 80
 * nodes: EADDRINUSE); below the range only an explicit bind can take it.
 */
export async function freePorts (n: number): Promise<number[]> {
  const [low] = await ephemeralRange()
  const top = Math.min(low, 32_768) - 1
  const bottom = Math.max(1_024, top - 12_000)
  // From a random point of the range (two simulations at once rarely meet), wrapping around.
  const span = top - bottom + 1
  const start = Math.floor(Math.random() * span)
  const ports: number[] = []
  for (let k = 0; ports.length < n && k < span; k++) {
    const port = bottom + ((start + k) % span)
    if (await bindable(port)) ports.push(port)
  }
  if (ports.length < n) throw new SimNodeError(`found only ${ports.length} free ports in ${bottom}..${top} for ${n} nodes`)
  return ports
}
