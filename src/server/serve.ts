/**
 * `npm run serve`: `live-status-server` (src/server/bin.ts) from a clone, through tsx. The service
 * itself is cli/jwtService.ts; docs/server.md, "Standalone start".
 */
import { runCli } from './cli/main'

const code = await runCli(process.argv.slice(2))
if (code !== undefined) process.exitCode = code
