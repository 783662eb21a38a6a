/**
 * Issue #20 item 5: messages and checks for developers are in development builds only, the way
 * React and TanStack do it (`process.env.NODE_ENV`), so production bundles carry none of them.
 */
import { build } from 'esbuild'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { defineChannel, SocketHub } from '../../src/core'
import { fakeSource } from '../helpers/fakeSources'
import { createMockBackend } from '../helpers/mockBackend'

const devOnly = ['failed 3 times before it opened', 'waits for an access token', 'refuses the origin', 'the access token was refused', 'refuses this resource', 'defineChannel(', '<ConnectionStatus styled> is gone', 'is not a Standard Schema', 'events need a synchronous answer', 'The QueryClient changed under a mounted live-status hook', 'without its code, and does nothing']

async function bundle(nodeEnv: 'production' | 'development') {
  const result = await build({
    entryPoints: ['src/index.ts'],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    external: ['react', 'react-dom', 'react/jsx-runtime', '@tanstack/react-query', '@tanstack/query-core', 'zod'],
    define: { 'process.env.NODE_ENV': JSON.stringify(nodeEnv) },
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

test('a production bundle of the React entry has none of the development messages; a development one has them all', async () => {
  const [production, development] = await Promise.all([bundle('production'), bundle('development')])
  for (const message of devOnly) {
    expect(production, message).not.toContain(message)
    expect(development, message).toContain(message)
  }
})

test('defineChannel says what is missing, in development', () => {
  expect(() => defineChannel({ name: 'half' } as never)).toThrow(/defineChannel\("half"\): missing queryKey, socket, reduce, fetch, isActive, schema/)
})

describe('a socket that fails before it opens', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })

  // What a browser shows for a refused upgrade (404, 403 for the origin, 401): a bare 1006.
  class Refused {
    readyState = 0
    onopen = null
    onmessage = null
    onerror: (() => void) | null = null
    onclose: ((event: { code: number; reason: string }) => void) | null = null
    constructor() {
      setTimeout(() => {
        this.readyState = 3
        this.onerror?.()
        this.onclose?.({ code: 1006, reason: '' })
      }, 5)
    }
    send() {}
    close() {}
  }

  /** The one `GET` of the socket's URL that asks the server why: what it answers decides the message. */
  const cases: [string, () => Promise<Response>, RegExp][] = [
    ['a wrong path (404)', async () => new Response('{}', { status: 404 }), /answers 404 there\. Check `wsUrl`.*`endpoints`/],
    ['a refused origin (403)', async () => new Response('{}', { status: 403 }), /refuses the origin .*allowed origins.*LIVE_STATUS_ALLOWED_ORIGINS/],
    ['a project id the server refuses (400)', async () => new Response('{}', { status: 400 }), /answers 400 there: the project id in the URL is not one it accepts.*`projectIdPattern`/],
    ['a server shutting down (503)', async () => new Response('{}', { status: 503 }), /answers 503: it is shutting down or not ready/],
    ['a server that is there (426)', async () => new Response('', { status: 426 }), /answered 426\) and refused the upgrade, with a status browsers do not show: .*`authCheckPath`.*overloaded or draining/],
    ['no answer (down, or no CORS)', async () => Promise.reject(new TypeError('Failed to fetch')), /could not be reached, or it does not let .* read its answers \(CORS\).*allowed origins/],
  ]
  test.each(cases)('3 failed handshakes, %s: one warning naming the cause and the option, never the token', async (name, answer, expected) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const probes: string[] = []
    // A browser: only there is the server asked (Node's `ws` reports its answer itself).
    vi.stubGlobal('document', {})
    vi.stubGlobal('fetch', (url: string) => {
      probes.push(url)
      return answer()
    })
    const hub = new SocketHub({ token: 'secret-token-123', WebSocket: Refused, onlineManager: fakeSource(true), focusManager: fakeSource(true), random: () => 1 })
    const url = `ws://api-${cases.findIndex((c) => c[0] === name)}.test/ws/projects/p1`
    const lease = hub.acquire(url)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(lease.connection.getStatus().attempt).toBeGreaterThan(3)
    await vi.waitFor(() => expect(warn.mock.calls.some((call) => String(call[0]).includes('failed 3 times'))).toBe(true))
    const warnings = warn.mock.calls.map((call) => String(call[0])).filter((text) => text.includes('failed 3 times'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(expected)
    expect(warnings[0]).not.toContain('secret-token')
    expect(probes).toEqual([url.replace('ws://', 'http://')])
    lease.release()
    hub.dispose()
    warn.mockRestore()
  })

  test('no token: one warning saying what the socket waits for and how cookie auth opts out', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    // A fresh module graph: the warning is once per page, and another test file in this worker
    // (test:unit shares modules between files) may have said it already.
    vi.resetModules()
    const { SocketHub } = await import('../../src/transport')
    const hub = new SocketHub({ WebSocket: Refused, onlineManager: fakeSource(true), focusManager: fakeSource(true) })
    const leases = [hub.acquire('ws://api.test/ws/projects/a'), hub.acquire('ws://api.test/ws/projects/b')]
    await vi.advanceTimersByTimeAsync(100)
    expect(leases[0]!.connection.getStatus().state).toBe('signed-out')
    const warnings = warn.mock.calls.map((call) => String(call[0])).filter((text) => text.includes('waits for an access token'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/`<LiveStatusProvider accessToken>`.*`auth: \{ type: 'none' \}`/)
    for (const lease of leases) lease.release()
    hub.dispose()
    warn.mockRestore()
  })
})

