/**
 * `maxStreamsPerUser`: the route handler caps the streams one user holds open at once, as the
 * reference server caps sockets per user (`maxConnectionsPerUser`). Without it one user (or one
 * stolen token) could hold as many open streams, and upstream relays, as it liked. A slot must go
 * back however the stream ends, or a user is locked out for good after a few dropped connections.
 */
import fc from 'fast-check'
import { afterEach, expect, test, vi } from 'vitest'
import { createSseRouteHandler, jobSource, SourceError, type JobSourceContext } from '../../src/next'
import type { SseRouteHandlerOptions } from '../../src/next/options'
import { aborted, bodyReader, deferred, paramsOf, streamRequest, TOKEN } from './support'

afterEach(() => {
  vi.useRealTimers()
})

type User = { id: string }

/** One stream the handler let through: the handles a client and a source have on it. */
interface OpenStream {
  userId: string
  token: string
  /** The source's signal: aborted once the stream has ended, however it ended. */
  signal: AbortSignal
  /** The client leaves (Next.js aborts `request.signal` when the connection drops). */
  leave(): void
  /** The client cancels the body it was reading. */
  cancel(): Promise<void>
  /** The source ends, or fails, mid-stream. */
  end(error?: unknown): void
  /** The stream's token is revoked (a recheck refuses it). */
  revoke(): void
}

/**
 * A handler whose users own the tokens `open` hands out, and whose streams come from a push-style
 * job source the test ends at will. Every opened body is read in the background, as a browser does,
 * so the source's end is seen.
 */
function world(options: Partial<SseRouteHandlerOptions<User>> = {}) {
  const owners = new Map<string, string>()
  const revoked = new Set<string>()
  const errors: string[] = []
  const sources: JobSourceContext[] = []
  let nextStart: 'subscribe' | 'fail' | Promise<void> = 'subscribe'
  let lastToken = ''
  let started = 0
  const job = jobSource((_projectId, context) => void sources.push(context))
  const { GET } = createSseRouteHandler<User>({
    authenticate: (token) => (owners.has(token) && !revoked.has(token) ? { id: owners.get(token)! } : null),
    authorize: () => true,
    onError: (message) => errors.push(message),
    source: async (projectId, context) => {
      const start = nextStart
      nextStart = 'subscribe'
      started++
      if (start === 'fail') throw new SourceError(`upstream down while serving ${lastToken}`, 503)
      if (start !== 'subscribe') await start
      return job(projectId, context)
    },
    ...options,
  })
  let tokens = 0
  return {
    errors,
    /** Sources started so far. */
    get started() {
      return started
    },
    /** How the next source starts: at once, failing (503), or once a promise settles. */
    startNext: (how: 'subscribe' | 'fail' | Promise<void>) => (nextStart = how),
    /** Opens a stream of `userId`: its response, and its handles when it streams. */
    async open(userId: string, init: { leave?: AbortController } = {}): Promise<{ response: Response; stream?: OpenStream }> {
      const token = `${TOKEN}-${userId}-${++tokens}`
      owners.set(token, userId)
      lastToken = token
      const leave = init.leave ?? new AbortController()
      const response = await GET(streamRequest('/api/live/p1', { token, signal: leave.signal }), paramsOf('p1'))
      if (response.status !== 200) return { response }
      const context = sources.at(-1)!
      const reader = response.body!.getReader()
      void (async () => {
        while (!(await reader.read().catch(() => ({ done: true }))).done);
      })()
      const stream: OpenStream = {
        userId,
        token,
        signal: context.signal,
        leave: () => leave.abort(),
        cancel: () => reader.cancel(),
        end: (error) => context.end(error),
        revoke: () => revoked.add(token),
      }
      return { response, stream }
    },
  }
}

test('the eleventh stream of a user is answered 429 with a JSON detail and Retry-After, before the source; other users are not affected', async () => {
  const source = vi.fn(async function* () {
    await new Promise(() => {})
  })
  const { GET } = createSseRouteHandler<User>({ authenticate: (token) => ({ id: token.startsWith(TOKEN) ? 'u1' : 'u2' }), authorize: () => true, source, retryMs: 2500, onError: () => {} })
  const open = (token = TOKEN) => GET(streamRequest('/api/live/p1', { token }), paramsOf('p1'))
  for (let i = 0; i < 10; i++) expect((await open()).status).toBe(200)
  const over = await open()
  expect(over.status).toBe(429)
  expect(over.headers.get('content-type')).toBe('application/json')
  expect(over.headers.get('cache-control')).toBe('no-store')
  expect(over.headers.get('retry-after')).toBe('3')
  const text = await over.text()
  expect(JSON.parse(text)).toEqual({ detail: 'too many streams open for this user; try again later' })
  expect(text).not.toContain(TOKEN.slice(0, 8))
  expect(source).toHaveBeenCalledTimes(10)
  expect((await open('another-users-token')).status).toBe(200)
})

