// Every subcommand of the `milagro` CLI.
import type { Command } from 'commander'
import { register as init } from './init.ts'

export type RegisterCommand = (program: Command) => void

export const commands: readonly RegisterCommand[] = [init]
