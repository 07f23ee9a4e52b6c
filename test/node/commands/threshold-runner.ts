// Runs `milagro threshold …` with just that command registered, as the real CLI would in a child process.
import { Command } from 'commander'
import { register as threshold } from '../../../node/commands/threshold.ts'

const program = new Command('milagro').exitOverride()
threshold(program)
try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' })
} catch (err) {
  const e = err as Error & { exitCode?: number }
  if (e.name !== 'CommanderError') console.error(`milagro: ${e.name}: ${e.message}`)
  process.exitCode = e.exitCode ?? 1
}
