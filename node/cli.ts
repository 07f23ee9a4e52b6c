// The `milagro` command line. Each subcommand lives in node/commands/<name>.ts and exports
// `register(program)`; this file only assembles them. Output to the terminal is the CLI's own
// business (console is allowed here and in node/commands/); everything else logs through pino.
import { Command, CommanderError } from 'commander'
import { readFileSync } from 'node:fs'
import { commands } from './commands/index.ts'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string, description: string }

export function buildProgram (): Command {
  const program = new Command('milagro')
    .description(pkg.description)
    .version(pkg.version, '-V, --version', 'print the version and exit')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: true })
  for (const register of commands) register(program)
  return program
}

export async function main (argv: readonly string[]): Promise<number> {
  const program = buildProgram().exitOverride()
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode
    const e = err as Error
    console.error(`milagro: ${e.name === 'Error' ? '' : e.name + ': '}${e.message}`)
    return 1
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2))
}
