/**
 * `authenticate` and `authorize` are the app's, and may hang (a session store that never answers).
 * Before `authTimeoutMs`, the check of a stream's opening had no deadline: each request (and a
 * reconnecting client's every retry) waited for good; a recheck still out was only noticed a whole
 * `recheckAccessMs` later (5 minutes by default), while a revoked token went on being followed.
 */
import { afterEach, expect, test, vi } from 'vitest'
import { createSseRouteHandler, type ProjectEventSource } from '../../src/next'
import { aborted, bodyReader, deferred, handler, paramsOf, streamRequest, TOKEN } from './support'

afterEach(() => {
  vi.useRealTimers()
})

/** The deadlines are timeouts, the rechecks and heartbeats intervals: all on the fake clock. */
const useFakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })

/**
 * Lets every promise that can settle settle, without moving the fake clock (`vi.waitFor` would:
 * under fake timers it advances them by its polling interval).
 */
const settle = () => vi.advanceTimersByTimeAsync(0)

/** The answer of `promise` once it has one: a test reads it without waiting on a promise that may never settle. */
function answerOf(promise: Promise<Response>): () => Response | undefined {
  let response: Response | undefined
  void promise.then((r) => (response = r))
  return () => response
}

/** A source that waits for the client to leave, keeping each signal it was given. */
function waitingSource() {
  const signals: AbortSignal[] = []
  const source: ProjectEventSource = async function* (_projectId, { signal }) {
    signals.push(signal)
    await aborted(signal)
  }
  return { source: vi.fn(source), signals }
}

/** The `abort` listeners a request's signal holds now, counted through spies on it. */
function listenersOn(signal: AbortSignal): () => number {
  const held = new Set<unknown>()
  const add = signal.addEventListener.bind(signal)
  const remove = signal.removeEventListener.bind(signal)
  type Listener = EventListenerOrEventListenerObject
  vi.spyOn(signal, 'addEventListener').mockImplementation((type: string, listener: Listener, options?: boolean | AddEventListenerOptions) => {
    if (type === 'abort') held.add(listener)
    add(type, listener, options)
  })
  vi.spyOn(signal, 'removeEventListener').mockImplementation((type: string, listener: Listener, options?: boolean | EventListenerOptions) => {
    if (type === 'abort') held.delete(listener)
    remove(type, listener, options)
  })
  return () => held.size
}

test('an opening check that does not answer within authTimeoutMs (default 5000) is answered 503 with Retry-After, reported once without the token; a late answer does nothing', async () => {
  useFakeTimers()
  const answer = deferred<{ id: string } | null>()
  const authenticate = vi.fn(() => answer.promise)
  const { source } = waitingSource()
  const { GET, errors } = handler({ authenticate, source, retryMs: 2500 })
  const request = streamRequest('/api/live/p1')
  const held = listenersOn(request.signal)
  const answered = answerOf(GET(request, paramsOf('p1')))
  await settle()
  expect(authenticate).toHaveBeenCalledTimes(1)

  await vi.advanceTimersByTimeAsync(4999)
  expect(answered()).toBeUndefined()
  await vi.advanceTimersByTimeAsync(1)
  const response = answered()
  expect(response?.status).toBe(503)
  expect(response!.headers.get('retry-after')).toBe('3')
  expect(response!.headers.get('content-type')).toBe('application/json')
  const text = await response!.text()
  expect(JSON.parse(text)).toEqual({ detail: 'could not check the token in time; try again later' })
  expect(text).not.toContain(TOKEN)
  expect(errors).toHaveLength(1)
  expect(errors[0]).toContain('authenticate did not answer within authTimeoutMs (5000 ms)')
  expect(errors[0]).not.toContain(TOKEN)
  // Nothing left behind: no timer, no listener on the request's signal.
  expect(vi.getTimerCount()).toBe(0)
  expect(held()).toBe(0)

  // The answer comes after all: no source, no second line, no timer.
  answer.resolve({ id: 'u1' })
  await vi.advanceTimersByTimeAsync(60_000)
  expect(source).not.toHaveBeenCalled()
  expect(errors).toHaveLength(1)
  expect(vi.getTimerCount()).toBe(0)
})

test('a hung authorize is bounded too, and a late throw after the deadline is not reported', async () => {
  useFakeTimers()
  const verdict = deferred<boolean>()
  let fail!: (error: Error) => void
  const late = new Promise<boolean>((_resolve, reject) => (fail = reject))
  const authorize = vi.fn().mockReturnValueOnce(verdict.promise).mockReturnValueOnce(late)
  const { source } = waitingSource()
  const { GET, errors } = handler({ authorize, source, authTimeoutMs: 250 })
  const first = answerOf(GET(streamRequest('/api/live/p1'), paramsOf('p1')))
  await settle()
  expect(authorize).toHaveBeenCalledTimes(1)
  await vi.advanceTimersByTimeAsync(250)
  expect(first()?.status).toBe(503)
  expect(errors).toEqual([expect.stringContaining('authorize did not answer within authTimeoutMs (250 ms)')])
  verdict.resolve(true)

  const second = answerOf(GET(streamRequest('/api/live/p1'), paramsOf('p1')))
  await settle()
  expect(authorize).toHaveBeenCalledTimes(2)
  await vi.advanceTimersByTimeAsync(250)
  expect(second()?.status).toBe(503)
  fail(new Error(`session store down while checking ${TOKEN}`))
  await settle()
  expect(errors).toHaveLength(2)
  expect(errors.join('\n')).not.toContain('authenticate or authorize failed')
  expect(source).not.toHaveBeenCalled()
  expect(vi.getTimerCount()).toBe(0)
})

