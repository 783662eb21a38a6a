import { envVariables } from '../config/fromEnv'
import { envVariableHelp, helpText, USAGE } from './help'

/** Where the command writes, and what it reads: the process's, or a test's. */
export interface CliIo {
  /** @default process.env */
  env?: Record<string, string | undefined>
  /** @default process.stdout.write */
  out?: (text: string) => void
  /** @default process.stderr.write */
  err?: (text: string) => void
}

/**
 * `live-status-server [--help]`: prints the help (0), refuses any other argument (2), or starts
 * the service from the environment and resolves `undefined` while it runs (SIGTERM / SIGINT drain
 * it, then exit 0). A setting that is not valid prints what to change and resolves 1.
 */
export async function runCli(argv: readonly string[], io: CliIo = {}): Promise<number | undefined> {
  const { env = process.env, out = (text) => void process.stdout.write(text), err = (text) => void process.stderr.write(text) } = io
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
    out(helpText())
    return 0
  }
  if (argv.length > 0) {
    const unknown = argv.find((arg) => arg !== '--help' && arg !== '-h') ?? argv[1]!
    err(`live-status-server: unknown argument ${JSON.stringify(unknown)}\n${USAGE}\nEvery setting is an environment variable: live-status-server --help lists them.\n`)
    return 2
  }
  warnUnknownVariables(env, err)

  // Loaded only now: `--help` works before `ws` (an optional peer dependency) is installed.
  let service: typeof import('./jwtService')
  try {
    service = await import('./jwtService')
  } catch (error) {
    if (isMissing(error, 'ws')) {
      err('[live-status/server] the server needs the `ws` package: npm install ws\n')
      return 1
    }
    throw error
  }
  try {
    const { url, publishing } = await service.startJwtService(env)
    out(`[live-status/server] listening on ${url}${publishing ? '' : ' (publishing disabled: LIVE_STATUS_PUBLISH_TOKEN is not set)'}\n`)
    return undefined
  } catch (error) {
    // Settings name their variable; a port in use or not allowed says which.
    const code = (error as NodeJS.ErrnoException)?.code
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      err(`[live-status/server] cannot listen: ${(error as Error).message}. Set LIVE_STATUS_PORT (or PORT) to another port.\n`)
      return 1
    }
    if (error instanceof Error && error.message.startsWith('[live-status/server]')) {
      err(`${error.message}\n`)
      return 1
    }
    throw error
  }
}

/** A misspelt variable is otherwise silently ignored: say so once at start. */
function warnUnknownVariables(env: Record<string, string | undefined>, err: (text: string) => void): void {
  const known = new Set([...envVariables, ...envVariableHelp().map((v) => v.name)])
  for (const name of Object.keys(env).sort())
    if (name.startsWith('LIVE_STATUS_') && !known.has(name)) err(`[live-status/server] ${name} is not a variable this server reads (ignored): live-status-server --help lists them\n`)
}

function isMissing(error: unknown, specifier: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes(`'${specifier}'`)
}
