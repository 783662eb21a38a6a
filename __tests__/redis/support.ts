// Shared by the Redis test files: ioredis clients torn down after each test, and the wait for a
// socket to have joined.
import { Redis } from 'ioredis'
import { afterEach, expect } from 'vitest'
import { startRedis } from '../helpers/redisServer'
import type { RedisLike } from '../../src/server'
import { disposeAll } from '../server/support/serverHarness'

export const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  await disposeAll()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

export async function redisFor(url: string) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: (times) => Math.min(times * 50, 500), lazyConnect: false })
  redis.on('error', () => {})
  cleanups.push(() => redis.disconnect())
  return redis
}

// A socket is open before it has joined: an instance new to a project first rebuilds its state
// from Redis, and events published meanwhile reach that client inside its snapshot instead.
export const joined = (instance: { server: { metrics(): { replays: { count: number } } } }, count = 1) =>
  expect.poll(() => instance.server.metrics().replays.count).toBeGreaterThanOrEqual(count)

/** A redis-server of the test's own on a free port, killed after the test. */
export async function testRedis() {
  const redis = await startRedis()
  cleanups.push(() => redis.kill())
  return redis
}

/**
 * An ioredis client (and its duplicates: the bus reads on one) whose `XREAD` goes through `around`:
 * to send it late, or hold its answer back, as a slow network would.
 */
export function interceptXread(client: Redis, around: (send: () => Promise<unknown>) => Promise<unknown>): RedisLike {
  return {
    call: (command, ...args) => (command === 'XREAD' ? around(() => client.call(command, ...args)) : client.call(command, ...args)),
    duplicate: () => interceptXread(client.duplicate(), around),
    disconnect: () => client.disconnect(),
    on: (event, listener) => client.on(event, listener),
  }
}
