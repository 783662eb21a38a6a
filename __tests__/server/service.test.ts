import { afterEach, describe, expect, test, vi } from 'vitest'
import { InMemoryEventBus, type EventBus } from '../../src/server'
import { configFromEnv } from '../../src/server/config/fromEnv'
import { disposeAll, startServer } from './support/serverHarness'

afterEach(disposeAll)

describe('health and metrics', () => {
  test('/healthz is live; /readyz follows the bus and the drain', async () => {
    let busUp = true
    const inner = new InMemoryEventBus()
    const bus: EventBus = Object.assign(Object.create(inner) as EventBus, {
      publish: inner.publish.bind(inner),
      subscribe: inner.subscribe.bind(inner),
      history: inner.history.bind(inner),
      head: inner.head.bind(inner),
      close: inner.close.bind(inner),
      ready: () => (busUp ? Promise.resolve(true) : new Promise<boolean>(() => {})),
    })
    const { server, url } = await startServer({ bus, readinessTimeoutMs: 50 })
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' })
    const ready = await fetch(`${url}/readyz`)
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', bus: 'ok' }])
    busUp = false
    const hung = await fetch(`${url}/readyz`)
    expect([hung.status, await hung.json()]).toEqual([503, { status: 'not_ready', bus: 'unavailable' }])
    busUp = true
    const closing = server.close()
    // The HTTP server is closing too: ask the handler directly, as an app that mounts it would.
    const response = { status: 0, body: '', headersSent: false, writeHead(status: number) { this.status = status; return this }, setHeader() {}, end(body?: string) { this.body = body ?? '' } }
    server.handleRequest({ url: '/readyz', method: 'GET', headers: {} } as never, response as never)
    await vi.waitUntil(() => response.status !== 0)
    expect([response.status, JSON.parse(response.body)]).toEqual([503, { status: 'draining' }])
    await closing
  })

  test('/metrics: connections, events in and out, drops by reason, replay sizes, as Prometheus text and JSON', async () => {
    const { server, url, connect } = await startServer({ batchIntervalMs: 5 })
    await server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 1, total_files: 2 })
    const client = connect('/ws/projects/p1', { token: 'tok-alice' })
    await client.until(() => client.events().length === 1)
    await server.publish('p1', { type: 'file_completed', operation_id: 'op1', processed_files: 2, total_files: 2 })
    await client.until(() => client.events().length === 2)
    expect((await connect('/ws/projects/p1', { token: 'nope' }).untilClosed()).code).toBe(4401)
    const json = await (await fetch(`${url}/metrics?format=json`)).json()
    expect(json).toMatchObject({ connections: 1, eventsIn: 2, eventsOut: 2, drops: { unauthenticated: 1 }, replays: { count: 1, events: 1 } })
    expect(json).toHaveProperty('eventsInPerSecond')
    const viaAccept = await (await fetch(`${url}/metrics`, { headers: { Accept: 'application/json' } })).json()
    expect(viaAccept.connections).toBe(1)
    const text = await (await fetch(`${url}/metrics`)).text()
    expect(text).toContain('# TYPE live_status_connections gauge')
    expect(text).toContain('live_status_connections 1')
    expect(text).toContain('live_status_drops_total{reason="unauthenticated"} 1')
    expect(text).toContain('live_status_replay_events_bucket{le="+Inf"} 1')
    // Counts only: no project ids, no tokens.
    expect(text).not.toContain('p1')
    expect(text).not.toContain('tok-alice')
  })

  test('serviceRoutes: false leaves those paths to the app', async () => {
    const { url } = await startServer({ serviceRoutes: false })
    expect((await fetch(`${url}/healthz`)).status).toBe(404)
  })
})

describe('logger', () => {
  test('a pino-style logger gets structured fields and levels; the token never appears', async () => {
    const lines: { level: string; fields: Record<string, unknown>; message: string }[] = []
    const at = (level: string) => (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message })
    const secret = 'tok-secret-123'
    const { server, url, connect } = await startServer({
      logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
      authorize: undefined,
      // A deployment that still takes `?token=`: the URL's token stays out of the log too.
      allowTokenInQuery: true,
      authenticate: (token) => {
        if (token === secret) throw new Error(`token ${secret} / ${encodeURIComponent(secret)} could not be verified`)
        return null
      },
    })
    expect(lines.some((l) => l.level === 'warn' && l.message.includes('no `authorize`'))).toBe(true)
    expect(lines.some((l) => l.level === 'info' && l.message === 'listening' && typeof l.fields.port === 'number')).toBe(true)
    expect((await connect(`/ws/projects/p1?token=${encodeURIComponent(secret)}`).untilClosed()).code).toBe(1011)
    expect((await connect('/ws/projects/p1', { protocols: ['bearer', secret] }).untilClosed()).code).toBe(1011)
    expect((await fetch(`${url}/api/projects/p1/index`, { headers: { Authorization: `Bearer ${secret}` } })).status).toBe(500)
    await server.close()
    const errors = lines.filter((l) => l.level === 'error')
    expect(errors.length).toBe(3)
    expect(errors[0]).toMatchObject({ message: 'authenticate threw', fields: { projectId: 'p1', err: { name: 'Error' } } })
    expect(JSON.stringify(lines)).not.toContain(secret)
    expect(JSON.stringify(lines)).not.toContain(encodeURIComponent(secret))
  })
})

describe('configuration from the environment', () => {
  test('reads port, host, origins and limits; unset keeps the defaults', () => {
    expect(configFromEnv({})).toEqual({ port: 8080, host: '127.0.0.1', historySize: undefined, options: {} })
    const config = configFromEnv({
      LIVE_STATUS_PORT: '9000',
      LIVE_STATUS_HOST: '0.0.0.0',
      LIVE_STATUS_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173',
      LIVE_STATUS_MAX_CONNECTIONS_PER_USER: '20',
      LIVE_STATUS_MAX_FRAME_BYTES: '131072',
      LIVE_STATUS_IDLE_TIMEOUT_MS: '30000',
      LIVE_STATUS_HISTORY_SIZE: '5000',
      LIVE_STATUS_SERVICE_ROUTES: 'false',
    })
    expect(config).toEqual({
      port: 9000,
      host: '0.0.0.0',
      historySize: 5000,
      options: { allowedOrigins: ['https://app.example.com', 'http://localhost:5173'], maxConnectionsPerUser: 20, maxFrameBytes: 131072, idleTimeoutMs: 30000, serviceRoutes: false },
    })
  })

  test.each([
    ['LIVE_STATUS_PORT', '80a'],
    ['LIVE_STATUS_PORT', '70000'],
    ['LIVE_STATUS_MAX_PAYLOAD_BYTES', '-1'],
    ['LIVE_STATUS_MAX_FRAME_BYTES', '1e6'],
    ['LIVE_STATUS_ALLOWED_ORIGINS', 'https://app.example.com/path'],
    ['LIVE_STATUS_SERVICE_ROUTES', 'yes'],
    ['LIVE_STATUS_ALLOWED_HOSTS', 'api.example.com:8080'],
    ['LIVE_STATUS_ALLOWED_HOSTS', 'https://api.example.com'],
  ])('%s=%s stops the start with an error naming it', (name, value) => {
    expect(() => configFromEnv({ [name]: value })).toThrow(name)
  })
})
