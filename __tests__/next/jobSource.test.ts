/** `jobSource`: a push-style job feed behind the route handler. */
import { EventEmitter } from 'node:events'
import { expect, test, vi } from 'vitest'
import { jobSource } from '../../src/next'
import { bodyReader, dataOf, handler, paramsOf, streamRequest } from './support'

/** An in-process job feed, as an app might have one. */
function jobFeed() {
  const emitter = new EventEmitter()
  const history: { seq: number; type: string }[] = []
  return {
    emitter,
    publish(type: string) {
      const event = { type, seq: history.length + 1 }
      history.push(event)
      emitter.emit('event', event)
    },
    source: jobSource((_projectId, { since, push }) => {
      for (const event of history) if (event.seq > (since ?? 0)) push({ seq: event.seq, event })
      const listener = (event: { seq: number }) => push({ seq: event.seq, event })
      emitter.on('event', listener)
      return () => emitter.off('event', listener)
    }),
  }
}

test('replays after since, then streams pushes live; the client leaving unsubscribes once', async () => {
  const feed = jobFeed()
  feed.publish('queued')
  feed.publish('started')
  const { GET } = handler({ source: feed.source })
  const client = new AbortController()
  const body = bodyReader(await GET(streamRequest('/api/live/p1', { headers: { 'Last-Event-ID': '1' }, signal: client.signal }), paramsOf('p1')))
  expect(feed.emitter.listenerCount('event')).toBe(1)
  await body.until((t) => t.includes('"seq":2'))
  feed.publish('progress')
  feed.publish('completed')
  const text = await body.until((t) => t.includes('"seq":4'))
  expect(text).toMatch(/^retry: 2000\n\nid: 2\n/)
  expect(dataOf(text).map((event) => event.type)).toEqual(['started', 'progress', 'completed'])
  client.abort()
  await body.rest()
  expect(feed.emitter.listenerCount('event')).toBe(0)
})

test('end() ends the stream after what was pushed; end(error) too, with a report', async () => {
  const clean = handler({
    source: jobSource((_projectId, { push, end }) => {
      push({ event: { type: 'progress', seq: 1 } })
      queueMicrotask(() => end())
    }),
  })
  expect(dataOf(await bodyReader(await clean.GET(streamRequest(), paramsOf('p1'))).rest())).toEqual([{ type: 'progress', seq: 1 }])
  expect(clean.errors).toEqual([])

  const cleanup = vi.fn()
  const failing = handler({
    source: jobSource((_projectId, { push, end }) => {
      push({ event: { type: 'progress', seq: 1 } })
      setImmediate(() => end(new Error('redis connection lost')))
      return cleanup
    }),
  })
  expect(dataOf(await bodyReader(await failing.GET(streamRequest(), paramsOf('p1'))).rest())).toEqual([{ type: 'progress', seq: 1 }])
  expect(failing.errors[0]).toMatch(/the source failed.*redis connection lost/)
  expect(cleanup).toHaveBeenCalledTimes(1)
})

test('a subscribe that throws is answered 502 before the stream', async () => {
  const { GET, errors } = handler({
    source: jobSource(async () => {
      throw new Error('no database')
    }),
  })
  expect((await GET(streamRequest(), paramsOf('p1'))).status).toBe(502)
  expect(errors[0]).toMatch(/could not start: no database/)
})

test('past maxQueuedEvents behind a client that does not read, the stream ends instead of growing', async () => {
  let pushed = 0
  let refused = false
  const cleanup = vi.fn()
  const { GET, errors } = handler({
    source: jobSource(
      (_projectId, { push }) => {
        for (let seq = 1; seq <= 10; seq++) {
          if (push({ event: { type: 'progress', seq } })) pushed++
          else refused = true
        }
        return cleanup
      },
      { maxQueuedEvents: 5 },
    ),
  })
  const text = await bodyReader(await GET(streamRequest(), paramsOf('p1'))).rest()
  expect(pushed).toBe(5)
  expect(refused).toBe(true)
  expect(dataOf(text).map((event) => event.seq)).toEqual([1, 2, 3, 4, 5])
  expect(errors[0]).toMatch(/more than 5 events waiting/)
  expect(cleanup).toHaveBeenCalledTimes(1)
})

test('a client that left before the body was read still releases the subscription', async () => {
  const cleanup = vi.fn()
  const client = new AbortController()
  const { GET } = handler({ source: jobSource(() => cleanup) })
  const response = await GET(streamRequest('/api/live/p1', { signal: client.signal }), paramsOf('p1'))
  expect(response.status).toBe(200)
  client.abort()
  expect(cleanup).toHaveBeenCalledTimes(1)
})

test('an app cleanup that throws does not escape (it threw out of the abort listener, an uncaught exception), whether the client leaves or cancels the body', async () => {
  for (const leaveBy of ['abort', 'cancel'] as const) {
    let cleanups = 0
    const { GET } = handler({
      source: jobSource((_projectId, { push }) => {
        push({ seq: 1, event: { type: 'queued' } })
        return () => {
          cleanups++
          throw new Error('redis: connection already closed')
        }
      }),
    })
    const client = new AbortController()
    const body = bodyReader(await GET(streamRequest('/api/live/p1', { signal: client.signal }), paramsOf('p1')))
    await body.until((text) => text.includes('data:'))
    if (leaveBy === 'abort') client.abort()
    else await body.cancel()
    await vi.waitFor(() => expect(cleanups).toBe(1))
    // Vitest fails the run on an error nobody caught; give one a chance to surface.
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
})
