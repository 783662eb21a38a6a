// Issue #22, item 3: a browser sees a refused upgrade as a bare 1006, so the client's development
// build asks the socket's URL once with a plain GET (src/transport/devWarnings.ts). The server
// answers what it would have done with the upgrade, readable from the page's origin.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test } from 'vitest'
import { createLiveStatusServer } from '../../src/server'
import { disposeAll, startServer } from './support/serverHarness'

afterEach(() => disposeAll())

const probe = (url: string, origin?: string) => fetch(`${url}/ws/projects/p1`, { headers: origin ? { Origin: origin } : {} })

test('an origin the server refuses: 403 naming the option, readable by that page, logged once', async () => {
  const warnings: string[] = []
  const logger = { debug() {}, info() {}, error() {}, warn: (_fields: unknown, message: string) => void warnings.push(message) }
  const { url } = await startServer({ allowedOrigins: ['https://app.example.com'], logger })
  for (let i = 0; i < 3; i++) {
    const answer = await probe(url, 'http://localhost:5173')
    expect(answer.status).toBe(403)
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
    expect(((await answer.json()) as { detail: string }).detail).toMatch(/allowedOrigins.*LIVE_STATUS_ALLOWED_ORIGINS/)
  }
  expect(warnings.filter((message) => /origin/i.test(message))).toHaveLength(1)
})

test('an allowed origin, or a server that allows any: 426, the endpoint is there', async () => {
  const { url } = await startServer({ allowedOrigins: ['https://app.example.com'] })
  const allowed = await probe(url, 'https://app.example.com')
  expect(allowed.status).toBe(426)
  expect(allowed.headers.get('upgrade')).toBe('websocket')
  expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
  const open = await startServer()
  expect((await probe(open.url, 'http://anything.example')).status).toBe(426)
  expect((await probe(open.url)).status).toBe(426)
})

test('no Origin, as a same-origin GET from a browser: the page is judged by the server\'s own origin, as its upgrade would be; no Origin at all: refused, as the upgrade is', async () => {
  const { url } = await startServer({ allowedOrigins: ['https://app.example.com'] })
  // The page is served by this server, whose origin is not allowed: its upgrade (Origin: that origin) gets 403.
  const sameOrigin = await fetch(`${url}/ws/projects/p1`, { headers: { 'Sec-Fetch-Site': 'same-origin' } })
  expect(sameOrigin.status).toBe(403)
  expect((await fetch(`${url}/ws/projects/p1`)).status).toBe(403)
  const selfAllowed = await startServer({ allowedOrigins: (origin) => origin.startsWith('http://127.0.0.1:') })
  expect((await fetch(`${selfAllowed.url}/ws/projects/p1`, { headers: { 'Sec-Fetch-Site': 'same-origin' } })).status).toBe(426)
})

test('a path that is no socket stays a 404', async () => {
  const { url } = await startServer()
  expect((await fetch(`${url}/ws/elsewhere/p1`)).status).toBe(404)
})

test('the probe answers what the upgrade would: 400 for a project id the server refuses, 503 while shutting down', async () => {
  const { url } = await startServer({ allowedOrigins: ['https://app.example.com'] })
  const refusedId = await fetch(`${url}/ws/projects/${'x'.repeat(300)}`, { headers: { Origin: 'https://app.example.com' } })
  expect(refusedId.status).toBe(400)
  expect(refusedId.headers.get('access-control-allow-origin')).toBe('https://app.example.com')

  // Mounted on an app's own server, which outlives the live-status server's close.
  const live = createLiveStatusServer({ authenticate: () => ({ id: 'u' }), authorize: () => true, log: () => {} })
  const http = createServer((request, response) => {
    if (!live.handleRequest(request, response)) response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const app = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  try {
    expect((await probe(app)).status).toBe(426)
    await live.close()
    expect((await probe(app)).status).toBe(503)
  } finally {
    http.closeAllConnections()
    await new Promise<void>((resolve) => http.close(() => resolve()))
  }
})
