import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { configFromEnv } from './config/fromEnv'
import { InMemoryEventBus } from './eventBus'
import { requestTarget } from './http/requestTarget'
import { rejectUpgrade, sendJson } from './http/respond'
import { LiveStatusServer } from './liveStatusServer'
import type { LiveStatusServerOptions } from './options'

export interface StandaloneOptions {
  /** Where settings are read from (see docs/server.md for the variables). @default process.env */
  env?: Record<string, string | undefined>
  /** Drain on SIGTERM and SIGINT (close with 1001, then exit 0). @default true */
  handleSignals?: boolean
  /** Routes of the app's own, tried before the server's; return true when handled. @default undefined */
  onRequest?: (request: IncomingMessage, response: ServerResponse, url: URL) => boolean
  /** Called when a signal has drained the server, instead of exiting. @default () => process.exit(0) */
  onDrained?: () => void
}

/**
 * Starts the server as a service: settings from the environment (they override the same options
 * given in code), its own HTTP server, and SIGTERM / SIGINT draining it. `stop()` drains too.
 */
export async function startStandalone<User>(app: LiveStatusServerOptions<User>, standalone: StandaloneOptions = {}) {
  const { env = process.env, handleSignals = true, onRequest, onDrained = () => process.exit(0) } = standalone
  const config = configFromEnv(env)
  const server = new LiveStatusServer<User>({
    ...app,
    ...config.options,
    bus: app.bus ?? new InMemoryEventBus({ historySize: config.historySize ?? 1000 }),
  })
  const http = createServer((request, response) => {
    const url = requestTarget(request.url)
    if (!url) return sendJson(response, 400, { detail: 'bad request target' })
    try {
      if (onRequest?.(request, response, url)) return
    } catch {
      return sendJson(response, 500, { detail: 'internal error' })
    }
    if (!server.handleRequest(request, response)) sendJson(response, 404, { detail: 'not found' })
  })
  http.on('clientError', (_error: Error, socket) => rejectUpgrade(socket, 400, 'Bad Request'))
  server.attach(http)
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(config.port, config.host, () => {
      http.off('error', reject)
      resolve()
    })
  })
  const { port } = http.address() as AddressInfo

  let stopping: Promise<void> | undefined
  const stop = () =>
    (stopping ??= (async () => {
      await server.close()
      const closed = new Promise<void>((resolve) => http.close(() => resolve()))
      http.closeIdleConnections()
      const timer = setTimeout(() => http.closeAllConnections(), 5000)
      await closed
      clearTimeout(timer)
    })())
  const onSignal = () => {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    void stop().then(onDrained, onDrained)
  }
  if (handleSignals) {
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  }
  return { server, http, port, url: `http://${config.host}:${port}`, stop }
}
