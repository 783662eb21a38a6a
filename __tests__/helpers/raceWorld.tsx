/**
 * The world of the generated-schedule race tests of the React layer (`__tests__/react/*.races.test.tsx`):
 * a real `ws` server on a free loopback port (`startWsServer`) speaking the reference protocol
 * (a `{ type: 'auth', token }` first message, per-socket `seq`, a snapshot after auth), a REST
 * backend whose answers are computed when a request arrives and sent when the schedule says (slow,
 * reordered), the client's sockets recorded (`recordingWebSocket`) and counted frame by frame so a
 * schedule can wait until what the server sent has arrived, and fast-check's runner, seeded.
 */
import type { QueryClient } from '@tanstack/react-query'
import { act, cleanup } from '@testing-library/react'
import fc from 'fast-check'
import { afterEach, beforeEach, vi } from 'vitest'
import { WebSocket } from 'ws'
import type { OperationProgress } from '../../src'
import { recordingWebSocket, startWsServer, type TestServer } from './wsServer'

export const SEED = Number(process.env.MODEL_SEED ?? 20261206)
export const RUNS = (fallback: number) => Number(process.env.MODEL_RUNS ?? fallback)

// ---- the server --------------------------------------------------------------------------------

/** One socket as the server sees it. */
export interface Peer {
  id: number
  path: string
  ws: WebSocket
  remotePort: number | undefined
  /** The token of its `{ type: 'auth' }` first message, once it came. */
  token: string | null
  /** Whether something other than an auth message came first (a socket opened without a token). */
  unauthenticatedMessages: unknown[]
  authed: boolean
  closed: boolean
  /** Frames the server sent it. */
  sent: number
  seq: number
  /** Messages after auth (pings excluded). */
  messages: any[]
}

export interface LiveServerOptions {
  /** Whether the server takes `token` on `path`; a refused one is closed with 4401 (and `reason`). */
  accepts?: (token: string, path: string) => boolean
  /** The close reason for a refused token (a server may echo it). @default 'invalid token' */
  refusalReason?: (token: string) => string
  /** What a socket gets right after auth (the reference server's snapshot). */
  snapshot?: (path: string, peer: Peer) => unknown[]
  /** A message after auth. */
  onMessage?: (peer: Peer, message: any) => void
  /** Sockets on this path need no auth message (a scan socket, an invalidation socket). */
  open?: (path: string) => boolean
}

/** The reference protocol on a real `ws` server on a free loopback port. */
export async function startLiveServer(options: LiveServerOptions = {}) {
  const peers: Peer[] = []
  let ids = 0
  let server: TestServer
  const send = (peer: Peer, message: unknown): boolean => {
    if (peer.closed || peer.ws.readyState !== WebSocket.OPEN) return false
    peer.ws.send(typeof message === 'string' ? message : JSON.stringify(message))
    peer.sent++
    return true
  }
  const admit = (peer: Peer) => {
    peer.authed = true
    for (const event of options.snapshot?.(peer.path, peer) ?? []) send(peer, { ...(event as object), seq: ++peer.seq })
  }
  server = await startWsServer({
    onConnection: (ws, request) => {
      const peer: Peer = {
        id: ++ids,
        path: new URL(request.url ?? '/', 'http://x').pathname,
        ws,
        remotePort: request.socket.remotePort,
        token: null,
        unauthenticatedMessages: [],
        authed: false,
        closed: false,
        sent: 0,
        seq: 0,
        messages: [],
      }
      peers.push(peer)
      ws.on('close', () => (peer.closed = true))
      ws.on('error', () => {})
      ws.on('message', (data) => {
        let message: any
        try {
          message = JSON.parse(String(data))
        } catch {
          message = String(data)
        }
        if (message?.type === 'ping') return void send(peer, { type: 'pong' })
        if (!peer.authed && !options.open?.(peer.path)) {
          if (message?.type !== 'auth' || typeof message.token !== 'string' || message.token === '') {
            peer.unauthenticatedMessages.push(message)
            return
          }
          peer.token = message.token
          if (options.accepts && !options.accepts(message.token, peer.path)) {
            ws.close(4401, options.refusalReason?.(message.token) ?? 'invalid token')
            return
          }
          return admit(peer)
        }
        peer.messages.push(message)
        options.onMessage?.(peer, message)
      })
      if (options.open?.(peer.path)) admit(peer)
    },
  })
  return {
    server,
    port: server.port,
    apiUrl: `http://127.0.0.1:${server.port}`,
    peers,
    send,
    /** Sockets on `path` the server holds open (authenticated ones only, unless `all`). */
    openAt: (path: string, all = false) => peers.filter((p) => p.path === path && !p.closed && (all || p.authed)),
    /** Sends `event` (with the socket's next `seq`) to every authenticated socket on `path`; returns how many got it. */
    publish(path: string, event: Record<string, unknown>): number {
      let count = 0
      for (const peer of peers) if (peer.path === path && peer.authed && !peer.closed) count += send(peer, { ...event, seq: ++peer.seq }) ? 1 : 0
      return count
    },
    /** Cuts every socket on `path` without a close frame (a crashed instance, a dropped network). */
    drop(path: string): void {
      for (const peer of peers) if (peer.path === path && !peer.closed) peer.ws.terminate()
    },
    kill: () => server.kill(),
  }
}

