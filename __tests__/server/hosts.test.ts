// DNS rebinding: a page on a name the attacker controls, re-pointed at 127.0.0.1, is same-origin
// with a loopback server, so the `Origin` check never sees it; only the `Host` header tells. The
// reference server refuses other hosts when `allowedHosts` is set (the standalone start sets it on
// a loopback interface), and the demo always does. The demo's routes also refuse other sites' pages.
import { request } from 'node:http'
import fc from 'fast-check'
import WebSocket from 'ws'
import { afterEach, describe, expect, test } from 'vitest'
import { demoHosts } from '../../demo/origins'
import { SCRIPT_TOKEN } from '../../demo/tokens'
import { createWorld, PROJECT } from '../../demo/world'
import { ANY_AUTHENTICATED_USER, configFromEnv, isLoopbackHost, startStandalone, type LiveStatusServerOptions } from '../../src/server'
import { hostnameOf, isHostAllowed, isLoopbackInterface } from '../../src/server/http/hostPolicy'
import { startTestDemo } from './support/demoHarness'
import { disposeAll, startServer } from './support/serverHarness'
import { capture } from './support/captureLog'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await disposeAll()
})

/** One HTTP request to 127.0.0.1:`port` with the given headers (`Host` included): status and body. */
function send(port: number, path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** A socket upgrade to 127.0.0.1:`port` with the given headers: the HTTP status it was refused with, or 101. */
function upgrade(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers })
    ws.on('open', () => {
      ws.terminate()
      resolve(101)
    })
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('error', () => {})
  })
}


describe('host names', () => {
  test.each(['localhost', 'localhost:5173', '127.0.0.1:3000', '[::1]:8080', 'LOCALHOST:1', '127.0.0.1:80'])('%s is loopback', (host) => {
    expect(isHostAllowed(isLoopbackHost, host)).toBe(true)
  })

  test.each([
    'evil.example',
    'evil.example:4173',
    'localhost.evil.example',
    '127.0.0.1.nip.io:4173',
    'evil.example@127.0.0.1',
    '127.0.0.1@evil.example',
    '127.0.0.1/path',
    '127.0.0.1:4173/x',
    '127.0.0.1?x',
    '127.0.0.1#x',
    '127.0.0.1:99999',
    '127.1',
    '2130706433',
    '0x7f.0.0.1',
    '[0:0:0:0:0:0:0:1]',
    'localhost.',
    ' 127.0.0.1',
    // Loopback too, but not names isLocalDevOrigin takes: a page there could not call the demo anyway.
    '127.5.6.7',
    'app.localhost:5173',
    '',
  ])('%j is refused', (host) => {
    expect(isHostAllowed(isLoopbackHost, host)).toBe(false)
  })

  test('a missing Host header, or a predicate that throws, refuses', () => {
    expect(isHostAllowed(isLoopbackHost, undefined)).toBe(false)
    expect(
      isHostAllowed(() => {
        throw new Error('boom')
      }, 'localhost'),
    ).toBe(false)
  })

  test('generated headers: what passes names a loopback host and nothing else (seeded)', () => {
    const port = fc.integer({ min: 0, max: 70_000 })
    const loopback = fc.constantFrom('localhost', '127.0.0.1', '[::1]', 'a.localhost')
    const header = fc.oneof(
      fc.tuple(loopback, port).map(([name, p]) => `${name}:${p}`),
      fc.tuple(loopback, fc.domain()).map(([name, domain]) => `${name}.${domain}`),
      fc.tuple(loopback, fc.domain()).map(([name, domain]) => `${domain}.${name}`),
      fc.tuple(loopback, fc.domain()).map(([name, domain]) => `${domain}@${name}`),
      fc.tuple(loopback, fc.domain()).map(([name, domain]) => `${name}@${domain}`),
      fc.tuple(loopback, fc.webPath()).map(([name, path]) => `${name}${path}`),
      fc.domain(),
      fc.string(),
    )
    fc.assert(
      fc.property(header, (value) => {
        if (!isHostAllowed(isLoopbackHost, value)) return true
        // Whatever passed is read the same way by a URL parser, and names loopback.
        const parsed = new URL(`http://${value}`)
        return isLoopbackHost(parsed.hostname) && hostnameOf(value) === parsed.hostname && !value.includes('@') && !value.includes('/')
      }),
      { numRuns: 1000, seed: 20261205 },
    )
  })
})

