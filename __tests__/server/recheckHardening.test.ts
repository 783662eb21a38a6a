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

  test('the Next route handler asks one recheck at a time too', async () => {
    vi.useFakeTimers()
    let calls = 0
    const handler = createSseRouteHandler({
      recheckAccessMs: 10,
      authenticate: () => (++calls === 1 ? { id: 'alice' } : new Promise<never>(() => {})),
      authorize: () => true,
      source: async function* () {
        await new Promise<never>(() => {})
      },
      onError: () => {},
    })
    const controller = new AbortController()
    const response = await handler.GET(new Request('http://app.test/api/live/p1', { headers: { Authorization: 'Bearer t' }, signal: controller.signal }), { params: Promise.resolve({ projectId: 'p1' }) })
    expect(response.status).toBe(200)
    await vi.advanceTimersByTimeAsync(200)
    expect(calls).toBe(2)
    controller.abort()
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
    ['({ value }) => …', eval('(({ value }) => value)'), false],
    ['(token, request) => …', (token: string, request: unknown) => [token, request], true],
    ['(token, request = …) => …', withDefault, true],
    ['(token, ...rest) => …', (token: string, ...rest: unknown[]) => [token, rest], true],
    ['a bound (token, request = …)', withDefault.bind(null), true],
    ['(...args) => …', (...args: unknown[]) => args, true],
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
