// Issue 23, item 2, across instances: SSE streams come from the same fan-out and replay as
// sockets, so a cluster on Redis Streams serves both. Two reference-server instances on one real
// redis-server (Debian's, started on a free port by the test).
import { describe, expect, test } from 'vitest'
import { RedisStreamsBus, type SequencedEvent } from '../../src/server'
import { haveRedis, requireRedisInCi } from '../helpers/redisServer'
import { startServer } from '../server/support/serverHarness'
import { cleanups, joined, redisFor, testRedis } from './support'

requireRedisInCi()

async function instance(url: string) {
  const redis = await redisFor(url)
  const bus = new RedisStreamsBus({ redis, blockMs: 1000 })
  cleanups.push(() => bus.close())
  // A short drain: an aborted fetch leaves a spare connection that http.Server#close waits out.
  return { bus, ...(await startServer({ bus, batchMaxEvents: 1, closeTimeoutMs: 200 })) }
}

/** The events of an SSE stream read with fetch (`id`, parsed `data`), as they come. Comments and `retry:` are skipped. */
async function sse(base: string, path: string, headers: Record<string, string>) {
  const controller = new AbortController()
  cleanups.push(() => controller.abort())
  const response = await fetch(base + path, { headers, signal: controller.signal })
  const events: { id: string; frame: SequencedEvent & { events?: SequencedEvent[] } }[] = []
  const waiters: (() => void)[] = []
  void (async () => {
    const decoder = new TextDecoder()
    let pending = ''
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        pending += decoder.decode(chunk, { stream: true })
        let end: number
        while ((end = pending.indexOf('\n\n')) !== -1) {
          const block = pending.slice(0, end).split('\n')
          pending = pending.slice(end + 2)
          const field = (name: string) => block.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2)
          const data = field('data')
          if (data !== undefined) events.push({ id: field('id')!, frame: JSON.parse(data) })
        }
        waiters.splice(0).forEach((fn) => fn())
      }
    } catch {
      // Aborted.
    }
  })()
  const unpacked = () => events.flatMap(({ frame }) => (frame.type === 'batch' ? frame.events! : [frame]))
  return {
    response,
    events,
    unpacked,
    until: (predicate: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => (predicate() ? resolve() : waiters.push(check))
        check()
      }),
    abort: () => controller.abort(),
  }
}

const alice = { Authorization: 'Bearer tok-alice' }
const ops = (events: SequencedEvent[]) => events.filter((event) => event.type === 'file_completed')

describe.skipIf(!haveRedis)('SSE with two server instances on RedisStreamsBus', () => {
  test('an event published on A reaches an SSE client on B and a socket client on A, the same JSON with the same seq', async () => {
    const redis = await testRedis()
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    const socket = a.connect('/ws/projects/p1', { token: 'tok-alice' })
    await socket.opened()
    await joined(a)
    const stream = await sse(b.url, '/sse/projects/p1', alice)
    expect(stream.response.status).toBe(200)
    await joined(b)

    const published = await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 1 })
    await stream.until(() => ops(stream.unpacked()).length === 1)
    await socket.until(() => ops(socket.events()).length === 1)
    const viaSse = stream.events.find(({ frame }) => frame.type === 'file_completed')!
    expect(viaSse.frame).toMatchObject({ n: 1, seq: published.seq })
    expect(viaSse.id).toBe(String(published.seq))
    expect(viaSse.frame).toEqual(ops(socket.events())[0])
  })

  test('an SSE client that leaves A and resumes on B with Last-Event-ID gets exactly what it missed, in order', async () => {
    const redis = await testRedis()
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    const first = await sse(a.url, '/sse/projects/p1', alice)
    await joined(a)
    for (let n = 1; n <= 5; n++) await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n })
    await first.until(() => ops(first.unpacked()).length === 5)
    const lastEventId = first.events.at(-1)!.id
    first.abort()
    await expect.poll(() => a.server.stats.connections).toBe(0)

    for (let n = 6; n <= 20; n++) await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n })
    const resumed = await sse(b.url, '/sse/projects/p1', { ...alice, 'Last-Event-ID': lastEventId })
    await resumed.until(() => ops(resumed.unpacked()).length >= 15)
    await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 21 })
    await resumed.until(() => ops(resumed.unpacked()).some((event) => event.n === 21))
    expect(ops(resumed.unpacked()).map((event) => event.n)).toEqual([...Array(16).keys()].map((i) => i + 6))
  })
})
