// The load case, on its own: 2 instances × 500 clients × a 10,000-event burst, every event
// once and in order. It keeps both cores busy while the one test process decodes 10 million events,
// so it runs in the `heavy` project, after every other test file: beside the Chromium tests it once
// starved them past their timeouts.
import { describe, expect, test } from 'vitest'
import { RedisStreamsBus } from '../../src/server'
import { haveRedis, requireRedisInCi } from '../helpers/redisServer'
import { startServer } from '../server/support/serverHarness'
import { cleanups, joined, redisFor, testRedis } from './support'

requireRedisInCi()

describe.skipIf(!haveRedis)('RedisStreamsBus under a burst', () => {
  // Found a loss: with trimming by count alone, a reader behind the burst found its next entries
  // trimmed (1,401 of 10,000 arrived). Entries younger than minAgeMs are now kept.
  test('2 instances × 500 clients receive every event of a 10,000-event burst exactly once, in order', async () => {
    const redis = await testRedis()
    const busFor = async () => {
      const bus = new RedisStreamsBus({ redis: await redisFor(redis.url), blockMs: 1000 })
      cleanups.push(() => bus.close())
      return bus
    }
    const servers = await Promise.all(
      [0, 1].map(async () => startServer<{ id: string }>({ bus: await busFor(), authenticate: (token) => ({ id: token }), authorize: () => true, maxConnectionsPerUser: 1000 })),
    )
    const EVENTS = 10_000
    const clients = servers.flatMap((instance) => Array.from({ length: 500 }, (_, i) => instance.connect('/ws/projects/p1', { token: `u${i}` })))
    await Promise.all(clients.map((client) => client.opened()))
    await Promise.all(servers.map((instance) => joined(instance, 500)))
    const publishes: Promise<unknown>[] = []
    // One connection pipelines the scripts in order: seq follows n.
    for (let n = 0; n < EVENTS; n++) publishes.push(servers[0]!.server.publish('p1', { type: 'tick', n }))
    await Promise.all(publishes)
    const ticks = (client: (typeof clients)[number]) => client.events().filter((event: { type: string }) => event.type === 'tick') as { n: number; seq: number }[]
    // Counted incrementally: the wait's predicate runs on every frame, and re-reading every event
    // each time made the wait itself quadratic (about 10^9 steps over 1,000 clients).
    const arrived = (client: (typeof clients)[number]) => {
      let framesRead = 0
      let count = 0
      return () => {
        for (; framesRead < client.frames.length; framesRead++) {
          const frame = client.frames[framesRead] as { type: string; events?: { type: string }[] }
          for (const event of frame.type === 'batch' ? frame.events! : [frame]) if (event.type === 'tick') count++
        }
        return count >= EVENTS
      }
    }
    await Promise.all(clients.map((client) => client.until(arrived(client))))
    let wrong = 0
    for (const client of clients) {
      const got = ticks(client)
      if (got.length !== EVENTS || got.some((event, i) => event.n !== i || (i > 0 && event.seq <= got[i - 1]!.seq))) wrong++
    }
    expect(wrong).toBe(0)
  }, 120_000)
})
