import type { IncomingMessage, ServerResponse } from 'node:http'
import { configFromEnv } from './config/fromEnv'
import { InMemoryEventBus } from './eventBus'
import { isLoopbackHost, isLoopbackInterface } from './http/hostPolicy'
import { LiveStatusServer } from './liveStatusServer'
import type { LiveStatusServerOptions } from './options'

/** The second argument of `startStandalone` (which `npx live-status-server` calls): where settings come from, signals, the app's own routes. */
export interface StandaloneOptions {
  /** Where settings are read from (see docs/server.md for the variables). @default process.env */
  env?: Record<string, string | undefined>
  /** Drain on SIGTERM and SIGINT (close with 1001, then `onDrained`). @default true */
  handleSignals?: boolean
  /** Routes of the app's own, tried for paths that are not the server's; return true when handled. @default undefined */
  onRequest?: (request: IncomingMessage, response: ServerResponse, url: URL) => boolean
  /** Called when a signal has drained the server. @default () => process.exit(0) */
  onDrained?: () => void
}

/**
 * Starts the server as a service: settings from the environment (they override the same options
 * given in code), its own HTTP server, and SIGTERM / SIGINT draining it. `stop()` drains too.
 */
export async function startStandalone<User>(app: LiveStatusServerOptions<User>, standalone: StandaloneOptions = {}) {
  const { env = process.env, handleSignals = true, onRequest, onDrained = () => process.exit(0) } = standalone
  const config = configFromEnv(env)
  // On a loopback interface, only loopback names: a page under any other name that reaches it came
  // by DNS rebinding. The environment's list (or `*`), then the app's own option, come first.
  const loopbackOnly = isLoopbackInterface(config.host) ? isLoopbackHost : undefined
  const server = new LiveStatusServer<User>({
    ...app,
    ...config.options,
    allowedHosts: config.options.allowedHosts ?? app.allowedHosts ?? loopbackOnly,
    bus: app.bus ?? new InMemoryEventBus({ historySize: config.historySize ?? 1000 }),
  })
  const { port } = await server.listen(config.port, config.host, onRequest)
  const stop = () => server.close()
  const onSignal = () => {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    void stop().then(onDrained, onDrained)
  }
  if (handleSignals) {
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  }
  return { server, port, url: `http://${config.host}:${port}`, stop }
}
