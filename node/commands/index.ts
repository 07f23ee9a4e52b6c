// Every subcommand of the `milagro` CLI, in help order.
import type { Command } from 'commander'

export type RegisterCommand = (program: Command) => void

export const commands: readonly RegisterCommand[] = []
