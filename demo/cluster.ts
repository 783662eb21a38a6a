/**
 * `npm run demo:cluster`: the demo as a deployment runs it, two API instances behind one address
 * book (the page is the load balancer here), over one Redis. Each instance has its own live-status
 * server on a `RedisStreamsBus`, its own job runner and its own Redis connections; what they share
 * is Redis (events, the operations list) and the token-signing secret (configuration). The page
 * connects to the instances in turn and can stop one and bring it back.
 *
 * Both instances run in this one process so that Ctrl-C stops everything, redis-server included;
 * nothing in memory is shared between them (see `startInstance`).
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { RedisStreamsBus } from '../src/server'
import { haveRedis, REDIS_SERVER, startRedis, type RedisProcess } from '../scripts/redisServer'
import { demoOrigins } from './origins'
import { sendJson, startDemoHttp, type OperationLog } from './server'
import { signedTokens } from './tokens'
import { createWorld, PROJECT } from './world'

const here = fileURLToPath(new URL('.', import.meta.url))
const clientDir = resolve(process.env.DEMO_CLIENT_DIR ?? resolve(here, 'dist'))
const ports = { A: Number(process.env.PORT_A ?? 4173), B: Number(process.env.PORT_B ?? 4174) }
type Name = keyof typeof ports
const names = Object.keys(ports) as Name[]
const urlOf = (name: Name) => `http://127.0.0.1:${ports[name]}`
// Each page may call either instance: any local page (both instances' included) on both.
const origins = demoOrigins()

/** One message per distinct error in a row: a Redis that is down says so once, not every retry. */
function warner(prefix: string) {
  let last = ''
  return (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error)
    if (message !== last) console.warn(`${prefix}: ${message}`)
    last = message
  }
}

/** The operations list in Redis, newest first (the last 100): every instance lists every operation. */
function redisOperationLog(redis: Redis): OperationLog {
  const key = `live-status-demo:{${PROJECT}}:operations`
  return {
    async add(operationId) {
      await redis.multi().lpush(key, operationId).ltrim(key, 0, 99).exec()
    },
    list: () => redis.lrange(key, 0, 99),
  }
}

type Instance = Awaited<ReturnType<typeof startInstance>>

/**
 * One API instance: its own Redis connections, bus, live-status server, job runner (the world)
 * and HTTP server. `stop()` takes its HTTP side down like a crashed or removed pod (connections
 * cut, port freed) while its jobs keep publishing to Redis, as a worker queue would; `start()`
 * brings it back on the same port.
 */
async function startInstance(name: Name, redisUrl: string, secret: Buffer, route: (self: Name, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, retryStrategy: (times) => Math.min(times * 100, 2000) })
  redis.on('error', warner(`[instance ${name}] redis`))
  const bus = new RedisStreamsBus({ redis, onError: warner(`[instance ${name}] redis bus`) })
  const world = createWorld({ allowedOrigins: origins, bus, tokens: signedTokens(secret), operationIdPrefix: `op-${name.toLowerCase()}` })
  const serve = () =>
    startDemoHttp(world, { port: ports[name], clientDir, operations: redisOperationLog(redis), corsOrigins: origins, routes: (req, res, url) => route(name, req, res, url) })
  const release = async () => {
    // What was published still reaches Redis before its connection goes.
    await world.published()
    await world.close()
    await bus.close()
    redis.disconnect()
  }
  let http: Awaited<ReturnType<typeof serve>> | null
  try {
    http = await serve()
  } catch (error) {
    await release()
    throw error
  }
  // One change at a time: a stop and a start asked together run in turn.
  let queue = Promise.resolve()
  const inTurn = (change: () => Promise<void>) => (queue = queue.then(change, change))
  return {
    name,
    get up() {
      return http !== null
    },
    stop: () =>
      inTurn(async () => {
        const running = http
        http = null
        await running?.close()
      }),
    start: () =>
      inTurn(async () => {
        http ??= await serve()
      }),
    /** Drains like `npm start`: batches out, 1001 to every client, then the port, the jobs, Redis. */
    async close() {
      await queue
      await world.server.close()
      await http?.close()
      http = null
      await release()
    },
  }
}