export type LiveServer = Awaited<ReturnType<typeof startLiveServer>>

// ---- the client's sockets ------------------------------------------------------------------------

export interface ClientSocket extends WebSocket {
  received: number
  localPort: number | undefined
  /** The first message this socket sent (the auth message). */
  firstSent: string | undefined
  /** What `onConstruct` said when it was made (the token the test believed current). */
  madeWith: unknown
}

/**
 * `ws`'s WebSocket, recorded (`recordingWebSocket`: `violations` counts a socket made while another
 * for the same path was still CONNECTING or OPEN) and counting the frames each one receives
 * (`onMessage` sees each before the client does).
 */
export function countingWebSocket(onConstruct: (url: string) => unknown = () => undefined, onMessage?: (socket: ClientSocket, data: string) => void) {
  const recorder = recordingWebSocket()
  class Counting extends recorder.WebSocket {
    received = 0
    localPort: number | undefined
    firstSent: string | undefined
    madeWith: unknown
    constructor(url: string, protocols?: string | string[]) {
      const madeWith = onConstruct(url)
      super(url, protocols)
      this.madeWith = madeWith
      this.on('upgrade', (response) => (this.localPort = response.socket.localPort))
      // Registered before the client's own handler: this runs first for every frame.
      this.on('message', (data) => {
        this.received++
        onMessage?.(this as unknown as ClientSocket, String(data))
      })
      this.on('error', () => {})
    }
    override send(data: any, ...rest: any[]): void {
      if (this.firstSent === undefined) this.firstSent = String(data)
      ;(super.send as (...args: unknown[]) => void)(data, ...rest)
    }
  }
  return {
    WebSocket: Counting,
    created: recorder.created as unknown as ClientSocket[],
    get violations() {
      return recorder.violations
    },
    live: recorder.live,
  }
}

/**
 * Whether every frame the server sent to a socket both ends still hold open has arrived at the
 * client: a schedule step "deliver" waits for it, so events land before what comes next.
 */
export function delivered(server: LiveServer, sockets: readonly ClientSocket[]): boolean {
  for (const peer of server.peers) {
    if (peer.closed || peer.sent === 0) continue
    const client = sockets.find((s) => s.localPort !== undefined && s.localPort === peer.remotePort)
    if (!client || client.readyState !== WebSocket.OPEN) continue
    if (client.received < peer.sent) return false
  }
  return true
}

/**
 * Whether the client's sockets are done connecting: none is CONNECTING, and the server has
 * admitted every one that is OPEN (its auth message arrived), so what it publishes reaches them.
 */
export function connected(server: LiveServer, sockets: readonly ClientSocket[]): boolean {
  return sockets.every(
    (s) => s.readyState !== WebSocket.CONNECTING && (s.readyState !== WebSocket.OPEN || server.peers.some((p) => p.remotePort === s.localPort && (p.authed || p.closed))),
  )
}

// ---- REST ------------------------------------------------------------------------------------------

export interface RestCall {
  n: number
  method: string
  path: string
  authorization: string | null
  body: string | undefined
}
export interface RestReply {
  status: number
  body?: unknown
}

interface Pending {
  call: RestCall
  reply: RestReply
  settled: boolean
  release(reply?: RestReply): void
}

/**
 * A `fetch` whose answers are computed when the request arrives (what the server knows then) and
 * sent when the test says: in any order (`answer(i)`), or at once (`auto`). Aborts reject.
 */
