// An attacker's probe of admission and the `recheckAccessMs` checks (2026-12-07): a hung auth
// backend, option values a timer cannot honour, a wall clock set back, `authenticate.length` that
// undercounts parameters, a token in an error's name, and errors logged for connections already
// gone. Real servers on free loopback ports where the wire matters; fake timers where time must be exact.
import type { IncomingMessage } from 'node:http'
import { afterEach, describe, expect, test, vi } from 'vitest'
import type { SessionSink } from '../../src/server/connection/sink'
import { AccessRechecks, checkAccess, takesRequest } from '../../src/server/upgrade/checkAccess'
import { createLiveStatusServer } from '../../src/server'
import { createSseRouteHandler } from '../../src/next'
import { capture } from './support/captureLog'
import { disposeAll, startServer } from './support/serverHarness'

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
  return disposeAll()
})

const SECRET = 'tok-SECRET-abcdef123456'

/** An authenticate that hangs on every recheck (the admission answers), and the number of calls. */
function hangingAfterAdmission() {
  const state = { calls: 0 }
  const authenticate = (token: string) => (++state.calls === 1 ? { id: token, projects: ['p1'] } : new Promise<never>(() => {}))
  return { state, authenticate }
}

function fakeSink(): SessionSink & { open: boolean } {
  return { transport: 'websocket', open: true, closed: false, bufferedBytes: 0, answersPings: true, send() {}, close() {}, terminate() {}, ping() {}, onClose: () => () => {}, onAlive() {} }
}

describe('a recheck that does not answer', () => {
  test('is not asked again while out, and ends the connection after twice authTimeoutMs (1011, counted, logged), as admission does', async () => {
    let calls = 0
    const { logger, lines } = capture()
    const { server, connect } = await startServer({
      logger,
      recheckAccessMs: 20,
      authTimeoutMs: 100,
      authorize: () => true,
      // Admission answers; every recheck hangs, as a stalled auth backend does.
      authenticate: (token: string) => (++calls === 1 ? { id: token, projects: ['p1'] } : new Promise<never>(() => {})),
    })
    const alice = connect('/ws/projects/p1', { token: 'tok-alice' })
    await alice.opened()
    expect(await alice.untilClosed()).toMatchObject({ code: 1011 })
    // Ten periods passed while the first recheck hung: it was the only one asked.
    expect(calls).toBe(2)
    expect(server.metrics().drops.auth_timeout).toBe(1)
    expect(lines.find((line) => line.message === 'recheck timed out: authenticate did not answer')?.level).toBe('warn')
  })

  test("doesn't keep a closed server's process alive: its deadline is unref'd, as the schedule is", async () => {
    const timers: ReturnType<typeof setTimeout>[] = []
    const real = globalThis.setTimeout
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      const timer = real(fn, ms)
      timers.push(timer)
      return timer
    }) as typeof setTimeout)
    const { authenticate } = hangingAfterAdmission()
    const sink = fakeSink()
    const ctx = { options: { recheckAccessMs: 100, authTimeoutMs: 60_000, authenticate, authorize: () => true }, log: { error() {}, warn() {}, info() {}, debug() {} } as never, metrics: { drop() {} } as never }
    await checkAccess(ctx, sink, { projectId: 'p', token: 't', request: {} as IncomingMessage }, 'admission')
    void checkAccess(ctx, sink, { projectId: 'p', token: 't', request: {} as IncomingMessage }, 'recheck')
    const deadline = timers.find((timer) => (timer as unknown as { _idleTimeout: number })._idleTimeout === 120_000)
    expect(deadline?.hasRef()).toBe(false)
    clearTimeout(deadline)
  })
})

