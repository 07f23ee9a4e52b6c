#!/usr/bin/env node
// Entry point of the `milagro` command. The sources are TypeScript run by Node's type stripping,
// which needs Node >= 22.18 (the project installs Node 22 as a dev dependency for npm scripts).
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`milagro: needs Node.js >= 22.18 (this is ${process.version}); run it through npm (npm run milagro -- ...) or install Node 22`)
  process.exit(1)
}
const { main } = await import('../node/cli.ts')
process.exitCode = await main(process.argv.slice(2))