describe('the reference server with `allowedHosts`', () => {
  test('answers 403 to REST, SSE and upgrades for another Host, counts them and warns once per name', async () => {
    const { lines, logger } = capture()
    const { port, server } = await startServer({ allowedHosts: ['api.example.com'], logger })
    const evil = { Host: 'evil.example:4173', Authorization: 'Bearer tok-alice' }
    for (let i = 0; i < 2; i++) {
      expect(await send(port, '/api/projects/p1/index', evil)).toEqual({ status: 403, body: '{"detail":"host not allowed"}' })
      expect((await send(port, '/api/projects/p1/events', { ...evil, Accept: 'text/event-stream' })).status).toBe(403)
      expect(await upgrade(port, '/ws/projects/p1', { Host: 'evil.example:4173' })).toBe(403)
      // Any path: an app embedding the server is refused for its own routes too.
      expect((await send(port, '/anything', evil)).status).toBe(403)
    }
    expect(server.metrics().drops.host).toBe(8)
    const warnings = lines.filter((l) => l.level === 'warn' && /host/.test(l.message))
    expect(warnings.map((w) => w.fields.host)).toEqual(['evil.example:4173'])
    expect(warnings[0]!.message).toContain('`allowedHosts`')
    expect(warnings[0]!.message).toContain('LIVE_STATUS_ALLOWED_HOSTS')
    expect(JSON.stringify(lines)).not.toContain('tok-alice')

    // The listed name, with any port, is served as before (404: the route ran, p1 has no index yet).
    expect((await send(port, '/api/projects/p1/index', { Host: 'api.example.com:443', Authorization: 'Bearer tok-alice' })).status).toBe(404)
    expect(await upgrade(port, '/ws/projects/p1', { Host: 'API.example.com' })).toBe(101)
  })

  test('made-up host names do not use up the warnings a refused origin will need', async () => {
    const { lines, logger } = capture()
    const { port, connect } = await startServer({ allowedHosts: isLoopbackHost, allowedOrigins: ['https://app.example.com'], logger })
    for (let i = 0; i <= 100; i++) await send(port, '/', { Host: `x${i}.attacker.example:${port}` })
    expect((await connect('/ws/projects/p1', { token: 'tok-alice', origin: 'https://misconfigured.example' }).untilClosed()).reason).toBe('HTTP 403')
    const warnings = lines.filter((l) => l.level === 'warn')
    expect(warnings.filter((w) => w.fields.host !== undefined)).toHaveLength(100)
    expect(warnings.filter((w) => w.fields.origin === 'https://misconfigured.example')).toHaveLength(1)
  })

  test('without it any Host is served (behind a proxy, as before)', async () => {
    const { port } = await startServer()
    // 404: the route ran (p1 has no index yet).
    expect((await send(port, '/api/projects/p1/index', { Host: 'evil.example', Authorization: 'Bearer tok-alice' })).status).toBe(404)
  })

  test('a list entry with a port or a scheme is refused at construction', async () => {
    await expect(startServer({ allowedHosts: ['api.example.com:443'] })).rejects.toThrow('`allowedHosts`')
    await expect(startServer({ allowedHosts: ['https://api.example.com'] })).rejects.toThrow('`allowedHosts`')
  })
})

describe('the standalone start', () => {
  const app: LiveStatusServerOptions<{ id: string }> = { authenticate: (token) => (token === 'tok' ? { id: 'u' } : null), authorize: ANY_AUTHENTICATED_USER, logger: capture().logger }
  const start = async (env: Record<string, string>, options: Partial<LiveStatusServerOptions<{ id: string }>> = {}) => {
    const started = await startStandalone({ ...app, ...options }, { env: { LIVE_STATUS_PORT: '0', ...env }, handleSignals: false })
    cleanups.push(() => started.stop())
    return started.port
  }
  const status = async (port: number, host: string) => (await send(port, '/healthz', { Host: host })).status

  test('on 127.0.0.1 it answers loopback names only', async () => {
    const port = await start({})
    expect([await status(port, `127.0.0.1:${port}`), await status(port, `localhost:${port}`), await status(port, `evil.example:${port}`)]).toEqual([200, 200, 403])
  })

  test('LIVE_STATUS_ALLOWED_HOSTS adds names to the loopback ones; * allows any; the app\'s own option comes before the loopback default', async () => {
    const listed = await start({ LIVE_STATUS_ALLOWED_HOSTS: 'status.example.com, Proxy.Example' })
    expect([await status(listed, 'status.example.com'), await status(listed, 'proxy.example:443'), await status(listed, `localhost:${listed}`), await status(listed, 'evil.example')]).toEqual([200, 200, 200, 403])
    const any = await start({ LIVE_STATUS_ALLOWED_HOSTS: '*' })
    expect(await status(any, 'evil.example')).toBe(200)
    const own = await start({}, { allowedHosts: ['proxy.internal'] })
    expect([await status(own, 'proxy.internal'), await status(own, 'evil.example')]).toEqual([200, 403])
  })
})

