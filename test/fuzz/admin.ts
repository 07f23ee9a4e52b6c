// Fuzzing the admin socket (node/admin/): request lines of any shape — arbitrary text, JSON of any
// value, request objects with fields replaced, lines over the size limit — through `parseRequest`
// and through a live AdminServer on a real Unix socket with the node's own handlers (connect and
// stop stubbed: a fuzzed address must not dial out, a fuzzed stop must not stop the node). Parsing
// refuses only with MalformedRequestError / UnknownCommandError; the server answers every line with
// a JSON reply, refuses an oversized one with RequestTooLargeError, and keeps answering.
import { rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import { adminRequest } from '../../node/admin/client.ts'
import { adminHandlers } from '../../node/admin/handlers.ts'
import { MAX_REQUEST_BYTES, parseRequest, requestId } from '../../node/admin/protocol.ts'
import { AdminServer } from '../../node/admin/server.ts'
import { silentLogger } from '../../node/logger.ts'
import { makeHome, startNode } from '../node/node-harness.ts'
import { fc, ipldArb, keyArb, property, typed, type Family } from './fuzz.ts'

const PARSE_ERRORS: ReadonlySet<string> = new Set(['MalformedRequestError', 'UnknownCommandError'])
const REPLY_ERRORS: ReadonlySet<string> = new Set([...PARSE_ERRORS, 'RequestTooLargeError'])

const json = (v: unknown): string => { try { return JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? Number(x) : x instanceof Uint8Array ? [...x] : x) ?? 'null' } catch { return 'null' } }

const lineArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 200, unit: 'binary' }),
  ipldArb.map(json),
  fc.record({ cmd: fc.oneof(fc.constantFrom('status', 'peers', 'identity', 'log.head', 'checkpoint', 'connect', 'stop', ''), fc.string({ maxLength: 70 })), id: fc.oneof(fc.string({ maxLength: 140 }), fc.integer(), fc.double(), ipldArb), addr: fc.option(fc.string({ maxLength: 40 })) }, { requiredKeys: ['cmd'] }).map(json),
  fc.dictionary(keyArb, ipldArb, { maxKeys: 4 }).map(json)
).map((l) => l.replaceAll('\n', ' '))

/** Writes lines on one connection and resolves with one parsed reply per line (or fewer if the server closes). */
async function exchange (path: string, payload: string, expected: number, signal: AbortSignal): Promise<Array<Record<string, unknown>>> {
  return await new Promise((resolve, reject) => {
    const socket = connect(path)
    let buffer = ''
    const replies: Array<Record<string, unknown>> = []
    const done = (): void => { signal.removeEventListener('abort', onAbort); socket.destroy(); resolve(replies) }
    const onAbort = (): void => { socket.destroy(); reject(new Error(`${replies.length}/${expected} replies before the timeout`)) }
    signal.addEventListener('abort', onAbort, { once: true })
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      buffer += chunk
      for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
        replies.push(JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>)
        buffer = buffer.slice(nl + 1)
      }
      if (replies.length >= expected) done()
    })
    socket.on('end', done)
    socket.on('error', reject)
    socket.on('connect', () => { socket.write(payload) })
  })
}

export const properties: Family = [
  property('parseRequest: any line is a request or a typed refusal; requestId never throws', 1000, lineArb, (line) => {
    typed(new Set<string>(), () => requestId(line))
    typed(PARSE_ERRORS, () => parseRequest(line))
  }),
  {
    name: 'a live admin socket answers every fuzzed line with JSON, refuses oversized lines, and keeps serving',
    runs: 60,
    async check (runs, seed) {
      const dir = await makeHome('fuzz-admin')
      const node = await startNode(dir, { admin: false })
      const socketPath = join(dirname(dir), 'fuzz.sock')
      const server = new AdminServer({ socketPath, logger: silentLogger(), handlers: { ...adminHandlers(node), connect: async () => ({ peerId: 'stub' }), stop: async () => ({ stopping: false }) } })
      await server.start()
      try {
        await property('live', runs, fc.tuple(fc.array(lineArb, { minLength: 1, maxLength: 4 }), fc.boolean()), async ([lines, oversized]) => {
          // The last line is an oversized one (the server answers and closes) or a status probe.
          const last = oversized ? 'x'.repeat(MAX_REQUEST_BYTES + 1) : JSON.stringify({ id: 'probe', cmd: 'status' })
          const payload = [...lines, last].map((l) => l + '\n').join('')
          const expected = lines.filter((l) => l.trim() !== '').length + 1
          const replies = await exchange(socketPath, payload, expected, AbortSignal.timeout(10_000))
          if (replies.length !== expected) throw new Error(`${expected} replies expected, got ${replies.length}`)
          for (const r of replies) {
            if (r.ok === true) continue
            const name = (r.error as { name?: unknown } | undefined)?.name
            if (typeof name !== 'string' || !REPLY_ERRORS.has(name)) throw new Error(`reply with error ${JSON.stringify(r.error)}`)
          }
          const final = replies.at(-1) as Record<string, unknown>
          if (oversized ? (final.error as { name?: string } | undefined)?.name !== 'RequestTooLargeError' : final.id !== 'probe' || final.ok !== true) throw new Error(`last reply ${JSON.stringify(final)}`)
          const status = await adminRequest(socketPath, { cmd: 'status' }, { signal: AbortSignal.timeout(5_000) })
          if (!status.ok) throw new Error('status failed after a fuzzed exchange')
        }).check(runs, seed)
      } finally {
        await server.stop()
        await node.stop()
        await rm(dirname(dir), { recursive: true, force: true })
      }
    }
  }
]
