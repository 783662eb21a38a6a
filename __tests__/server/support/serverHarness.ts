import { connect as netConnect, type Socket } from 'node:net'
import { createLiveStatusServer, type LiveStatusServer, type LiveStatusServerOptions } from '../../../src/server'
import { rawClient } from '../../helpers/serverClient'

export type TestUser = { id: string; projects: string[] }

export const users: Record<string, TestUser> = {
  'tok-alice': { id: 'alice', projects: ['p1', 'p2'] },
  'tok-bob': { id: 'bob', projects: ['p2'] },
}

/** Servers and sockets a test started, closed by `disposeAll` in `afterEach`. */
const servers: LiveStatusServer<any>[] = []
const closers: (() => void)[] = []

export async function disposeAll(): Promise<void> {
  closers.splice(0).forEach((close) => close())
  await Promise.all(servers.splice(0).map((s) => s.close()))
}

export async function startServer<User = TestUser>(options: Partial<LiveStatusServerOptions<User>> = {}) {
  const server = createLiveStatusServer<User>({
    authenticate: (token) => users[token] as User | undefined,
    authorize: (user, projectId) => (user as TestUser).projects?.includes(projectId) ?? true,
    log: () => {},
    ...options,
  } as LiveStatusServerOptions<User>)
  servers.push(server)
  const { port, url } = await server.listen()
  const ws = `ws://127.0.0.1:${port}`
  const connect = (path: string, opts: ConnectOptions = {}) => {
    const client = rawClient(`${ws}${path}`, withToken(opts))
    closers.push(() => client.close())
    return client
  }
  return { server, port, url, ws, connect }
}

/** `rawClient`'s options, plus `token`: sent as the subprotocols `bearer, <token>`, never in the URL. */
export type ConnectOptions = Parameters<typeof rawClient>[1] & { token?: string }

export function withToken({ token, ...opts }: ConnectOptions = {}): Parameters<typeof rawClient>[1] {
  return token === undefined ? opts : { ...opts, protocols: [...(opts.protocols ?? []), 'bearer', token] }
}

/** The reference client's auth transport for the reference server: the token in a first message. */
export const messageAuth = { type: 'message', message: (token: string) => ({ type: 'auth', token }) } as const

/**
 * Writes `bytes` on a raw TCP connection and resolves with what came back once the server closes,
 * or after `resetAfter` bytes were written, resets the connection (RST) instead.
 */
export function rawExchange(port: number, bytes: Buffer, options: { resetAfter?: number; waitMs?: number; endAfterWrite?: boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket: Socket = netConnect(port, '127.0.0.1')
    closers.push(() => socket.destroy())
    const chunks: Buffer[] = []
    const done = () => resolve(Buffer.concat(chunks).toString('latin1'))
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', done)
    socket.on('close', done)
    socket.on('connect', () => {
      if (options.endAfterWrite) {
        // EOF after the bytes: the server answers or drops what it got, then closes.
        socket.end(bytes)
        setTimeout(() => socket.destroy(), 3000).unref()
        return
      }
      if (options.resetAfter !== undefined) {
        socket.write(bytes.subarray(0, options.resetAfter), () => {
          // Give the server the bytes before the reset: resets then land at every stage.
          setImmediate(() => socket.resetAndDestroy())
        })
        return
      }
      socket.write(bytes)
      // A request the server neither answers nor closes is cut by the client after a while.
      setTimeout(() => socket.destroy(), options.waitMs ?? 500).unref()
    })
  })
}

/** Collects what would otherwise crash the process, for the duration of a test. */
export function watchProcess() {
  const problems: string[] = []
  const onException = (error: unknown) => problems.push(`uncaughtException: ${String((error as Error)?.stack ?? error)}`)
  const onRejection = (error: unknown) => problems.push(`unhandledRejection: ${String((error as Error)?.stack ?? error)}`)
  process.on('uncaughtException', onException)
  process.on('unhandledRejection', onRejection)
  return {
    problems,
    stop() {
      process.off('uncaughtException', onException)
      process.off('unhandledRejection', onRejection)
    },
  }
}
