// Shared by the Redis test files: ioredis clients torn down after each test, and the wait for a
// socket to have joined.
import { Redis } from 'ioredis'
import { afterEach, expect } from 'vitest'
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
