// Issue #22, item 2: the demo accepts local development origins (any port on localhost /
// 127.0.0.1 / [::1]) while a production server keeps its explicit list; a refused origin is
// logged once, naming the option that allows it.
import fc from 'fast-check'
import { afterEach, describe, expect, test } from 'vitest'
import { demoOrigins } from '../../demo/origins'
import { SCRIPT_TOKEN } from '../../demo/tokens'
import { createWorld, PROJECT } from '../../demo/world'
import { configFromEnv, createLiveStatusServer, isLocalDevOrigin, type LiveStatusServerOptions } from '../../src/server'
import { rawClient } from '../helpers/serverClient'
import { disposeAll, startServer, type TestUser } from './support/serverHarness'
import { startTestDemo } from './support/demoHarness'
import { capture, type Line } from './support/captureLog'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  await disposeAll()
})

const originWarnings = (lines: Line[]) => lines.filter((l) => l.level === 'warn' && /origin/i.test(l.message))

describe('isLocalDevOrigin', () => {
  test.each(['http://localhost:5173', 'http://127.0.0.1:3000', 'http://[::1]:8080', 'http://localhost', 'http://127.0.0.1:65535', 'http://localhost:1'])('accepts %s', (origin) => {
    expect(isLocalDevOrigin(origin)).toBe(true)
  })

  test.each([
    'http://localhost.evil.com',
    'http://localhost.evil.com:5173',
    'http://localhost@evil.com:5173',
    'http://evil.com@localhost:5173',
    'http://user:pass@localhost:5173',
    'http://127.0.0.1.nip.io:5173',
    'http://127.0.0.2:5173',
    'http://127.1:5173',
    'http://0x7f.0.0.1:5173',
    'http://[0:0:0:0:0:0:0:1]:5173',
    'http://sub.localhost:5173',
    'http://localhost.:5173',
    'http://LOCALHOST:5173',
    'http://localhost:5173/',
    'http://localhost:5173/app',
    'http://localhost:5173?x',
    'http://localhost:80',
    'http://localhost:99999',
    'https://localhost:5173',
    'ws://localhost:5173',
    'file://localhost',
    'null',
    '',
    ' http://localhost:5173',
    `http://localhost:5173${' '.repeat(100)}`,
  ])('refuses %j', (origin) => {
    expect(isLocalDevOrigin(origin)).toBe(false)
  })

  test('generated origins: only exactly http://{localhost|127.0.0.1|[::1]}[:port] passes', () => {
    const exact = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:([1-9]\d{0,4}))?$/
    const accepted = (origin: string) => {
      const match = exact.exec(origin)
      const port = match?.[3] === undefined ? undefined : Number(match[3])
      return match !== null && (port === undefined || (port <= 65535 && port !== 80))
    }
    const port = fc.integer({ min: 0, max: 70_000 })
    const loopback = fc.constantFrom('localhost', '127.0.0.1', '[::1]')
    const tricky = fc.oneof(
      // Any domain, and a loopback name used as a label, a prefix, a suffix or userinfo of one.
      fc.tuple(fc.domain(), port).map(([domain, p]) => `http://${domain}:${p}`),
      fc.tuple(loopback, fc.domain(), port).map(([name, domain, p]) => `http://${name}.${domain}:${p}`),
      fc.tuple(loopback, fc.domain(), port).map(([name, domain, p]) => `http://${domain}.${name}:${p}`),
      fc.tuple(loopback, fc.domain(), port).map(([name, domain, p]) => `http://${name}@${domain}:${p}`),
      fc.tuple(loopback, fc.domain(), port).map(([name, domain, p]) => `http://${domain}@${name}:${p}`),
      fc.tuple(fc.constantFrom('https', 'ws', 'ftp', 'HTTP'), loopback, port).map(([scheme, name, p]) => `${scheme}://${name}:${p}`),
      fc.tuple(loopback, port, fc.webPath()).map(([name, p, path]) => `http://${name}:${p}${path}`),
      fc.tuple(loopback, port).map(([name, p]) => `http://${name}:${p}`),
      fc.webUrl(),
      fc.string(),
    )
    fc.assert(
      fc.property(tricky, (origin) => isLocalDevOrigin(origin) === accepted(origin)),
      { numRuns: 500 },
    )
  })
})

