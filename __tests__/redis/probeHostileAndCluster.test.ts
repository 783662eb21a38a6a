// Probes of RedisStreamsBus with real redis-server processes: entries written into the stream by
// something else, resuming across instances with trimming, concurrent publishers (fast-check,
// seeded), and what an instance keeps following after its last client leaves.
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { RedisStreamsBus } from '../../src/server'
import { haveRedis, requireRedisInCi } from '../helpers/redisServer'
import { startServer, watchProcess } from '../server/support/serverHarness'
import { cleanups, joined, redisFor, testRedis } from './support'

requireRedisInCi()

async function instance(url: string, options: { maxLen?: number; minAgeMs?: number } = {}, errors: unknown[] = []) {
  const redis = await redisFor(url)
  const bus = new RedisStreamsBus({ redis, blockMs: 1000, onError: (error) => errors.push(error), onRecover: () => {}, ...options })
  cleanups.push(() => bus.close())
  return { bus, ...(await startServer({ bus })) }
}

type Event = { type: string; seq: number; n?: number; i?: number; operation_id?: string }
const ops = (events: Event[]) => events.filter((event) => event.type === 'file_completed')

describe.skipIf(!haveRedis)('RedisStreamsBus probes: hostile entries, trimming, ordering, leaks', () => {
  test('entries written by something else (no e field, not JSON, not an object, no type, __proto__, 2 MB) are dropped: no crash, no pollution, the next real event arrives', async () => {
    const redis = await testRedis()
    const watch = watchProcess()
    cleanups.push(() => watch.stop())
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    const client = b.connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    await joined(b)
    const first = await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 1 })
    await client.until(() => ops(client.events()).length === 1)
    const control = await redisFor(redis.url)
    const stream = 'live-status:{p1}:events'
    let id = first.seq
    const add = (...fields: string[]) => control.xadd(stream, `${++id}-0`, ...fields)
    await add('x', 'e')
    await add('e', 'not json')
    await add('e', '[1,2]')
    await add('e', '"text"')
    await add('e', '{"no":"type"}')
    await add('e', '{"type":42}')
    await add('e', '{"__proto__":{"polluted":true},"type":"file_completed","operation_id":"op1","n":2}')
    await add('e', JSON.stringify({ type: 'file_completed', operation_id: 'op1', n: 3, blob: 'x'.repeat(2_000_000) }))
    await control.set('live-status:{p1}:seq', String(id))
    await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 5 })
    await client.until(() => ops(client.events()).some((event) => event.n === 5))
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
    expect(ops(client.events()).map((event) => event.n)).toEqual([1, 2, 5])
    // Dropped and counted: the six that are not events, once each (by the reader, not by replays).
    expect(b.server.metrics().drops).toMatchObject({ event_too_large: 1, unreadable_entry: 6 })
    // A client resuming through the hostile entries gets the same.
    const resumed = b.connect(`/ws/projects/p1?since=${first.seq}`, { token: 'tok-alice' })
    await resumed.until(() => ops(resumed.events()).some((event) => event.n === 5))
    expect(ops(resumed.events()).map((event) => event.n)).toEqual([2, 5])
    expect(b.server.metrics().drops.unreadable_entry).toBe(6)
    expect(b.server.prometheusMetrics()).toContain('live_status_drops_total{reason="unreadable_entry"} 6')
    expect(watch.problems).toEqual([])
  })

  test('an entry one of whose other fields has the value "e" still has its event read from its e field', async () => {
    const redis = await testRedis()
    const a = await instance(redis.url)
    const b = await instance(redis.url)
    const client = b.connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    await joined(b)
    const first = await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', n: 1 })
    await client.until(() => ops(client.events()).length === 1)
    const control = await redisFor(redis.url)
    await control.xadd('live-status:{p1}:events', `${first.seq + 1}-0`, 'source', 'e', 'e', '{"type":"file_completed","operation_id":"op1","n":2}')
    await expect.poll(() => ops(client.events()).some((event) => event.n === 2), { timeout: 3000 }).toBe(true)
  })

  test('resume on B with a since the stream has trimmed away: a snapshot (never a partial replay); one it still holds: exactly what was missed', async () => {
    const redis = await testRedis()
    const a = await instance(redis.url, { maxLen: 10, minAgeMs: 0 })
    const b = await instance(redis.url, { maxLen: 10, minAgeMs: 0 })
    await a.server.publish('p1', { type: 'operation_started', operation_id: 'op1', total_files: 100 })
    const seqs: number[] = []
    for (let n = 1; n <= 50; n++) seqs.push((await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: n, total_files: 100, n })).seq)
    const old = b.connect(`/ws/projects/p1?since=${seqs[4]}`, { token: 'tok-alice' })
    await old.until(() => old.events().some((event: Event) => event.type === 'current_state'))
    expect(ops(old.events())).toEqual([])
    expect(old.events().find((event: Event) => event.type === 'current_state')).toMatchObject({ processed_files: 50, seq: seqs[49] })
    const recent = b.connect(`/ws/projects/p1?since=${seqs[44]}`, { token: 'tok-alice' })
    await recent.until(() => ops(recent.events()).some((event) => event.n === 50))
    expect(ops(recent.events()).map((event) => event.n)).toEqual([46, 47, 48, 49, 50])
    expect(recent.events().some((event: Event) => event.type === 'current_state')).toBe(false)
  })

  test('concurrent publishers on three instances (fast-check, seeded): every client on every instance gets every event once, seq strictly increasing, and a resume anywhere from any seq gets exactly the rest', async () => {
    const redis = await testRedis()
    const instances = [await instance(redis.url), await instance(redis.url), await instance(redis.url)]
    const clients = instances.map((inst) => inst.connect('/ws/projects/p1', { token: 'tok-alice' }))
    for (const [i, client] of clients.entries()) {
      await client.opened()
      await joined(instances[i]!)
    }
    let next = 0
    let total = 0
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }), async (waves) => {
        // Each wave: publishes from the chosen instances, all at once.
        for (const wave of waves) {
          await Promise.all(wave.map((who) => instances[who]!.server.publish('p1', { type: 'file_completed', operation_id: 'op1', i: next++ })))
          total += wave.length
        }
        for (const client of clients) await client.until(() => ops(client.events()).length === total)
        for (const client of clients) {
          const seqs = ops(client.events()).map((event) => event.seq)
          expect(seqs.every((seq, k) => k === 0 || seq > seqs[k - 1]!)).toBe(true)
          expect(new Set(ops(client.events()).map((event) => event.i)).size).toBe(total)
        }
        // The same order on every instance.
        const order = ops(clients[0]!.events()).map((event) => event.i)
        for (const client of clients) expect(ops(client.events()).map((event) => event.i)).toEqual(order)
      }),
      { seed: 20240611, numRuns: 15 },
    )
    const all = ops(clients[0]!.events())
    for (const k of [0, Math.floor(all.length / 2), all.length - 2]) {
      const resumed = instances[k % 3]!.connect(`/ws/projects/p1?since=${all[k]!.seq}`, { token: 'tok-alice' })
      await resumed.until(() => ops(resumed.events()).length === all.length - k - 1)
      expect(ops(resumed.events()).map((event) => event.seq)).toEqual(all.slice(k + 1).map((event) => event.seq))
      resumed.close()
    }
  })

  test('after the last client of a project leaves, the instance stops reading its stream (no blocking read names it) and holds the same Redis connections', async () => {
    const redis = await testRedis()
    const a = await instance(redis.url)
    const control = await redisFor(redis.url)
    const connections = async () => String(await control.call('CLIENT', 'LIST')).trim().split('\n').length
    const readers = async () =>
      String(await control.call('CLIENT', 'LIST'))
        .split('\n')
        // `cmd` is the last command; `flags=b`: blocked in it now.
        .filter((line) => / flags=\w*b\w* /.test(line) && / cmd=xread /.test(line))
    const before = await connections()
    for (let round = 0; round < 20; round++) {
      const client = a.connect(`/ws/projects/${round % 2 === 0 ? 'p1' : 'p2'}`, { token: 'tok-alice' })
      await client.opened()
      await joined(a, round + 1)
      client.close()
      await expect.poll(() => a.server.stats.connections).toBe(0)
    }
    await expect.poll(() => a.server.retained.projects).toBe(0)
    expect(await connections()).toBe(before)
    // Its one reader is idle, not blocked on streams of projects nobody follows.
    await expect.poll(async () => (await readers()).length).toBe(0)
  })
})