test("in Node, the warning quotes what `ws` read of the server's answer (a real server answering 404)", async () => {
  const { createServer } = await import('node:http')
  const { WebSocket } = await import('ws')
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
  const server = createServer()
  server.on('upgrade', (_request, socket) => {
    // The client may reset the connection while the answer is out (it gave up on this attempt).
    socket.on('error', () => {})
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const hub = new SocketHub({ token: 'secret-token-456', WebSocket, reconnect: { initialDelayMs: 1, maxDelayMs: 2 }, onlineManager: fakeSource(true), focusManager: fakeSource(true) })
  const lease = hub.acquire(`ws://127.0.0.1:${port}/ws/projects/nowhere`)
  await vi.waitFor(() => expect(warn.mock.calls.some((call) => String(call[0]).includes('failed 3 times'))).toBe(true), { timeout: 10_000 })
  const warning = warn.mock.calls.map((call) => String(call[0])).find((text) => text.includes('failed 3 times'))!
  expect(warning).toContain('Unexpected server response: 404')
  expect(warning).toMatch(/A 404 means a wrong `wsUrl` or `endpoints`/)
  expect(warning).not.toContain('secret-token')
  lease.release()
  hub.dispose()
  server.close()
  warn.mockRestore()
})

describe('REST answers that say what is wrong', () => {
  afterEach(() => vi.unstubAllGlobals())

  /** A fresh copy of the REST module: its "once per page" memory starts empty whatever ran before in this worker. */
  async function freshRest(status: number) {
    vi.resetModules()
    const rest = await import('../../src/sync/rest')
    const calls: string[] = []
    vi.stubGlobal('fetch', async (url: string) => {
      calls.push(url)
      return new Response('{"error":"nope"}', { status })
    })
    const rejected: number[] = []
    const host = {
      apiUrl: 'http://api.test',
      fetch: undefined,
      authErrorStatuses: [401],
      resolveToken: async () => 'secret-token-789',
      requiresToken: () => true,
      rejected: (code: number) => rejected.push(code),
    }
    return { rest, host, calls, rejected }
  }

  test.each([
    [401, /answered 401: the access token was refused\. Sockets stop retrying.*`authErrorStatuses`/, [401]],
    [403, /answered 403: the server knows the caller and refuses this resource.*add it to `authErrorStatuses` \(default \[401\]\)/, []],
  ])('a %i: one warning per page naming the cause and the option, never the token', async (status, expected, rejected) => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { rest, host, rejected: seen } = await freshRest(status)
    for (let i = 0; i < 3; i++) await rest.getJson(host, `https://user:pa55word@api.test/api/projects/p${i}?X-Amz-Signature=deadbeef&access_token=old-token-456`).catch(() => {})
    const warnings = warn.mock.calls.map((call) => String(call[0])).filter((text) => text.includes(`answered ${status}`))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(expected)
    expect(warnings[0]).toContain('https://api.test/api/projects/p0 answered')
    for (const secret of ['secret-token', 'pa55word', 'deadbeef', 'old-token', 'X-Amz', 'access_token']) expect(warnings[0]).not.toContain(secret)
    expect(seen).toEqual(rejected.length ? [401, 401, 401] : [])
    warn.mockRestore()
  })
})

describe('a schema that is not a Standard Schema (only `safeParse`: zod before 3.24, a hand-written object)', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
    vi.restoreAllMocks()
  })

  /** What zod before 3.24 and hand-written validators give: `safeParse` and no `~standard`. */
  const legacySchema = () => ({ safeParse: (input: unknown) => ({ success: true as const, data: input }) })
  /** A socket that never opens: only `acquire` is looked at. */
  class Idle {
    readyState = 0
    onopen = null
    onmessage = null
    onerror = null
    onclose = null
    send() {}
    close() {}
  }
  const schemaErrors = (spy: { mock: { calls: unknown[][] } }) => spy.mock.calls.map((call) => String(call[0])).filter((text) => text.includes('is not a Standard Schema'))

  test('in development: one console.error per schema object naming the fix, whatever the subscriptions; none for a Standard Schema; nothing thrown', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const hub = new SocketHub({ token: 'secret-token-321', WebSocket: Idle, onlineManager: fakeSource(true), focusManager: fakeSource(true) })
    const legacy = legacySchema()
    const leases = [
      hub.acquire('ws://api.test/ws/projects/a', { schema: legacy as never }),
      hub.acquire('ws://api.test/ws/projects/a', { schema: legacy as never }),
      hub.acquire('ws://api.test/ws/projects/b', { schema: legacy as never }),
    ]
    expect(schemaErrors(error)).toHaveLength(1)
    const [message] = schemaErrors(error)
    expect(message).toMatch(/^\[live-status\] the schema given for ws:\/\/api\.test\/ws\/projects\/a is not a Standard Schema \(it has no `~standard\.validate`; `safeParse` alone, as zod before 3\.24 has, is no longer read\)/)
    expect(message).toMatch(/`onCallbackError`.*Pass a Standard Schema validator \(zod ≥ 3\.24, valibot, arktype…\), or wrap yours: `\{ '~standard': \{ version: 1, vendor: 'app', validate \} \}`/)
    expect(message).not.toContain('secret-token')

    // Another such schema is named too, and so is one without even `safeParse`.
    leases.push(hub.acquire('ws://api.test/ws/projects/a', { schema: legacySchema() as never }))
    leases.push(hub.acquire('ws://api.test/ws/projects/a', { schema: { parse: () => ({}) } as never }))
    expect(schemaErrors(error)).toHaveLength(3)

    // Standard Schemas (zod 4, a hand-written one, a callable one as arktype's), and no schema: nothing.
    const handWritten = { '~standard': { version: 1 as const, vendor: 'app', validate: (value: unknown) => ({ value }) } }
    const callable = Object.assign(() => {}, handWritten)
    for (const schema of [z.object({ type: z.string() }), handWritten, callable, undefined]) leases.push(hub.acquire('ws://api.test/ws/projects/a', { schema }))
    leases.push(hub.acquire('ws://api.test/ws/projects/a'))
    expect(schemaErrors(error)).toHaveLength(3)
    for (const lease of leases) lease.release()
    hub.dispose()
  })

  test.each(['development', 'production'] as const)('in %s, messages fare as before: refused, the TypeError to onCallbackError, nothing thrown (the message in development only)', async (nodeEnv) => {
    vi.stubEnv('NODE_ENV', nodeEnv)
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const backend = createMockBackend()
    backend.socketAt('/v1/events')
    const onEventError = vi.fn()
    const onCallbackError = vi.fn()
    const onEvents = vi.fn()
    const hub = new SocketHub({ token: 'secret-token-654', WebSocket: backend.WebSocket, onlineManager: fakeSource(true), focusManager: fakeSource(true), onEventError, onCallbackError })
    const lease = hub.acquire(`${backend.wsUrl}/v1/events`, { schema: legacySchema() as never, onEvents })
    await vi.waitFor(() => expect(backend.clients('/v1/events')).toHaveLength(1))
    await vi.waitFor(() => expect(lease.connection.getStatus().state).toBe('open'))
    backend.send('/v1/events', { type: 'created', id: 'a' })
    backend.send('/v1/events', { type: 'created', id: 'b' })
    await vi.waitFor(() => expect(onEventError).toHaveBeenCalledTimes(2))
    expect(onEvents).not.toHaveBeenCalled()
    expect(onEventError.mock.calls[0]![0]).toMatchObject({ reason: 'schema_mismatch' })
    expect(onCallbackError).toHaveBeenCalledTimes(2)
    expect(onCallbackError.mock.calls[0]![0]).toBeInstanceOf(TypeError)
    expect(schemaErrors(error)).toHaveLength(nodeEnv === 'production' ? 0 : 1)
    lease.release()
    hub.dispose()
    backend.dispose()
  })
})