describe('a server with `allowedOrigins: isLocalDevOrigin` (the demo\'s policy)', () => {
  test('admits a socket from http://localhost:5173 and answers its CORS preflight; refuses http://localhost.evil.com', async () => {
    const { connect, url } = await startServer({ allowedOrigins: isLocalDevOrigin })
    const vite = connect('/ws/projects/p1', { token: 'tok-alice', origin: 'http://localhost:5173' })
    await vite.opened()
    const preflight = await fetch(`${url}/api/projects/p1/index`, { method: 'OPTIONS', headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'GET' } })
    expect([preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([204, 'http://localhost:5173'])
    const evil = connect('/ws/projects/p1', { token: 'tok-alice', origin: 'http://localhost.evil.com' })
    expect((await evil.untilClosed()).reason).toBe('HTTP 403')
    const evilRest = await fetch(`${url}/api/projects/p1/index`, { headers: { Origin: 'http://localhost.evil.com', Authorization: 'Bearer tok-alice' } })
    expect([evilRest.status, evilRest.headers.get('access-control-allow-origin')]).toEqual([403, null])
  })

  test('a predicate that throws refuses (fails closed)', async () => {
    const { connect } = await startServer({
      allowedOrigins: () => {
        throw new Error('boom')
      },
    })
    expect((await connect('/ws/projects/p1', { token: 'tok-alice', origin: 'http://localhost:5173' }).untilClosed()).reason).toBe('HTTP 403')
  })
})

describe('a production server: LIVE_STATUS_ALLOWED_ORIGINS=https://app.example.com', () => {
  test('refuses http://localhost:5173 (socket and REST 403) and warns once per origin, naming the option and the variable', async () => {
    const { lines, logger } = capture()
    const { options } = configFromEnv({ LIVE_STATUS_ALLOWED_ORIGINS: 'https://app.example.com' })
    const { connect, url, server } = await startServer({ ...options, logger })
    for (let i = 0; i < 3; i++) {
      const refused = connect('/ws/projects/p1', { token: 'tok-alice', origin: 'http://localhost:5173' })
      expect((await refused.untilClosed()).reason).toBe('HTTP 403')
      const rest = await fetch(`${url}/api/projects/p1/index`, { headers: { Origin: 'http://localhost:5173', Authorization: 'Bearer tok-alice' } })
      expect([rest.status, rest.headers.get('access-control-allow-origin')]).toEqual([403, null])
    }
    const other = await fetch(`${url}/api/projects/p1/index`, { method: 'OPTIONS', headers: { Origin: 'http://127.0.0.1:3000', 'Access-Control-Request-Method': 'GET' } })
    expect([other.status, other.headers.get('access-control-allow-origin')]).toEqual([403, null])
    // Three sockets, three REST requests, one preflight.
    expect(server.metrics().drops.origin).toBe(7)

    const warnings = originWarnings(lines)
    expect(warnings.map((w) => w.fields.origin)).toEqual(['http://localhost:5173', 'http://127.0.0.1:3000'])
    expect(warnings[0]!.message).toContain('"http://localhost:5173"')
    expect(warnings[0]!.message).toContain('`allowedOrigins`')
    expect(warnings[0]!.message).toContain('LIVE_STATUS_ALLOWED_ORIGINS')
    expect(JSON.stringify(lines)).not.toContain('tok-alice')

    // The listed origin still gets in, with no warning.
    await connect('/ws/projects/p1', { token: 'tok-alice', origin: 'https://app.example.com' }).opened()
    expect(originWarnings(lines)).toHaveLength(2)
  })

  test('an attacker choosing Origin headers gets at most 100 named warnings, then one line', async () => {
    const { lines, logger } = capture()
    const { url } = await startServer({ allowedOrigins: ['https://app.example.com'], logger })
    for (let i = 0; i < 130; i++) await fetch(`${url}/api/projects/p1/index`, { headers: { Origin: `https://x${i}.evil.test` } })
    const warnings = originWarnings(lines)
    expect(warnings).toHaveLength(101)
    expect(warnings.at(-1)!.message).toContain('not logged one by one')
  })

  test('a lone string is a TypeError; list entries no browser sends are named in a warning at start', () => {
    const options = { authenticate: () => null, log: () => {} }
    expect(() => createLiveStatusServer({ ...options, allowedOrigins: 'https://app.example.com' } as unknown as LiveStatusServerOptions<TestUser>)).toThrow(/allowedOrigins/)
    const { lines, logger } = capture()
    createLiveStatusServer({ authenticate: () => null, logger, allowedOrigins: ['http://localhost:5173/', 'https://ok.example.com'] })
      .close()
      .catch(() => {})
    expect(lines.filter((l) => l.level === 'warn' && l.message.includes('allowedOrigins'))).toEqual([
      { level: 'warn', fields: { entries: ['http://localhost:5173/'] }, message: expect.stringContaining('no trailing slash') },
    ])
  })
})

describe('the demo (npm start)', () => {
  async function demo(extra = '') {
    const world = createWorld({ allowedOrigins: demoOrigins(extra) })
    const http = await startTestDemo(world, cleanups)
    const socket = (origin: string) => {
      const client = rawClient(`${http.url.replace('http', 'ws')}/ws/projects/${PROJECT}`, { origin, protocols: ['bearer', SCRIPT_TOKEN] })
      cleanups.push(() => client.close())
      return client
    }
    return { http, socket }
  }

  test('accepts a Vite app on http://localhost:5173 (socket, and the preflight of a start), whatever the demo\'s own port', async () => {
    const { http, socket } = await demo()
    const client = socket('http://localhost:5173')
    await client.until(() => client.events().length > 0)
    expect(client.events()[0]).toMatchObject({ type: 'index_status', project_id: PROJECT })
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:3000']) {
      const preflight = await fetch(`${http.url}/api/projects/${PROJECT}/operations`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' },
      })
      expect([preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([204, origin])
    }
  })

  test('refuses other origins, unless LIVE_STATUS_ALLOWED_ORIGINS lists them', async () => {
    const { socket } = await demo('http://signals.test, https://app.example.com/')
    expect((await socket('http://localhost.evil.com:5173').untilClosed()).reason).toBe('HTTP 403')
    expect((await socket('https://other.example.com').untilClosed()).reason).toBe('HTTP 403')
    await socket('http://signals.test').opened()
    await socket('https://app.example.com').opened()
  })
})