describe('LIVE_STATUS_ALLOWED_HOSTS values that would allow nothing, or not what they say, stop the start', () => {
  test.each(['api.example.com:8080', 'https://api.example.com', '*.example.com', '*,api.example.com', ',', 'a.example,,b.example', 'bücher.example'])('%j', (value) => {
    expect(() => configFromEnv({ LIVE_STATUS_ALLOWED_HOSTS: value })).toThrow('LIVE_STATUS_ALLOWED_HOSTS')
    expect(() => demoHosts(value)).toThrow('LIVE_STATUS_ALLOWED_HOSTS')
  })

  test('loopback interfaces, for the standalone default', () => {
    expect(['127.0.0.1', '127.0.0.2', 'localhost', '::1', '::ffff:127.0.0.1'].map(isLoopbackInterface)).toEqual([true, true, true, true, true])
    expect(['0.0.0.0', '::', '192.168.1.5', '::ffff:10.0.0.1'].map(isLoopbackInterface)).toEqual([false, false, false, false])
  })
})

describe('the demo (npm start)', () => {
  test('refuses another Host on the page, REST, its own routes and sockets', async () => {
    const world = createWorld({})
    const http = await startTestDemo(world, cleanups)
    const evil = { Host: `rebound.evil.example:${http.port}`, Authorization: `Bearer ${SCRIPT_TOKEN}` }
    expect((await send(http.port, '/', evil)).status).toBe(403)
    expect((await send(http.port, `/api/projects/${PROJECT}/index`, evil)).status).toBe(403)
    expect((await send(http.port, '/api/demo/operations', { ...evil, 'Content-Type': 'application/json' }, 'POST', '{"type":"index"}')).status).toBe(403)
    expect(await upgrade(http.port, `/ws/projects/${PROJECT}`, { Host: evil.Host })).toBe(403)
    expect(await upgrade(http.port, '/ws/scan/s1', { Host: evil.Host })).toBe(403)
    expect((await send(http.port, '/api/demo/operations', { Host: `127.0.0.1:${http.port}` })).status).toBe(200)
  })

  test('its routes and scan socket refuse a page of another site; local pages and scripts get in', async () => {
    const world = createWorld({})
    const http = await startTestDemo(world, cleanups)
    const host = `127.0.0.1:${http.port}`
    const listed = async () => JSON.parse((await send(http.port, '/api/demo/operations', { Host: host })).body).operations as string[]
    // A simple POST (text/plain: no preflight) from any website the developer has open.
    const start = (origin?: string) => send(http.port, '/api/demo/operations', { Host: host, 'Content-Type': 'text/plain', ...(origin ? { Origin: origin } : {}) }, 'POST', '{"type":"index"}')
    expect((await start('https://evil.example')).status).toBe(403)
    expect((await send(http.port, '/api/demo/trouble', { Host: host, Origin: 'https://evil.example', 'Content-Type': 'text/plain' }, 'POST', '{"mode":"drop"}')).status).toBe(403)
    expect(await listed()).toEqual([])
    expect(world.trouble).toBe('none')
    expect(await upgrade(http.port, '/ws/scan/s1', { Origin: 'https://evil.example' })).toBe(403)
    // The demo's own page, a second app's dev server, and curl (no Origin).
    expect((await start(`http://${host}`)).status).toBe(201)
    expect((await start('http://localhost:5173')).status).toBe(201)
    expect((await start()).status).toBe(201)
    expect(await listed()).toHaveLength(3)
  })

  test('LIVE_STATUS_ALLOWED_HOSTS adds names to the loopback ones, and * allows any, as for the standalone server', () => {
    const hosts = demoHosts('demo.test, Other.Test')
    expect(['localhost', 'demo.test', 'other.test:443', 'evil.example'].map((host) => isHostAllowed(hosts, host))).toEqual([true, true, true, false])
    expect(isHostAllowed(demoHosts('*'), 'tunnel.example')).toBe(true)
    expect(isHostAllowed(demoHosts(''), 'tunnel.example')).toBe(false)
  })

  test('names each refused host and origin once in its log, with the variable that allows it', async () => {
    const { lines, logger } = capture()
    const world = createWorld({ logger })
    const http = await startTestDemo(world, cleanups)
    for (let i = 0; i < 2; i++) {
      await send(http.port, '/', { Host: 'rebound.evil.example' })
      await send(http.port, '/api/demo/operations', { Host: `127.0.0.1:${http.port}`, Origin: 'https://evil.example', 'Content-Type': 'text/plain' }, 'POST', '{}')
      await upgrade(http.port, '/ws/scan/s1', { Origin: 'https://evil.example' })
    }
    const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.message)
    expect(warnings).toHaveLength(2)
    expect(warnings.find((w) => w.includes('rebound.evil.example'))).toContain('LIVE_STATUS_ALLOWED_HOSTS')
    expect(warnings.find((w) => w.includes('https://evil.example'))).toContain('LIVE_STATUS_ALLOWED_ORIGINS')
  })
})
