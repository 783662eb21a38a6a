// Review of 45fed31 (RedisStreamsBus: history's first-entry rule, WRONGTYPE set-aside, publish ids),
// against a real redis-server. Each test fails on 45fed31 and shows one defect.
import type { Redis } from 'ioredis'
import { describe, expect, test, vi } from 'vitest'
import { RedisStreamsBus, type RedisLike } from '../../src/server'
import { haveRedis, requireRedisInCi } from '../helpers/redisServer'
import { startServer } from '../server/support/serverHarness'
import { cleanups, interceptXread, joined, redisFor, testRedis } from './support'

requireRedisInCi()

type Event = { type: string; seq: number; n?: number; operation_id?: string }
const ops = (events: Event[]) => events.filter((event) => event.type === 'file_completed')

/** An ioredis client (and its duplicates) whose every command goes through `around` first. */
function wrap(client: Redis, around: (command: string, args: (string | number)[], send: () => Promise<unknown>) => Promise<unknown>): RedisLike {
  return {
    call: (command, ...args) => around(command, args, () => client.call(command, ...args)),
    duplicate: () => wrap(client.duplicate(), around),
    disconnect: () => client.disconnect(),
    on: (event, listener) => client.on(event, listener),
  }
}

/** Expires a key the way `ttlMs` does (a real expiry, not a DEL), and waits until Redis has dropped it. */
async function expire(control: Redis, ...keys: string[]) {
  for (const key of keys) await control.pexpire(key, 1)
  await expect.poll(() => control.exists(...keys)).toBe(0)
}

