/**
 * `npm run bench`, several instances: events published on instance A, received by clients of
 * instance B through Redis Streams (Debian's redis-server on a free port, no persistence), against
 * one instance on the in-memory bus, in the same run. Publish → receive latency p50/p99 and
 * throughput. Skipped without redis-server (BENCH_SKIP_REDIS=1 leaves it out).
 * Env: BENCH_REDIS_CLIENTS (200), BENCH_REDIS_EVENTS (2000), BENCH_REDIS_ROUNDS (3).
 */
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { WebSocket } from 'ws'
import { createLiveStatusServer, RedisStreamsBus, type EventBus, type LiveStatusServer } from '../src/server'
import { haveRedis, REDIS_SERVER, startRedis } from '../scripts/redisServer'

const CLIENTS = Number(process.env.BENCH_REDIS_CLIENTS ?? 200)
const EVENTS = Number(process.env.BENCH_REDIS_EVENTS ?? 2000)
const ROUNDS = Number(process.env.BENCH_REDIS_ROUNDS ?? 3)
const now = () => performance.timeOrigin + performance.now()
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function server(bus?: EventBus): LiveStatusServer<{ id: string }> {
  return createLiveStatusServer<{ id: string }>({
    authenticate: (token) => ({ id: token }),
    authorize: () => true,
    maxConnectionsPerUser: 100_000,
    log: () => {},
    ...(bus ? { bus } : {}),
  })
}

/** Connects `CLIENTS` clients to `url`; resolves with a function that waits for a burst. */
async function clients(url: string) {
  const latencies: number[] = []
  let received = 0
  let lastAt = 0
  const sockets = await Promise.all(
    Array.from({ length: CLIENTS }, (_, i) => {
      const socket = new WebSocket(`${url}/ws/projects/bench`, ['bearer', `u${i % 50}`])
      socket.on('message', (data) => {
        const at = now()
        const frame = JSON.parse(String(data)) as { type: string; events?: { t?: number }[]; t?: number }
        for (const event of frame.type === 'batch' ? frame.events! : [frame]) {
          if (typeof event.t !== 'number') continue
          received++
          lastAt = at
          // One client's view is enough for the latency distribution; all count for throughput.
          if (socket === sockets[0]) latencies.push(at - event.t)
        }
      })
      return new Promise<WebSocket>((resolve, reject) => {
        socket.once('open', () => resolve(socket))
        socket.once('error', reject)
      })
    }),
  )
  return {
    reset() {
      latencies.length = 0
      received = 0
    },
    async until(total: number) {
      while (received < total) await new Promise((resolve) => setTimeout(resolve, 5))
      return { latencies: [...latencies], lastAt }
    },
    close: () => sockets.forEach((socket) => socket.close()),
  }
}

/**
 * `paceMs` 0: a burst, published as fast as the bus takes them (throughput; latencies then include
 * queueing behind the burst). Otherwise one event every `paceMs` (the path's own latency).
 */
async function burst(publisher: LiveStatusServer<{ id: string }>, receivers: Awaited<ReturnType<typeof clients>>, events: number, paceMs: number) {
  receivers.reset()
  const startedAt = now()
  for (let n = 0; n < events; n++) {
    await publisher.publish('bench', { type: 'file_completed', operation_id: 'op1', processed_files: n, t: now() })
    if (paceMs > 0) await new Promise((resolve) => setTimeout(resolve, paceMs))
  }
  const { latencies, lastAt } = await receivers.until(events * CLIENTS)
  latencies.sort((a, b) => a - b)
  return {
    p50: latencies[Math.floor(latencies.length * 0.5)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
    eventsPerSecond: (events * CLIENTS) / ((lastAt - startedAt) / 1000),
  }
}

export async function runRedisBench(): Promise<string[][]> {
  if (!haveRedis) return [[`several instances (Redis Streams)`, `skipped: no redis-server at ${REDIS_SERVER}`, '', '', '']]
  const redisProcess = await startRedis()
  const connections: Redis[] = []
  const redis = () => {
    const client = new Redis(redisProcess.url)
    connections.push(client)
    return client
  }
  const a = server(new RedisStreamsBus({ redis: redis(), blockMs: 1000 }))
  const b = server(new RedisStreamsBus({ redis: redis(), blockMs: 1000 }))
  const single = server()
  try {
    await a.listen(0, '127.0.0.1')
    const bAddress = await b.listen(0, '127.0.0.1')
    const singleAddress = await single.listen(0, '127.0.0.1')
    const onB = await clients(`ws://127.0.0.1:${bAddress.port}`)
    const onSingle = await clients(`ws://127.0.0.1:${singleAddress.port}`)
    type Result = Awaited<ReturnType<typeof burst>>
    const bursts = { redis: [] as Result[], memory: [] as Result[] }
    const paced = { redis: [] as Result[], memory: [] as Result[] }
    for (let round = 0; round < ROUNDS; round++) {
      bursts.redis.push(await burst(a, onB, EVENTS, 0))
      bursts.memory.push(await burst(single, onSingle, EVENTS, 0))
      paced.redis.push(await burst(a, onB, 200, 5))
      paced.memory.push(await burst(single, onSingle, 200, 5))
    }
    onB.close()
    onSingle.close()
    const pick = (results: typeof bursts, key: 'p50' | 'p99' | 'eventsPerSecond') => ({ redis: median(results.redis.map((r) => r[key])), memory: median(results.memory.map((r) => r[key])) })
    const p50 = pick(paced, 'p50')
    const p99 = pick(paced, 'p99')
    const rate = pick(bursts, 'eventsPerSecond')
    return [
      [`publish on A → receive on B, p50 (1 event / 5 ms, ${CLIENTS} clients)`, `${p50.redis.toFixed(1)} ms`, `${p50.memory.toFixed(1)} ms (one instance, in-memory bus)`, `${(p50.redis / p50.memory).toFixed(2)}×`, '—'],
      [`publish on A → receive on B, p99`, `${p99.redis.toFixed(1)} ms`, `${p99.memory.toFixed(1)} ms`, `${(p99.redis / p99.memory).toFixed(2)}×`, '—'],
      [`events delivered / s, ${EVENTS.toLocaleString('en')}-event burst to ${CLIENTS} clients`, `${Math.round(rate.redis).toLocaleString('en')} /s`, `${Math.round(rate.memory).toLocaleString('en')} /s`, `${(rate.redis / rate.memory).toFixed(2)}×`, '—'],
    ]
  } finally {
    await Promise.all([a.close(), b.close(), single.close()])
    for (const client of connections) client.disconnect()
    await redisProcess.kill()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await runRedisBench()) console.log(`| ${row.join(' | ')} |`)
  process.exit(0)
}