test('a client that leaves while the opening check is out: answered 499 at once, no source, nothing reported, no timer or listener left; the late answer is ignored', async () => {
  useFakeTimers()
  const answer = deferred<{ id: string } | null>()
  const authenticate = vi.fn(() => answer.promise)
  const { source } = waitingSource()
  const { GET, errors } = handler({ authenticate, source })
  const leave = new AbortController()
  const request = streamRequest('/api/live/p1', { signal: leave.signal })
  const held = listenersOn(request.signal)
  const answered = answerOf(GET(request, paramsOf('p1')))
  await settle()
  expect(authenticate).toHaveBeenCalledTimes(1)

  leave.abort()
  // No time passes: the handler stops waiting because the client left, not because of a deadline.
  await settle()
  expect(answered()?.status).toBe(499)
  expect(vi.getTimerCount()).toBe(0)
  expect(held()).toBe(0)

  answer.resolve({ id: 'u1' })
  await vi.advanceTimersByTimeAsync(60_000)
  expect(source).not.toHaveBeenCalled()
  expect(errors).toEqual([])
})

/** A stream that opened: 200, read past its `retry:` line (where the source starts), its source started. */
async function openStream(GET: ReturnType<typeof handler>['GET'], signals: AbortSignal[]) {
  const response = await GET(streamRequest('/api/live/p1'), paramsOf('p1'))
  expect(response.status).toBe(200)
  await bodyReader(response).until((text) => text.includes('retry:'))
  await settle()
  expect(signals).toHaveLength(1)
}

test('a recheck not answered within authTimeoutMs ends the stream then (not a period later), reported once; its late answer does nothing', async () => {
  useFakeTimers()
  let checks = 0
  const hung = deferred<{ id: string } | null>()
  const { source, signals } = waitingSource()
  const { GET, errors } = handler({
    recheckAccessMs: 60_000,
    authTimeoutMs: 1000,
    authenticate: () => (++checks === 1 ? { id: 'u1' } : hung.promise),
    source,
  })
  await openStream(GET, signals)

  await vi.advanceTimersByTimeAsync(60_000)
  expect(checks).toBe(2)
  await vi.advanceTimersByTimeAsync(999)
  expect(signals[0]!.aborted).toBe(false)
  await vi.advanceTimersByTimeAsync(1)
  expect(signals[0]!.aborted).toBe(true)
  expect(errors).toEqual([expect.stringContaining('authenticate did not answer a recheck within authTimeoutMs (1000 ms); the stream ends')])
  expect(errors[0]).not.toContain(TOKEN)
  // The recheck timer, its deadline and the heartbeat are all gone with the stream.
  expect(vi.getTimerCount()).toBe(0)

  hung.resolve(null)
  await vi.advanceTimersByTimeAsync(300_000)
  expect(checks).toBe(2)
  expect(errors).toHaveLength(1)
  expect(vi.getTimerCount()).toBe(0)
})

test('a recheck that answers within authTimeoutMs keeps the stream, and leaves no deadline armed until the next', async () => {
  useFakeTimers()
  let checks = 0
  const slow = deferred<{ id: string } | null>()
  const { source, signals } = waitingSource()
  const { GET, errors } = handler({
    recheckAccessMs: 60_000,
    authTimeoutMs: 1000,
    heartbeatMs: 3600_000,
    authenticate: () => (++checks === 2 ? slow.promise : { id: 'u1' }),
    source,
  })
  await openStream(GET, signals)
  // Heartbeat and recheck.
  expect(vi.getTimerCount()).toBe(2)
  await vi.advanceTimersByTimeAsync(60_000)
  expect(vi.getTimerCount()).toBe(3)
  await vi.advanceTimersByTimeAsync(999)
  slow.resolve({ id: 'u1' })
  await vi.advanceTimersByTimeAsync(0)
  expect(vi.getTimerCount()).toBe(2)
  await vi.advanceTimersByTimeAsync(60_000)
  expect(checks).toBe(3)
  expect(signals[0]!.aborted).toBe(false)
  expect(errors).toEqual([])
})

test('recheckAccessMs: false still bounds the opening check', async () => {
  useFakeTimers()
  const { source } = waitingSource()
  const authenticate = vi.fn(() => new Promise<null>(() => {}))
  const { GET } = handler({ recheckAccessMs: false, authTimeoutMs: 100, authenticate, source })
  const answered = answerOf(GET(streamRequest('/api/live/p1'), paramsOf('p1')))
  await settle()
  expect(authenticate).toHaveBeenCalledTimes(1)
  await vi.advanceTimersByTimeAsync(100)
  expect(answered()?.status).toBe(503)
  expect(vi.getTimerCount()).toBe(0)
})

test('authTimeoutMs must be 1 to 2,147,483,647 ms, as the other timer options', () => {
  const options = { authenticate: () => ({ id: 'u1' }), authorize: () => true, source: waitingSource().source }
  for (const bad of [0, 0.5, -1, 2 ** 31, Infinity, NaN, false, '5000']) {
    expect(() => createSseRouteHandler({ ...options, authTimeoutMs: bad as never }), String(bad)).toThrow(/`authTimeoutMs` must be between 1 and 2147483647 ms/)
  }
  expect(() => createSseRouteHandler({ ...options, authTimeoutMs: 1 })).not.toThrow()
  expect(() => createSseRouteHandler({ ...options, authTimeoutMs: 2 ** 31 - 1 })).not.toThrow()
})