describe('the Next route handler', () => {
  async function openStream(options: { authenticate: (token: string) => unknown; onError?: (message: string) => void }) {
    let streamEnded = false
    const handler = createSseRouteHandler({
      recheckAccessMs: 10,
      authTimeoutMs: 10,
      authenticate: options.authenticate as never,
      authorize: () => true,
      source: async function* (_projectId, { signal }) {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
        streamEnded = true
      },
      onError: options.onError ?? (() => {}),
    })
    const controller = new AbortController()
    const response = await handler.GET(new Request('http://app.test/api/live/p1', { headers: { Authorization: 'Bearer t' }, signal: controller.signal }), { params: Promise.resolve({ projectId: 'p1' }) })
    expect(response.status).toBe(200)
    void response.body?.getReader().read().catch(() => {})
    return { ended: () => streamEnded, close: () => controller.abort() }
  }

  test('asks one recheck at a time, and ends the stream when one is still out after authTimeoutMs (before: never checked again)', async () => {
    vi.useFakeTimers()
    const { state, authenticate } = hangingAfterAdmission()
    const messages: string[] = []
    const stream = await openStream({ authenticate, onError: (message) => messages.push(message) })
    await vi.advanceTimersByTimeAsync(15)
    expect(state.calls).toBe(2)
    expect(stream.ended()).toBe(false)
    await vi.advanceTimersByTimeAsync(10)
    expect(state.calls).toBe(2)
    expect(stream.ended()).toBe(true)
    expect(messages.some((message) => message.includes('did not answer a recheck within authTimeoutMs'))).toBe(true)
    stream.close()
  })

  test('an onError that throws while a failed recheck is reported does not keep the stream open (before: the check rejected, unhandled)', async () => {
    vi.useFakeTimers()
    let calls = 0
    const stream = await openStream({
      authenticate: () => {
        calls++
        if (calls === 1) return { id: 'alice' }
        throw new Error('backend down')
      },
      onError: () => {
        throw new Error('logger broke')
      },
    })
    await vi.advanceTimersByTimeAsync(15)
    // The failed check (a throw) ends the stream, as documented; the report that threw did not get in the way.
    expect(stream.ended()).toBe(true)
    stream.close()
  })
})

describe('option values a timer cannot honour are refused when the server is created', () => {
  test.each([
    ['recheckAccessMs', 0.0001],
    ['recheckAccessMs', 30 * 24 * 3_600_000],
    ['authTimeoutMs', 13 * 24 * 3_600_000],
    ['idleTimeoutMs', 2 ** 31],
    ['sseHeartbeatMs', 0.5],
  ])('%s: %s', (name, value) => {
    expect(() => createLiveStatusServer({ authenticate: () => null, [name]: value })).toThrow(`${name} must be between 1 and`)
  })

  test.each([
    ['recheckAccessMs', Infinity],
    ['recheckAccessMs', 0.5],
    ['heartbeatMs', 2 ** 31],
  ])('the Next route handler: %s %s', (name, value) => {
    expect(() => createSseRouteHandler({ authenticate: () => null, authorize: () => true, source: async function* () {}, [name]: value })).toThrow(`\`${name}\` must be between 1 and`)
  })
})

test('a wall clock set back does not suspend the checks: they run on the monotonic clock', async () => {
  vi.useFakeTimers({ now: 1_000_000 })
  const checked: number[] = []
  const rechecks = new AccessRechecks<{ id: string }>({
    options: { recheckAccessMs: 100, authTimeoutMs: 5000, authenticate: (token: string) => (checked.push(performance.now()), { id: token }), authorize: () => true },
    log: { error() {}, warn() {}, info() {}, debug() {} } as never,
    metrics: { drop() {} } as never,
  })
  rechecks.add(fakeSink(), { projectId: 'p', token: 'a', request: {} as IncomingMessage })
  await vi.advanceTimersByTimeAsync(250)
  expect(checked).toHaveLength(2)
  // An NTP step back of a minute.
  vi.spyOn(Date, 'now').mockReturnValue(1_000_000 - 60_000)
  await vi.advanceTimersByTimeAsync(1000)
  expect(checked).toHaveLength(12)
  rechecks.dispose()
})

