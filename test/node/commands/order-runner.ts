// Runs `milagro order …` with just that command registered (the CLI's command index is assembled
// elsewhere), as the real CLI would in a child process.
import { Command } from 'commander'
import { register as order } from '../../../node/commands/order.ts'

const program = new Command('milagro').exitOverride()
order(program)
try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' })
} catch (err) {
  const e = err as Error & { exitCode?: number }
  if (e.name !== 'CommanderError') console.error(`milagro: ${e.name}: ${e.message}`)
  process.exitCode = e.exitCode ?? 1
}
