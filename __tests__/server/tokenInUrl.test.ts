// Issue #21, item 6: no token in a URL. The reference server refuses `?token=` by default with a
// 4401 whose reason names the fix; the demo server does the same on its own scan socket.
import { afterEach, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { SCRIPT_TOKEN } from '../../demo/tokens'
import { createWorld } from '../../demo/world'
import { SocketHub } from '../../src/core'
import { configFromEnv } from '../../src/server/config/fromEnv'
import { TOKEN_IN_URL_REASON } from '../../src/server/upgrade/admitSocket'
import { rawClient } from '../helpers/serverClient'
import { waitForStatus } from '../helpers/wsServer'
import { disposeAll, messageAuth, startServer } from './support/serverHarness'
import { startTestDemo } from './support/demoHarness'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await disposeAll()
})

describe('the reference server', () => {
  test('a socket with only `?token=` is refused by default: 4401, a reason naming the auth message and the subprotocol, counted, the token in no log line', async () => {
    const lines: string[] = []
    const at = (level: string) => (fields: Record<string, unknown>, message: string) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`)
    const { server, connect } = await startServer({ logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } })
    const closed = await connect('/ws/projects/p1?token=tok-alice').untilClosed()
    expect(closed).toEqual({ code: 4401, reason: TOKEN_IN_URL_REASON })
    expect(closed.reason).toMatch(/"type":"auth"/)
    expect(closed.reason).toMatch(/subprotocols bearer/)
    // Refused even beside a valid subprotocol token: the URL has already been logged somewhere.
    expect((await connect('/ws/projects/p1?token=tok-alice', { token: 'tok-alice' }).untilClosed()).code).toBe(4401)
    expect(server.metrics().drops.token_in_url).toBe(2)
    expect(server.stats.connections).toBe(0)
    expect(lines.join('\n')).not.toContain('tok-alice')
  })

  test('the auth message and the subprotocol are what it takes, and the reference client gets in with `auth: message`', async () => {
    const { server, ws, connect } = await startServer()
    await server.publish('p1', { type: 'index_started', project_id: 'p1' })
    const byProtocol = connect('/ws/projects/p1', { token: 'tok-alice' })
    const byMessage = connect('/ws/projects/p1')
    await byMessage.opened()
    byMessage.send({ type: 'auth', token: 'tok-alice' })
    for (const client of [byProtocol, byMessage]) await client.until(() => client.events().length > 0)
    const urls: string[] = []
    class Recording extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols)
        urls.push(url)
      }
    }
    const hub = new SocketHub({ token: 'tok-alice', auth: messageAuth, WebSocket: Recording })
    const lease = hub.acquire(`${ws}/ws/projects/p1`)
    await waitForStatus(lease.connection.status, (s) => s.state === 'open')
    expect(urls).toEqual([`${ws}/ws/projects/p1`])
    hub.dispose()
  })

  test('`allowTokenInQuery: true` takes `?token=` (and `tokenQueryParam`) for clients that can do nothing else', async () => {
    const { connect } = await startServer({ allowTokenInQuery: true, tokenQueryParam: 'access_token' })
    const client = connect('/ws/projects/p1?access_token=tok-alice')
    await client.opened()
    client.send({ type: 'ping' })
    await client.until(() => client.frames.some((f) => f.type === 'pong'))
    expect(client.closed).toBeNull()
  })

  test('the environment: LIVE_STATUS_ALLOW_TOKEN_IN_QUERY=true|false, anything else stops the start', () => {
    expect(configFromEnv({ LIVE_STATUS_ALLOW_TOKEN_IN_QUERY: 'true' }).options).toEqual({ allowTokenInQuery: true })
    expect(configFromEnv({ LIVE_STATUS_ALLOW_TOKEN_IN_QUERY: 'false' }).options).toEqual({ allowTokenInQuery: false })
    expect(() => configFromEnv({ LIVE_STATUS_ALLOW_TOKEN_IN_QUERY: 'yes' })).toThrow('LIVE_STATUS_ALLOW_TOKEN_IN_QUERY')
  })
})

describe('the demo server', () => {
  async function startDemo() {
    const world = createWorld({ scanTickMs: 5 })
    const http = await startTestDemo(world, cleanups)
    const ws = http.url.replace(/^http/, 'ws')
    const open = (path: string, protocols?: string[]) => {
      const client = rawClient(`${ws}${path}`, protocols ? { protocols } : {})
      cleanups.push(() => client.close())
      return client
    }
    return { open }
  }

  test('refuses `?token=` on the project socket and on its own scan socket, with the same reason', async () => {
    const { open } = await startDemo()
    expect(await open(`/ws/projects/demo?token=${SCRIPT_TOKEN}`).untilClosed()).toEqual({ code: 4401, reason: TOKEN_IN_URL_REASON })
    expect(await open(`/ws/scan/s1?token=${SCRIPT_TOKEN}`).untilClosed()).toEqual({ code: 4401, reason: TOKEN_IN_URL_REASON })
  })

  test('its scan socket takes the bearer subprotocol or the auth message; a scan asked before auth is refused', async () => {
    const { open } = await startDemo()
    const byProtocol = open('/ws/scan/s2', ['bearer', SCRIPT_TOKEN])
    await byProtocol.opened()
    expect(byProtocol.socket.protocol).toBe('bearer')
    byProtocol.send({ action: 'scan', path: '/documents', recursive: true })
    const byMessage = open('/ws/scan/s3')
    await byMessage.opened()
    byMessage.send({ type: 'auth', token: SCRIPT_TOKEN })
    byMessage.send({ action: 'scan', path: '/documents', recursive: true })
    for (const client of [byProtocol, byMessage]) await client.until(() => client.frames.some((f) => f.type === 'progress'))
    const unauthenticated = open('/ws/scan/s4')
    await unauthenticated.opened()
    unauthenticated.send({ action: 'scan', path: '/documents' })
    expect(await unauthenticated.untilClosed()).toEqual({ code: 4401, reason: 'authentication required' })
    const forged = open('/ws/scan/s5')
    await forged.opened()
    forged.send({ type: 'auth', token: 'forged' })
    expect(await forged.untilClosed()).toEqual({ code: 4401, reason: 'invalid token' })
  })
})
