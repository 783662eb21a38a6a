// Two reference-server instances on one real redis-server (Debian's, started on a free port by
// the test): fan-out across instances, replay on another instance with `since`, Redis crashing and
// coming back mid-stream.
import { describe, expect, test, vi } from 'vitest'
import { RedisStreamsBus } from '../../src/server'
import { haveRedis, requireRedisInCi } from '../helpers/redisServer'
import { startServer } from '../server/support/serverHarness'
import { cleanups, interceptXread, joined, redisFor, testRedis } from './support'

requireRedisInCi()

async function instance(url: string, errors: unknown[] = [], recoveries: number[] = []) {
  const redis = await redisFor(url)
  const bus = new RedisStreamsBus({ redis, blockMs: 1000, onError: (error) => errors.push(error), onRecover: (failed) => recoveries.push(failed) })
  cleanups.push(() => bus.close())
  return { bus, ...(await startServer({ bus })) }
}

const ops = (events: { type: string; seq: number; n: number }[]) => events.filter((event) => event.type === 'file_completed')

describe.skipIf(!haveRedis)('RedisStreamsBus with two server instances', () => {
  test('an event published on A reaches a client on B, with the same seq as A stored', async () => {
    const redis = await testRedis()
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    const client = b.connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    await joined(b)
    const published = await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 1 })
    await client.until(() => ops(client.events()).length === 1)
    expect(ops(client.events())[0]).toMatchObject({ n: 1, seq: published.seq })
    expect(await b.bus.head('p1')).toBe(published.seq)
  })

  test('a client that leaves A and resumes on B with since gets exactly what it missed, in order', async () => {
    const redis = await testRedis()
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    const first = a.connect('/ws/projects/p1', { token: 'tok-alice' })
    await first.opened()
    await joined(a)
    for (let n = 1; n <= 5; n++) await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n })
    await first.until(() => ops(first.events()).length === 5)
    const lastSeen = Math.max(...ops(first.events()).map((event) => event.seq))
    first.close()
    for (let n = 6; n <= 40; n++) await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n })
    const resumed = b.connect(`/ws/projects/p1?since=${lastSeen}`, { token: 'tok-alice' })
    await resumed.opened()
    await resumed.until(() => ops(resumed.events()).length >= 35)
    await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 41 })
    await resumed.until(() => ops(resumed.events()).some((event) => event.n === 41))
    expect(ops(resumed.events()).map((event) => event.n)).toEqual([...Array(36).keys()].map((i) => i + 6))
  })

  test('Redis killed and restarted mid-stream: no crash, readiness says so, and everything published after it came back reaches B', async () => {
    const redis = await testRedis()
    const errors: unknown[] = []
    const recoveries: number[] = []
    const a = await instance(redis.url, errors)
    const b = await instance(redis.url, errors, recoveries)
    const client = b.connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    await joined(b)
    await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 1 })
    await client.until(() => ops(client.events()).length === 1)

    await redis.kill()
    expect(await a.bus.ready()).toBe(false)
    // Degraded: A's own clients would still get this one; it never reaches Redis or B.
    await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 2 })
    await redis.start()
    const readyAgain = async () => {
      while (!(await a.bus.ready())) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await readyAgain()
    for (let n = 3; n <= 10; n++) await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n })
    await client.until(() => ops(client.events()).some((event) => event.n === 10))
    const after = ops(client.events()).map((event) => event.n).filter((n) => n! >= 3)
    expect(after).toEqual([3, 4, 5, 6, 7, 8, 9, 10])
    expect(errors.length).toBeGreaterThan(0)
    // B's reader said it was failing, then that it reads again.
    expect(recoveries).toHaveLength(1)
    expect(recoveries[0]).toBeGreaterThan(0)
  })

  test('events published while Redis is down take seqs in Redis\'s seq space: with this host\'s clock 10 s ahead of Redis, what B publishes after Redis is back still reaches A\'s client', async () => {
    const redis = await testRedis()
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    const client = a.connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    await joined(a)
    await b.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 1 })
    await client.until(() => ops(client.events()).length === 1)
    await redis.kill()
    const realNow = performance.now.bind(performance)
    const ahead = vi.spyOn(performance, 'now').mockImplementation(() => realNow() + 10_000)
    try {
      await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 2 })
    } finally {
      ahead.mockRestore()
    }
    await client.until(() => ops(client.events()).length === 2)
    await redis.start()
    await expect.poll(() => b.bus.ready(), { timeout: 10_000 }).toBe(true)
    await b.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 3 })
    await client.until(() => ops(client.events()).some((event) => event.n === 3))
    expect(ops(client.events()).map((event) => event.n)).toEqual([1, 2, 3])
  })

  test('an instance whose clock is 10 s ahead of Redis\'s starts following a project from Redis\'s clock: it misses nothing published next', async () => {
    const redis = await testRedis()
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    const realNow = Date.now
    const ahead = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 10_000)
    let client
    try {
      client = a.connect('/ws/projects/p1', { token: 'tok-alice' })
      await client.opened()
      await joined(a)
    } finally {
      ahead.mockRestore()
    }
    await b.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 1 })
    await client.until(() => ops(client.events()).length === 1)
    expect(ops(client.events())[0]).toMatchObject({ n: 1 })
  })

  test('a project followed while the reader\'s blocking read is still on its way to Redis is read at once, not after blockMs', async () => {
    const redis = await testRedis()
    // B's reader sends each XREAD 100 ms late: the UNBLOCK for a new project reaches Redis first.
    const a = await instance(redis.url)
    // A blocking read that, unless unblocked, outlasts the test.
    const late = async (send: () => Promise<unknown>) => {
      await new Promise((resolve) => setTimeout(resolve, 100))
      return send()
    }
    const busB = new RedisStreamsBus({ redis: interceptXread(await redisFor(redis.url), late), blockMs: 60_000 })
    cleanups.push(() => busB.close())
    const b = await startServer({ bus: busB })
    const first = b.connect('/ws/projects/p1', { token: 'tok-alice' })
    await first.opened()
    await joined(b)
    const second = b.connect('/ws/projects/p2', { token: 'tok-alice' })
    await second.opened()
    await joined(b, 2)
    await a.server.publish('p2', { type: 'file_completed', operation_id: 'op2', n: 1 })
    await second.until(() => ops(second.events()).length === 1)
  })

  test('a project\'s stream, seq, operation index and checkpoint expire ttlMs after its last event', async () => {
    const redis = await testRedis()
    const control = await redisFor(redis.url)
    const bus = new RedisStreamsBus({ redis: await redisFor(redis.url), ttlMs: 60_000 })
    cleanups.push(() => bus.close())
    const published = await bus.publish('p1', { type: 'operation_completed', operation_id: 'op-1' })
    await bus.checkpoint('p1', published.seq, [{ ...published }])
    for (const key of ['live-status:{p1}:events', 'live-status:{p1}:seq', 'live-status:op:op-1', 'live-status:{p1}:checkpoint']) {
      const ttl = await control.pttl(key)
      expect(ttl, key).toBeGreaterThan(0)
      expect(ttl, key).toBeLessThanOrEqual(60_000)
    }
  })

  test('a since older than what the stream keeps is a gap (null: the server sends a snapshot); above the head, nothing', async () => {
    const redis = await testRedis()
    const bus = new RedisStreamsBus({ redis: await redisFor(redis.url), maxLen: 10, minAgeMs: 0 })
    cleanups.push(() => bus.close())
    const seqs: number[] = []
    for (let n = 0; n < 300; n++) seqs.push((await bus.publish('p1', { type: 'file_completed', n })).seq)
    expect(await bus.head('p1')).toBe(seqs[299])
    expect(await bus.history('p1', seqs[0]!)).toBeNull()
    const recent = await bus.history('p1', seqs[295]!)
    expect(recent?.map((event) => event.n)).toEqual([296, 297, 298, 299])
    expect(await bus.history('p1', seqs[299]! + 1000)).toEqual([])
    expect(await bus.history('p-unknown', 0)).toEqual([])
  })

  test('any instance answers REST for operations and indexes published on another (state rebuilt from the stream)', async () => {
    const redis = await testRedis()
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    await a.server.publish('p1', { type: 'operation_started', operation_id: 'op-7', operation_type: 'index', total_files: 4 })
    await a.server.publish('p1', { type: 'file_completed', operation_id: 'op-7', processed_files: 3, total_files: 4 })
    await a.server.publish('p1', { type: 'index_started', project_id: 'p1' })
    const get = (path: string) => fetch(`${b.url}${path}`, { headers: { Authorization: 'Bearer tok-alice' } })
    const operation = await get('/api/operations/op-7')
    expect(operation.status).toBe(200)
    expect(await operation.json()).toMatchObject({ id: 'op-7', processed_files: 3, total_files: 4 })
    const index = await get('/api/projects/p1/index')
    expect(index.status).toBe(200)
    expect((await get('/api/operations/op-unknown')).status).toBe(404)
    // Later events keep B's rebuilt state current.
    await a.server.publish('p1', { type: 'operation_completed', operation_id: 'op-7', processed_files: 4, total_files: 4 })
    await expect.poll(async () => (await (await get('/api/operations/op-7')).json()).status).toBe('completed')
  })

  test('an instance new to a project rebuilds what the stream has trimmed, from the checkpoint another instance wrote', async () => {
    const redis = await testRedis()
    const trimming = async () => {
      const bus = new RedisStreamsBus({ redis: await redisFor(redis.url), maxLen: 10, minAgeMs: 0, blockMs: 1000 })
      cleanups.push(() => bus.close())
      return { bus, ...(await startServer({ bus, checkpointIntervalMs: 20 })) }
    }
    const a = await trimming()
    await a.server.publish('p1', { type: 'index_complete', project_id: 'p1', entity_count: 42 })
    await a.server.publish('p1', { type: 'operation_started', operation_id: 'op-old', operation_type: 'index', total_files: 4 })
    const last = await a.server.publish('p1', { type: 'operation_completed', operation_id: 'op-old', processed_files: 3, failed_files: 1, total_files: 4 })
    const control = await redisFor(redis.url)
    await expect.poll(async () => Number(await control.hget('live-status:{p1}:checkpoint', 'seq'))).toBeGreaterThanOrEqual(last.seq)
    for (let n = 0; n < 100; n++) await a.server.publish('p1', { type: 'tick', n })
    const kept = await control.xrange('live-status:{p1}:events', '-', '+')
    expect(kept.some(([, fields]) => fields[1]!.includes('op-old') || fields[1]!.includes('index_complete'))).toBe(false)

    const b = await trimming()
    const get = async (instance: { url: string }, path: string) => {
      const response = await fetch(`${instance.url}${path}`, { headers: { Authorization: 'Bearer tok-alice' } })
      return { status: response.status, body: await response.json() }
    }
    const fromA = await get(a, '/api/operations/op-old')
    expect(fromA.body).toMatchObject({ status: 'completed', processed_files: 3, failed_files: 1, total_files: 4 })
    expect(await get(b, '/api/operations/op-old')).toEqual(fromA)
    expect(await get(b, '/api/projects/p1/index')).toEqual(await get(a, '/api/projects/p1/index'))
    // A client connecting to B without `since` gets the same state in its snapshot.
    const client = b.connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    await client.until(() => client.events().some((event: { operation_id?: string }) => event.operation_id === 'op-old'))
    expect(client.events().find((event: { operation_id?: string }) => event.operation_id === 'op-old')).toMatchObject({ type: 'current_state', status: 'completed', total_files: 4 })
  })

  test('state rebuilt while another instance publishes: B ends with exactly A\'s state, and its client sees seq only grow', async () => {
    const redis = await testRedis()
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    await a.server.publish('p1', { type: 'operation_started', operation_id: 'op-race', operation_type: 'index', total_files: 300, timestamp: new Date().toISOString() })
    const publishing = (async () => {
      for (let n = 1; n <= 300; n++) await a.server.publish('p1', { type: 'file_completed', operation_id: 'op-race', processed_files: n, total_files: 300, timestamp: new Date().toISOString() })
      return a.server.publish('p1', { type: 'operation_completed', operation_id: 'op-race', processed_files: 300, total_files: 300, timestamp: new Date().toISOString() })
    })()
    // Server timestamps, as a real worker sends: without them each instance stamps its own receipt
    // time into `updated_at`.
    // Joins and REST reads on B land at different points of the stream while it is being written.
    const clients = []
    for (let i = 0; i < 5; i++) {
      await a.server.publish('p1', { type: 'tick', n: i })
      clients.push(b.connect('/ws/projects/p1', { token: 'tok-alice' }))
      await fetch(`${b.url}/api/operations/op-race`, { headers: { Authorization: 'Bearer tok-alice' } })
    }
    const done = await publishing
    const answer = async (instance: { url: string }) => (await fetch(`${instance.url}/api/operations/op-race`, { headers: { Authorization: 'Bearer tok-alice' } })).json()
    await expect.poll(async () => (await answer(b)).status).toBe('completed')
    expect(await answer(b)).toEqual(await answer(a))
    for (const client of clients) {
      await client.until(() => client.events().some((event: { seq: number }) => event.seq === done.seq))
      const seqs = client.events().map((event: { seq: number }) => event.seq)
      // A snapshot's events share one seq; after it, every event is newer than the one before.
      expect(seqs.every((seq, i) => i === 0 || seq >= seqs[i - 1]!)).toBe(true)
      const live = client.events().filter((event: { type: string }) => event.type !== 'current_state')
      expect(new Set(live.map((event: { seq: number }) => event.seq)).size).toBe(live.length)
    }
  })

  test('checkpoints: an instance writes its own when it closes, and an older one never replaces a newer', async () => {
    const redis = await testRedis()
    const bus = new RedisStreamsBus({ redis: await redisFor(redis.url), blockMs: 1000 })
    cleanups.push(() => bus.close())
    const a = await startServer({ bus, checkpointIntervalMs: 3_600_000 })
    const last = await a.server.publish('p1', { type: 'operation_started', operation_id: 'op-1', total_files: 3 })
    const control = await redisFor(redis.url)
    await expect.poll(() => a.server.metrics().eventsIn).toBeGreaterThanOrEqual(1)
    expect(await control.hget('live-status:{p1}:checkpoint', 'seq')).toBeNull()
    await a.server.close()
    expect(Number(await control.hget('live-status:{p1}:checkpoint', 'seq'))).toBe(last.seq)
    await bus.checkpoint('p1', last.seq - 1, [{ type: 'index_status', project_id: 'p1', status: 'failed', seq: last.seq - 1 }])
    expect(Number(await control.hget('live-status:{p1}:checkpoint', 'seq'))).toBe(last.seq)
    expect((await bus.retained('p1')).checkpoint).toMatchObject([{ type: 'current_state', operation_id: 'op-1', seq: last.seq }])
  })

  test('Redis stalled while an instance rebuilds a project: its sockets close with 1013 and REST answers 503 (never a wrong 404 or an empty snapshot), then both work', async () => {
    const redis = await testRedis()
    const a = await instance(redis.url)
    await a.server.publish('p1', { type: 'index_complete', project_id: 'p1', entity_count: 9 })
    const bRedis = await redisFor(redis.url)
    const b = { ...(await startServer({ bus: new RedisStreamsBus({ redis: bRedis, blockMs: 1000, onError: () => {} }), rebuildTimeoutMs: 200 })) }
    const control = await redisFor(redis.url)
    await control.call('CLIENT', 'PAUSE', '1500', 'ALL')
    const index = () => fetch(`${b.url}/api/projects/p1/index`, { headers: { Authorization: 'Bearer tok-alice' } })
    expect((await index()).status).toBe(503)
    const client = b.connect('/ws/projects/p1', { token: 'tok-alice' })
    expect((await client.untilClosed()).code).toBe(1013)
    expect(client.events()).toEqual([])
    await expect.poll(async () => (await index()).status, { timeout: 10_000 }).toBe(200)
    expect(await (await index()).json()).toMatchObject({ status: 'ready', entity_count: 9 })
  })
})