const instances = new Map<Name, Instance>()

/** The cluster's own routes, served by every instance: what the page needs to act as the load balancer. */
async function clusterRoute(self: Name, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const status = () => ({ self, instances: names.map((name) => ({ name, url: urlOf(name), up: instances.get(name)?.up ?? false })) })
  if (req.method === 'GET' && url.pathname === '/api/demo/cluster') {
    sendJson(res, 200, status())
    return true
  }
  const match = /^\/api\/demo\/cluster\/instances\/([AB])\/(stop|start)$/.exec(url.pathname)
  if (req.method !== 'POST' || !match) return false
  const target = instances.get(match[1] as Name)
  if (!target) {
    sendJson(res, 404, { detail: 'no such instance' })
    return true
  }
  if (match[2] === 'start') {
    await target.start()
    sendJson(res, 200, status())
    return true
  }
  if (target.up && [...instances.values()].filter((instance) => instance.up).length === 1) {
    sendJson(res, 409, { detail: 'the last running instance: the page would have nowhere to go (Ctrl-C stops everything)' })
    return true
  }
  // Answered first: stopping this very instance cuts its connections, this one included.
  const stopping = new Promise<void>((done) => res.once('finish', () => void target.stop().then(done)))
  sendJson(res, 200, { ...status(), instances: status().instances.map((entry) => (entry.name === target.name ? { ...entry, up: false } : entry)) })
  await stopping
  return true
}

let redisProcess: RedisProcess | null = null
let startup: Promise<void> = Promise.resolve()
let shuttingDown: Promise<void> | null = null

/** Stops both instances (drained), then the redis-server this script started; exits with `code`. */
function shutdown(code: number): Promise<void> {
  shuttingDown ??= (async () => {
    await startup.catch(() => {})
    await Promise.all([...instances.values()].map((instance) => instance.close().catch(warner(`[instance ${instance.name}] stop`))))
    await redisProcess?.stop()
  })()
  return shuttingDown.then(() => process.exit(code))
}

// Whatever ends this process (an error, process.exit anywhere), its redis-server goes with it.
process.on('exit', () => {
  const pid = redisProcess?.pid
  if (pid !== undefined) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
})
process.on('SIGINT', () => void shutdown(0))
process.on('SIGTERM', () => void shutdown(0))
process.on('uncaughtException', (error) => {
  console.error(error)
  void shutdown(1)
})

startup = (async () => {
  if (!haveRedis) throw new Error(`redis-server not found at ${REDIS_SERVER}: install it (apt-get install redis-server) or set REDIS_SERVER`)
  redisProcess = await startRedis({ ownProcessGroup: true })
  // The per-run signing secret: a token issued by one instance is accepted by the other.
  const secret = randomBytes(32)
  for (const name of names) {
    if (shuttingDown) return
    try {
      instances.set(name, await startInstance(name, redisProcess.url, secret, clusterRoute))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`Port ${ports[name]} (instance ${name}) is taken: run PORT_A=4273 PORT_B=4274 npm run demo:cluster`)
      }
      throw error
    }
  }
})()

startup.then(
  () => {
    if (shuttingDown) return
    console.log(`
  live-status cluster demo: two instances over one Redis

  · instance A     ${urlOf('A')}
  · instance B     ${urlOf('B')}
  · redis-server   127.0.0.1:${redisProcess!.port} (pid ${redisProcess!.pid}, no persistence)

  Open either one; the page connects to A and B in turn (it shows which one its socket is on).
  Try:
  · Start an operation: it runs on the instance that took the request; its progress reaches
    the page whichever instance the socket is on (Redis Streams).
  · "Stop" the instance the socket is on, mid-operation: the page reconnects to the other one
    and resumes with ?since= — no progress lost, none twice. "Bring back" restarts it.
  · Open a second tab: its socket may land on the other instance; both show the same operations.

  Ctrl-C stops both instances and redis-server.
`)
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    void shutdown(1)
  },
)