describe('which authenticate gets the request on a recheck', () => {
  const withDefault = (token: string, request: unknown = 'none') => [token, request]
  test.each([
    ['(token) => …', (token: string) => token, false],
    ['token => …', eval('(token => token)'), false],
    ['async function (token)', async function (token: string) {
      return token
    }, false],
    ['({ value }) => … (destructured: kept, as anything not plainly one parameter)', eval('(({ value }) => value)'), true],
    ['name(token) { … } (a method)', { authenticate(token: string) {
      return token
    } }.authenticate, false],
    ['async token => …', eval('(async token => token)'), false],
    ['a comment with a parenthesis in the list', eval('(function authenticate(token /* bearer (JWT) */, request = null) { return [token, request] })'), true],
    ['(token, request) => …', (token: string, request: unknown) => [token, request], true],
    ['(token, request = …) => …', withDefault, true],
    ['(token, ...rest) => …', (token: string, ...rest: unknown[]) => [token, rest], true],
    ['a bound (token, request = …)', withDefault.bind(null), true],
    ['(...args) => …', (...args: unknown[]) => args, true],
    // ES5 output of `(token, ...rest)` and hand-written ES5 read the request through `arguments`.
    ['function (token) { … arguments[1] … }', eval('(function (token) { return [token, arguments[1]] })'), true],
  ])('%s: %s', (_name, authenticate, expected) => {
    expect(takesRequest(authenticate as never)).toBe(expected)
  })

  test('(token, { headers } = …) reads its header on every recheck, not a 1011 at the first', async () => {
    const tenants: unknown[] = []
    const authenticate = (token: string, { headers }: IncomingMessage = { headers: {} } as IncomingMessage) => (tenants.push(headers.host), { id: token, projects: ['p1'] })
    expect(authenticate.length).toBe(1)
    const { connect } = await startServer({ recheckAccessMs: 20, authorize: () => true, authenticate })
    const alice = connect('/ws/projects/p1', { token: 'tok-alice' })
    await alice.opened()
    await vi.waitFor(() => expect(tenants.length).toBeGreaterThanOrEqual(3))
    expect(tenants.every((host) => typeof host === 'string')).toBe(true)
  })
})

describe('what is logged', () => {
  test("a token in a thrown error's name is masked, as in its message", async () => {
    const { logger, lines } = capture()
    const { connect } = await startServer({
      logger,
      authenticate: (token: string) => {
        const error = new Error(`session lookup failed for ${token}`)
        error.name = `SessionError[${token}]`
        throw error
      },
    })
    expect((await connect('/ws/projects/p1', { token: SECRET }).untilClosed()).code).toBe(1011)
    expect(lines.find((line) => line.message === 'authenticate threw')).toBeDefined()
    expect(JSON.stringify(lines)).not.toContain('SECRET')
  })

  test('a check that fails after its connection has gone is said at debug level, not as an error', async () => {
    const logged: string[] = []
    const sink = fakeSink()
    const log = Object.fromEntries(['debug', 'info', 'warn', 'error'].map((level) => [level, (message: string) => logged.push(`${level}: ${message}`)]))
    await checkAccess(
      {
        options: {
          recheckAccessMs: 100,
          authTimeoutMs: 5000,
          authenticate: async () => {
            sink.open = false
            throw new Error('backend down')
          },
          authorize: () => true,
        },
        log: log as never,
        metrics: { drop: () => logged.push('dropped') } as never,
      },
      sink,
      { projectId: 'p', token: 't', request: {} as IncomingMessage },
      'recheck',
    )
    expect(logged).toEqual(['debug: authenticate threw on a recheck'])
  })
})

test.each([
  ['LIVE_STATUS_IDLE_TIMEOUT_MS', '3000000000', 2147483647],
  ['LIVE_STATUS_AUTH_TIMEOUT_MS', '1200000000', 1073741823],
  ['LIVE_STATUS_RECHECK_ACCESS_MS', '2592000000', 2147483647],
])('%s=%s past what a timer can wait is refused naming the variable', async (name, value, max) => {
  const { configFromEnv } = await import('../../src/server/config/fromEnv')
  expect(() => configFromEnv({ [name]: value })).toThrow(`${name}="${value}" is more than a timer can wait (${max} ms)`)
})
