// Every subcommand of the `milagro` CLI.
import type { Command } from 'commander'
import { register as admin } from './admin.ts'
import { register as backup } from './backup.ts'
import { register as audit } from './audit.ts'
import { register as init } from './init.ts'
import { register as log } from './log.ts'
import { register as mpin } from './mpin.ts'
import { register as order } from './order.ts'
import { register as safeguard } from './safeguard.ts'
import { register as sim } from './sim.ts'
import { register as start } from './start.ts'
import { register as threshold } from './threshold.ts'
import { register as trace } from './trace.ts'

export type RegisterCommand = (program: Command) => void

export const commands: readonly RegisterCommand[] = [init, start, order, threshold, safeguard, backup, mpin, sim, admin, audit, log, trace]
