// `milagro admin <command>`: talks to a running node over its admin socket.
import type { Command } from 'commander'
import { adminRequest } from '../admin/client.ts'
import { ADMIN_COMMANDS, type AdminCommand } from '../admin/protocol.ts'
import { defaultHome, homePaths } from '../home.ts'

function show (value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) {
    if (value.length === 0) return '(none)'
    return value.map((v) => `\n${indent}- ${show(v, indent + '  ')}`).join('')
  }
  return Object.entries(value).map(([k, v]) => `\n${indent}${k}: ${show(v, indent + '  ')}`).join('')
}

export function register (program: Command): void {
  program.command('admin')
    .description(`send a command to the running node: ${ADMIN_COMMANDS.join(', ')}`)
    .argument('<command>', `one of: ${ADMIN_COMMANDS.join(', ')}`)
    .argument('[multiaddr]', 'for connect: the peer to dial')
    .option('--home <dir>', 'node home directory (default: $MILAGRO_HOME or ~/.milagro)')
    .option('--json', 'print the raw JSON reply', false)
    .action(async (command: string, addr: string | undefined, opts: { home?: string, json: boolean }) => {
      if (!(ADMIN_COMMANDS as readonly string[]).includes(command)) {
        program.error(`milagro admin: unknown command '${command}' (one of: ${ADMIN_COMMANDS.join(', ')})`)
      }
      const socket = homePaths(opts.home ?? defaultHome()).adminSocketPath
      const call = { cmd: command as AdminCommand, ...(addr === undefined ? {} : { addr }) }
      const response = await adminRequest(socket, call)
      if (opts.json) console.log(JSON.stringify(response))
      else if (response.ok) console.log(show(response.result).replace(/^\n/, ''))
      else console.error(`milagro admin ${command}: ${response.error.name}: ${response.error.message}`)
      if (!response.ok) process.exitCode = 1
    })
}