export function slowRest(compute: (call: RestCall) => RestReply) {
  const pending: Pending[] = []
  const calls: RestCall[] = []
  let auto = false
  const fetch = (input: unknown, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : (input as Request).url)
    const authorization = new Headers(init?.headers).get('Authorization')
    const call: RestCall = { n: calls.length, method: init?.method ?? 'GET', path: url.pathname, authorization, body: typeof init?.body === 'string' ? init.body : undefined }
    calls.push(call)
    const reply = compute(call)
    return new Promise<Response>((resolve, reject) => {
      const entry: Pending = {
        call,
        reply,
        settled: false,
        release: (instead = reply) => {
          if (entry.settled) return
          entry.settled = true
          resolve(new Response(instead.body === undefined ? null : JSON.stringify(instead.body), { status: instead.status, headers: { 'content-type': 'application/json' } }))
        },
      }
      const abort = () => {
        if (entry.settled) return
        entry.settled = true
        reject(new DOMException('The operation was aborted.', 'AbortError'))
      }
      if (init?.signal?.aborted) return abort()
      init?.signal?.addEventListener('abort', abort, { once: true })
      pending.push(entry)
      if (auto) queueMicrotask(() => entry.release())
    })
  }
  const open = () => pending.filter((p) => !p.settled)
  return {
    fetch,
    calls,
    open,
    /** Sends the answer of the `index`-th request still out (modulo their number), or `instead` of it. */
    answer(index: number, instead?: (call: RestCall) => RestReply): RestCall | undefined {
      const out = open()
      const pick = out[index % Math.max(1, out.length)]
      pick?.release(pick && instead ? instead(pick.call) : undefined)
      return pick?.call
    },
    releaseAll(): void {
      for (const p of open()) p.release()
    },
    set auto(value: boolean) {
      auto = value
      if (value) for (const p of open()) p.release()
    },
    get auto() {
      return auto
    },
  }
}

// ---- time and schedules ----------------------------------------------------------------------------

/** Lets sockets, React's scheduler and promises run: one turn of the event loop, `times` times. */
export async function turn(times = 1): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/**
 * The client's clock is virtual (timers, intervals, `Date`, animation frames: backoff, idle close,
 * flushes, coalescing and polling happen when a schedule advances it); sockets, React's scheduler
 * and promises are real. As `useFakeLiveClock`, with the event loop left to run.
 */
export const VIRTUAL_CLOCK: Parameters<typeof vi.useFakeTimers>[0] = { toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'requestAnimationFrame', 'cancelAnimationFrame'] }

/** What is due now (0 ms timers: TanStack's notifications), then one turn of the event loop. */
export async function settleNow(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0)
  await turn()
  await vi.advanceTimersByTimeAsync(0)
}

/** Virtual time passes (`ms`), with the event loop turning between its timers. */
export async function elapse(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms)
  await turn()
}

/**
 * Waits (on the event loop, not on the virtual clock) until `condition` holds: sockets connecting,
 * frames arriving. Throws `what` after `timeoutMs` of real time.
 */
export async function until(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const started = performance.now()
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await turn()
  }
}

/**
 * Waits with `vi.waitFor` until `problems()` is empty (on the virtual clock `vi.waitFor` advances
 * it by `intervalMs` at each check, while sockets and promises run for real); otherwise throws the
 * problems left. Advance the clock past idle closes and backoffs first (`elapse`).
 */
export async function settle(problems: () => string[], { timeoutMs = 4000, intervalMs = 10 } = {}): Promise<void> {
  try {
    await vi.waitFor(
      () => {
        const found = problems()
        if (found.length > 0) throw new Error(found.join('\n'))
      },
      { timeout: timeoutMs, interval: intervalMs },
    )
  } catch {
    throw new Error(`after settling:\n  ${problems().join('\n  ')}`)
  }
}

/**
 * Runs a seeded, shrinking fast-check property; a failure names the shrunk schedule, the seed and
 * how to rerun it. `seed` pins one (a test that shows a known defect keeps the seed that found it);
 * otherwise `MODEL_SEED`, else the default.
 */
export async function checkProperty<T>(name: string, arbitrary: fc.Arbitrary<T>, run: (value: T) => Promise<void>, options: { runs: number; timeLimitMs?: number; seed?: number }): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, run),
    {
      seed: options.seed ?? SEED,
      numRuns: options.runs,
      // A failure found late still gets this long to shrink; past it the best schedule so far is shown.
      interruptAfterTimeLimit: options.timeLimitMs ?? 150_000,
      markInterruptAsFailure: false,
      reporter: (details) => {
        if (details.failed) {
          throw new Error(`${name}: ${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}\n(rerun with MODEL_SEED=${details.seed})`)
        }
      },
    },
  )
}

/**
 * For `test.fails` around a known defect: rethrows what `run` throws when it names that defect (the
 * test then passes as an expected failure), and swallows anything else after printing it, so an
 * unrelated failure turns the test red instead of hiding behind `.fails`.
 */
