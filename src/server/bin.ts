#!/usr/bin/env node
/** `npx live-status-server`: the reference server from environment configuration (`--help`). */
import { runCli } from './cli/main'

const code = await runCli(process.argv.slice(2))
if (code !== undefined) process.exitCode = code