describe.skipIf(!haveRedis)('review 45fed31: RedisStreamsBus', () => {
  test('history → null on a stream made anew: B, following the project, answers 404 for an operation A has just published after the stream expired (catchUp folds nothing)', async () => {
    const redis = await testRedis()
    const gate = { held: false, waiting: [] as (() => void)[] }
    cleanups.push(() => gate.waiting.splice(0).forEach((release) => release()))
    const holdBack = async (send: () => Promise<unknown>) => {
      const reply = await send()
      if (reply !== null && gate.held) await new Promise<void>((release) => gate.waiting.push(release))
      return reply
    }
    const busA = new RedisStreamsBus({ redis: await redisFor(redis.url), blockMs: 1000 })
    const busB = new RedisStreamsBus({ redis: interceptXread(await redisFor(redis.url), holdBack), blockMs: 1000 })
    cleanups.push(() => busA.close())
    cleanups.push(() => busB.close())
    const a = await startServer({ bus: busA })
    const b = await startServer({ bus: busB })
    const client = b.connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    const first = await a.server.publish('p1', { type: 'operation_started', operation_id: 'op-1', operation_type: 'index', total_files: 4 })
    await client.until(() => client.events().some((event: Event) => event.seq === first.seq))

    // The project idle for ttlMs: its stream and sequence expire (B's client still connected).
    const control = await redisFor(redis.url)
    await expire(control, 'live-status:{p1}:events', 'live-status:{p1}:seq')

    gate.held = true
    await a.server.publish('p1', { type: 'operation_started', operation_id: 'op-9', operation_type: 'index', total_files: 4 })
    const response = await fetch(`${b.url}/api/operations/op-9`, { headers: { Authorization: 'Bearer tok-alice' }, signal: AbortSignal.timeout(10_000) })
    // Before 45fed31: 200 (the new stream's entries were replayed). Now: 404, which the client takes as definitive.
    expect(response.status).toBe(200)
  })

  test('history → null on an expired stream: a client connected all along that resumes with the last seq it saw gets a full snapshot, every time, instead of an empty replay', async () => {
    const redis = await testRedis()
    const bus = new RedisStreamsBus({ redis: await redisFor(redis.url), blockMs: 1000, onError: () => {}, onRecover: () => {} })
    cleanups.push(() => bus.close())
    const b = await startServer({ bus })
    const client = b.connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    await joined(b)
    await b.server.publish('p1', { type: 'operation_started', operation_id: 'op-1', operation_type: 'index', total_files: 4 })
    const last = await b.server.publish('p1', { type: 'file_completed', operation_id: 'op-1', processed_files: 1, total_files: 4, n: 1 })
    await client.until(() => client.events().some((event: Event) => event.seq === last.seq))

    const control = await redisFor(redis.url)
    await expire(control, 'live-status:{p1}:events', 'live-status:{p1}:seq')
    // B's state is intact and at `last.seq`: the client has missed nothing.
    const before = b.server.metrics().replays.events
    for (let i = 0; i < 3; i++) {
      const resumed = b.connect(`/ws/projects/p1?since=${last.seq}`, { token: 'tok-alice' })
      await resumed.opened()
      await joined(b, 2 + i)
      resumed.close()
    }
    // Before 45fed31: three empty replays (0 events). Now: three snapshots of the whole project.
    expect(b.server.metrics().replays.events - before).toBe(0)
  })

  test('publish id: a publish that timed out then ran, on an instance whose state is ahead of what its reader delivered, is lost (the local copy is dropped by seq, the stream copy skipped)', async () => {
    const redis = await testRedis()
    const flags = { timeOutNextPublish: false, readerOnP1: false, holdReader: false }
    const held: (() => void)[] = []
    cleanups.push(() => held.splice(0).forEach((release) => release()))
    const around = async (command: string, args: (string | number)[], send: () => Promise<unknown>) => {
      const isPublish = (command === 'EVALSHA' || command === 'EVAL') && args[1] === 2
      if (command === 'XREAD' && args.includes('live-status:{p1}:events')) flags.readerOnP1 = true
      const reply = await send()
      // The reader's answer comes late (a slow link): the publish's failure is handled first.
      if (command === 'XREAD' && reply !== null && flags.holdReader) await new Promise<void>((release) => held.push(release))
      // The script ran in Redis; the client gave up on the answer (commandTimeout).
      if (isPublish && flags.timeOutNextPublish) {
        flags.timeOutNextPublish = false
        throw new Error('Command timed out')
      }
      return reply
    }
    const bus = new RedisStreamsBus({ redis: wrap(await redisFor(redis.url), around), blockMs: 1000, subscribeMarginMs: 0, onError: () => {}, onRecover: () => {} })
    cleanups.push(() => bus.close())
    const a = await startServer({ bus })
    // Events published on another instance before anyone on A follows p1: A folds them when it
    // rebuilds; its reader, placed after them, never reads them (its delivered seq stays 0).
    const other = new RedisStreamsBus({ redis: await redisFor(redis.url), blockMs: 1000 })
    cleanups.push(() => other.close())
    await other.publish('p1', { type: 'operation_started', operation_id: 'op1', operation_type: 'index', total_files: 9 })
    await other.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 1, total_files: 9, n: 1 })
    const client = a.connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    await joined(a)
    await expect.poll(() => flags.readerOnP1).toBe(true)

    flags.holdReader = true
    flags.timeOutNextPublish = true
    await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 2, total_files: 9, n: 2 })
    flags.holdReader = false
    held.splice(0).forEach((release) => release())
    await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 3, total_files: 9, n: 3 })
    await client.until(() => ops(client.events()).some((event) => event.n === 3))
    // Before 45fed31: [2, 3] (the local copy, seq 1, was dropped by the channel; the reader delivered the stored one).
    expect(ops(client.events()).map((event) => event.n)).toEqual([2, 3])
  })

  test('publish id: a publish whose entry the reader delivers before the publish times out still reaches the publishing instance\'s client twice (under two seqs), and its id stays in #localOnly', async () => {
    const redis = await testRedis()
    const flags: { timeOutNextPublish: boolean; delivered: (() => boolean) | null } = { timeOutNextPublish: false, delivered: null }
    const around = async (command: string, args: (string | number)[], send: () => Promise<unknown>) => {
      const isPublish = (command === 'EVALSHA' || command === 'EVAL') && args[1] === 2
      const reply = await send()
      if (isPublish && flags.timeOutNextPublish) {
        flags.timeOutNextPublish = false
        // The reply is slow to come back (the link, a busy event loop): the reader, on its own
        // connection, has the entry first; then commandTimeout fires.
        await expect.poll(() => flags.delivered!()).toBe(true)
        throw new Error('Command timed out')
      }
      return reply
    }
    const bus = new RedisStreamsBus({ redis: wrap(await redisFor(redis.url), around), blockMs: 1000, onError: () => {}, onRecover: () => {} })
    cleanups.push(() => bus.close())
    const a = await startServer({ bus })
    const client = a.connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.opened()
    await joined(a)
    await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 1, total_files: 9, n: 1 })
    await client.until(() => ops(client.events()).some((event) => event.n === 1))

    flags.delivered = () => ops(client.events()).some((event) => event.n === 2)
    flags.timeOutNextPublish = true
    await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 2, total_files: 9, n: 2 })
    await a.server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 3, total_files: 9, n: 3 })
    await client.until(() => ops(client.events()).some((event) => event.n === 3))
    expect(ops(client.events()).map((event) => event.n)).toEqual([1, 2, 3])
  })

  test('set-aside recheck: a project followed while #recheckSetAside awaits TYPE is read with a null id (XREAD fails, onError, backoff) instead of being placed first', async () => {
    const redis = await testRedis()
    const control = await redisFor(redis.url)
    await control.set('live-status:{pbad}:events', 'not a stream')
    const errors: unknown[] = []
    const xreads: (string | number | null)[][] = []
    const hook: { onType: (() => void) | null } = { onType: null }
    const around = async (command: string, args: (string | number)[], send: () => Promise<unknown>) => {
      if (command === 'XREAD') xreads.push([...args])
      if (command === 'TYPE' && args[0] === 'live-status:{pbad}:events' && hook.onType) {
        const run = hook.onType
        hook.onType = null
        run()
      }
      return send()
    }
    const bus = new RedisStreamsBus({ redis: wrap(await redisFor(redis.url), around), blockMs: 1000, onError: (error) => errors.push(error), onRecover: () => {} })
    cleanups.push(() => bus.close())
    const good: Event[] = []
    bus.subscribe('pgood', (event) => good.push(event))
    bus.subscribe('pbad', () => {})
    // The first read names pbad's string key: WRONGTYPE, pbad set aside, pgood read alone.
    await expect.poll(() => xreads.some((args) => args.includes('live-status:{pgood}:events') && !args.includes('live-status:{pbad}:events'))).toBe(true)
    expect(String(errors[0])).toContain('WRONGTYPE')
    const errorsBefore = errors.length

    // Five seconds later (Date only: timers run as they are), the next loop checks pbad's type again.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 6000 })
    cleanups.push(() => void vi.useRealTimers())
    const newer: Event[] = []
    hook.onType = () => bus.subscribe('pnew', (event) => newer.push(event))
    const from = xreads.length
    await bus.publish('pgood', { type: 'ping_test' })
    await expect.poll(() => xreads.slice(from).some((args) => args.includes('live-status:{pnew}:events'))).toBe(true)
    const withNew = xreads.slice(from).filter((args) => args.includes('live-status:{pnew}:events'))
    // Every id in a read is a placed one; before the recheck's await, that held by construction.
    expect(withNew[0]!.filter((arg) => arg === null || arg === undefined || arg === '')).toEqual([])
    expect(errors.slice(errorsBefore).map(String)).toEqual([])
  })
  test('WRONGTYPE with TYPE failing for the culprit: a stream set aside earlier makes #setAsideWrongTypes answer true, so the loop retries the failing read at once, without backoff', async () => {
    const redis = await testRedis()
    const control = await redisFor(redis.url)
    await control.set('live-status:{pbad1}:events', 'not a stream')
    const errors: unknown[] = []
    const failing: number[] = []
    const around = async (command: string, args: (string | number)[], send: () => Promise<unknown>) => {
      // TYPE of this one key does not answer (a per-command timeout, a proxy, ACLs on TYPE): null.
      if (command === 'TYPE' && args[0] === 'live-status:{pbad2}:events') throw new Error('Command timed out')
      if (command === 'XREAD' && args.includes('live-status:{pbad2}:events')) failing.push(performance.now())
      return send()
    }
    const bus = new RedisStreamsBus({ redis: wrap(await redisFor(redis.url), around), blockMs: 1000, onError: (error) => errors.push(error), onRecover: () => {} })
    cleanups.push(() => bus.close())
    bus.subscribe('pgood', () => {})
    bus.subscribe('pbad1', () => {})
    await expect.poll(() => errors.some((error) => String(error).includes('WRONGTYPE'))).toBe(true)

    await control.set('live-status:{pbad2}:events', 'not a stream')
    bus.subscribe('pbad2', () => {})
    await expect.poll(() => failing.length, { timeout: 5000 }).toBeGreaterThanOrEqual(4)
    // With backoff (100 ms doubling, jittered down to half), three failures wait at least 350 ms.
    expect(failing[3]! - failing[0]!).toBeGreaterThanOrEqual(300)
  })
})