// How a stream ends, each tried on a user at the cap: the slot must come back.
const endings: [string, (stream: OpenStream, w: ReturnType<typeof world>) => void | Promise<void>][] = [
  ['the client leaves (request.signal aborted)', (stream) => stream.leave()],
  ['the client cancels the body', (stream) => stream.cancel()],
  ['the source ends', (stream) => stream.end()],
  ['the source fails mid-stream', (stream) => stream.end(new Error(`job feed lost while serving ${stream.token}`))],
  [
    'a recheck refuses the token',
    (stream) => {
      stream.revoke()
      vi.advanceTimersByTime(1000)
    },
  ],
]

test.each(endings)('%s: the slot is given back, and the user may open a stream again', async (_how, end) => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  const w = world({ maxStreamsPerUser: 2, recheckAccessMs: 1000 })
  const first = (await w.open('alice')).stream!
  expect((await w.open('alice')).response.status).toBe(200)
  expect((await w.open('alice')).response.status).toBe(429)
  await end(first, w)
  await aborted(first.signal)
  expect((await w.open('alice')).response.status).toBe(200)
  expect((await w.open('alice')).response.status).toBe(429)
  expect(w.errors.join('\n')).not.toContain(TOKEN)
})

test('a source that fails to start (503, 502) or a client that leaves while it starts holds no slot', async () => {
  const w = world({ maxStreamsPerUser: 1 })
  w.startNext('fail')
  const failed = await w.open('alice')
  expect(failed.response.status).toBe(503)
  expect(failed.response.headers.get('retry-after')).toBe('2')
  const gate = deferred()
  w.startNext(gate.promise)
  const leave = new AbortController()
  const starting = w.open('alice', { leave })
  await vi.waitFor(() => expect(w.started).toBe(2))
  leave.abort()
  gate.resolve()
  // Answered as the client is gone (a 200 whose body has already ended): its stream is over.
  const left = await starting
  if (left.stream) expect(left.stream.signal.aborted).toBe(true)
  // A source whose iterable throws when it is iterated: answered 502, its slot given back.
  const { GET } = createSseRouteHandler<User>({
    authenticate: () => ({ id: 'u1' }),
    authorize: () => true,
    source: () => ({
      [Symbol.asyncIterator]: () => {
        throw new Error('not iterable after all')
      },
    }),
    maxStreamsPerUser: 1,
    onError: () => {},
  })
  for (let i = 0; i < 3; i++) expect((await GET(streamRequest(), paramsOf('p1'))).status).toBe(502)
  // Both gone: the one slot is free.
  const { response, stream } = await w.open('alice')
  expect(response.status).toBe(200)
  expect((await w.open('alice')).response.status).toBe(429)
  stream!.leave()
  expect(w.errors.join('\n')).not.toContain(TOKEN)
})

test('a user is keyed by `id`, `sub` or `userId` (string or number), or is the key itself; `userKey` chooses another', async () => {
  const source = async function* () {
    await new Promise(() => {})
  }
  const statuses = async (users: unknown[], options: Partial<SseRouteHandlerOptions<unknown>> = {}) => {
    let i = 0
    const { GET } = createSseRouteHandler<unknown>({ authenticate: () => users[i++], authorize: () => true, source, maxStreamsPerUser: 1, onError: () => {}, ...options })
    const out: number[] = []
    while (out.length < users.length) out.push((await GET(streamRequest(), paramsOf('p1'))).status)
    return out
  }
  expect(await statuses([{ id: 'a' }, { id: 'a' }, { id: 'b' }])).toEqual([200, 429, 200])
  expect(await statuses([{ sub: 'a' }, { sub: 'a' }, { userId: 7 }, { userId: 7 }, { id: 7 }])).toEqual([200, 429, 200, 429, 429])
  expect(await statuses(['a', 'a', 42, 42])).toEqual([200, 429, 200, 429])
  // `id` wins over `sub`, as the reference server's default `userId` does.
  expect(await statuses([{ id: 'a', sub: 'x' }, { id: 'b', sub: 'x' }])).toEqual([200, 200])
  const byTenant = (user: unknown) => (user as { tenant: string }).tenant
  expect(await statuses([{ id: 'a', tenant: 't1' }, { id: 'b', tenant: 't1' }, { id: 'c', tenant: 't2' }], { userKey: byTenant })).toEqual([200, 429, 200])
  expect(await statuses([{ id: 'a' }, { id: 'a' }, { id: 'a' }], { maxStreamsPerUser: false })).toEqual([200, 200, 200])
})