export async function failsWith(known: RegExp, run: () => Promise<void>): Promise<void> {
  try {
    await run()
  } catch (error) {
    if (process.env.RACE_SHOW) process.stdout.write(`\nknown defect: ${String(error)}\n`)
    if (known.test(String(error))) throw error
    console.error(`failed, but not with the known defect ${known}:`, error)
  }
}

/** Every console method, recorded (and silenced) for the run: what a page's console would show. */
export function captureConsole(): { lines: string[]; restore(): void } {
  const lines: string[] = []
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const
  const originals = methods.map((m) => console[m])
  const show = (value: unknown): string => {
    if (value instanceof Error) return `${value.name}: ${value.message}\n${value.stack ?? ''}${value.cause === undefined ? '' : ` cause: ${show(value.cause)}`}`
    if (typeof value === 'string') return value
    try {
      return JSON.stringify(value) ?? String(value)
    } catch {
      return String(value)
    }
  }
  for (const m of methods) console[m] = (...args: unknown[]) => void lines.push(`${m}: ${args.map(show).join(' ')}`)
  return {
    lines,
    restore: () => methods.forEach((m, i) => (console[m] = originals[i]!)),
  }
}

/** The steps every schedule has: its server's sockets at `path` dropped, and sockets being opened let open. */
export async function dropSockets(server: LiveServer, sockets: readonly ClientSocket[], path: string): Promise<void> {
  // Until the client has seen each of those sockets close.
  const ports = new Set(server.openAt(path, true).map((peer) => peer.remotePort))
  const cut = sockets.filter((s) => s.readyState === WebSocket.OPEN && ports.has(s.localPort))
  server.drop(path)
  await until(() => cut.every((s) => s.readyState === WebSocket.CLOSED), `the client to see its sockets at ${path} dropped`)
}

/** Waits until every socket the client is opening has opened (authed) or failed. */
export const socketsOpened = (server: LiveServer, sockets: readonly ClientSocket[]): Promise<void> =>
  until(() => connected(server, sockets), 'the sockets being opened to open')

/**
 * A page's new state: inside `act` (a render React flushes at once), or not (an update React
 * schedules itself, as an event handler's in a browser).
 */
export function showState<T>(set: (next: T) => void, next: T, sync: boolean): void {
  if (sync) act(() => set(next))
  else set(next)
}

/** The end of one schedule: its tree, cache, timers, stubs and server. */
export async function endSchedule(view: { unmount(): void }, queryClient: QueryClient, server: LiveServer): Promise<void> {
  view.unmount()
  queryClient.clear()
  vi.clearAllTimers()
  vi.unstubAllGlobals()
  await server.kill().catch(() => {})
}

/**
 * The lifecycle every race file shares: React renders on its own schedule, as in a browser (state
 * updates outside act() are not errors), on the virtual clock; after each test the tree, timers,
 * stubs and spies go, and the servers it started are killed. Push each server on the list returned.
 */
export function useRaceWorld(): LiveServer[] {
  const servers: LiveServer[] = []
  beforeEach(() => {
    ;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false
    vi.useFakeTimers(VIRTUAL_CLOCK)
  })
  afterEach(async () => {
    cleanup()
    vi.clearAllTimers()
    vi.useRealTimers()
    vi.unstubAllGlobals()
    vi.restoreAllMocks()
    await Promise.all(servers.splice(0).map((s) => s.kill().catch(() => {})))
  })
  return servers
}

/** Every time a cached operation goes backwards: fewer files, or a finished one running again. */
export function watchBackwards(queryClient: QueryClient): string[] {
  const last = new Map<string, OperationProgress>()
  const found: string[] = []
  queryClient.getQueryCache().subscribe((event) => {
    const { queryKey, state } = event.query
    if (queryKey[1] !== 'operation') return
    const data = state.data as OperationProgress | undefined
    const before = last.get(event.query.queryHash)
    if (!data || data === before) return
    // Only what someone sees: TanStack before 5.80 reverts a fetch cancelled because its last
    // observer left to the data of before it, socket writes included (nobody shows it; the next
    // view's mount refetches, and the truth check below holds it to the server's).
    if (before && event.query.getObserversCount() > 0 && (data.processedFiles < before.processedFiles || (before.status === 'completed' && data.status !== 'completed'))) {
      found.push(`${String(queryKey[2])}: ${before.status} ${before.processedFiles} → ${data.status} ${data.processedFiles}`)
    }
    last.set(event.query.queryHash, data)
  })
  return found
}
