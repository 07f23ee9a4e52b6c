// Runs `milagro start|admin …` with just these two commands registered (the CLI's command index
// is assembled elsewhere), as a child process would.
import { Command } from 'commander'
import { register as admin } from '../../../node/commands/admin.ts'
import { register as start } from '../../../node/commands/start.ts'

const program = new Command('milagro').exitOverride()
start(program)
admin(program)
try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' })
} catch (err) {
  const e = err as Error & { exitCode?: number }
  if (e.name !== 'CommanderError') console.error(`milagro: ${e.name}: ${e.message}`)
  process.exitCode = e.exitCode ?? 1
}