test('a user with no key is let through uncounted, and reported once (naming userKey), never with the token', async () => {
  const errors: string[] = []
  const { GET } = createSseRouteHandler<{ email: string }>({
    authenticate: () => ({ email: 'a@example.com' }),
    authorize: () => true,
    source: async function* () {
      await new Promise(() => {})
    },
    maxStreamsPerUser: 2,
    onError: (message) => errors.push(message),
  })
  for (let i = 0; i < 5; i++) expect((await GET(streamRequest(), paramsOf('p1'))).status).toBe(200)
  expect(errors).toHaveLength(1)
  expect(errors[0]).toMatch(/`maxStreamsPerUser` is not applied.*`userKey/)
  expect(errors[0]).not.toContain(TOKEN)
  expect(errors[0]).not.toContain('a@example.com')
})

test('a `userKey` that throws or answers no key refuses the stream with 500, reported without the token', async () => {
  for (const userKey of [
    (): string => {
      throw new Error(`no tenant for the session of ${TOKEN}`)
    },
    () => '',
    () => undefined as unknown as string,
    () => Number.NaN,
  ]) {
    const source = vi.fn(async function* () {})
    const errors: string[] = []
    const { GET } = createSseRouteHandler<User>({ authenticate: () => ({ id: 'u1' }), authorize: () => true, source, userKey, onError: (message) => errors.push(message) })
    const response = await GET(streamRequest(), paramsOf('p1'))
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({ detail: 'could not count the streams of this user' })
    expect(source).not.toHaveBeenCalled()
    expect(errors).toEqual([expect.stringContaining('`userKey` failed')])
    expect(errors[0]).not.toContain(TOKEN)
  }
})

test('maxStreamsPerUser must be a whole number of 1 or more, or false; userKey a function', () => {
  const base = { authenticate: () => ({ id: 'u1' }), authorize: () => true, source: async function* () {} }
  for (const bad of [0, -1, 1.5, Number.NaN, Infinity, '10'])
    expect(() => createSseRouteHandler({ ...base, maxStreamsPerUser: bad as number })).toThrow(/`maxStreamsPerUser` must be a whole number, 1 or more, or false/)
  expect(() => createSseRouteHandler({ ...base, userKey: 'id' as never })).toThrow(/`userKey` must be a function/)
  expect(() => createSseRouteHandler({ ...base, maxStreamsPerUser: false })).not.toThrow()
})

test('a generated schedule of opens and endings: a user never holds more than the cap, and no slot leaks', async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  const CAP = 3
  const USERS = ['alice', 'bob']
  const user = fc.constantFrom(...USERS)
  const pick = fc.nat({ max: 1000 })
  const action = fc.oneof(
    fc.record({ kind: fc.constant('open' as const), user }),
    fc.record({ kind: fc.constant('open-failing' as const), user }),
    fc.record({ kind: fc.constantFrom('leave' as const, 'cancel' as const, 'end' as const, 'fail' as const, 'revoke' as const), pick }),
  )
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 40 }), async (actions) => {
      const w = world({ maxStreamsPerUser: CAP, recheckAccessMs: 1000 })
      const live: OpenStream[] = []
      const holding = (userId: string) => live.filter((s) => s.userId === userId).length
      // What the handler really holds open: streams whose source still runs.
      const running = (all: OpenStream[], userId: string) => all.filter((s) => s.userId === userId && !s.signal.aborted).length
      const everything: OpenStream[] = []
      for (const a of actions) {
        if (a.kind === 'open' || a.kind === 'open-failing') {
          if (a.kind === 'open-failing') w.startNext('fail')
          const { response, stream } = await w.open(a.user)
          // Refused with 429 before the source was asked: the failing start is not used up.
          w.startNext('subscribe')
          const expected = holding(a.user) >= CAP ? 429 : a.kind === 'open' ? 200 : 503
          expect(response.status).toBe(expected)
          if (stream) live.push(stream), everything.push(stream)
        } else if (live.length > 0) {
          const [stream] = live.splice(a.pick % live.length, 1)
          if (a.kind === 'leave') stream!.leave()
          else if (a.kind === 'cancel') await stream!.cancel()
          else if (a.kind === 'end') stream!.end()
          else if (a.kind === 'fail') stream!.end(new Error(`feed lost for ${stream!.token}`))
          else {
            stream!.revoke()
            vi.advanceTimersByTime(1000)
          }
          await aborted(stream!.signal)
        }
        for (const userId of USERS) expect(running(everything, userId)).toBe(holding(userId))
        for (const userId of USERS) expect(holding(userId)).toBeLessThanOrEqual(CAP)
      }
      // Everything ends: each user may open exactly the cap again (nothing leaked, nothing over).
      for (const stream of live.splice(0)) {
        stream.leave()
        await aborted(stream.signal)
      }
      for (const userId of USERS) {
        const again = []
        for (let i = 0; i <= CAP; i++) again.push(await w.open(userId))
        expect(again.map(({ response }) => response.status)).toEqual([...Array(CAP).fill(200), 429])
        for (const { stream } of again) stream?.leave()
      }
      expect(w.errors.join('\n')).not.toContain(TOKEN)
    }),
    { seed: 20261207, numRuns: 60, endOnFailure: true },
  )
})

test('bodies read to their end: a finished stream frees its slot with nothing else done', async () => {
  const { GET } = createSseRouteHandler<User>({
    authenticate: () => ({ id: 'u1' }),
    authorize: () => true,
    source: async function* () {
      yield { seq: 1, event: { type: 'progress', seq: 1 } }
    },
    maxStreamsPerUser: 1,
    onError: () => {},
  })
  for (let i = 0; i < 3; i++) {
    const response = await GET(streamRequest(), paramsOf('p1'))
    expect(response.status).toBe(200)
    expect(await bodyReader(response).rest()).toContain('"seq":1')
  }
})
