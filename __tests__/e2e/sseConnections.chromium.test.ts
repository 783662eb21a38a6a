/**
 * Server-Sent Events over HTTP/1.1 in Debian's Chromium (issue #23, item 4): a browser opens at
 * most 6 connections per origin over HTTP/1.1, and an SSE stream holds one for as long as it is
 * open. The page (browser/sseConnectionsPage.tsx, bundled with esbuild from the sources) is served
 * by the reference server's own origin over plain http, beside `/sse/projects/{id}` and the REST
 * routes, and follows projects over `sseTransport()`.
 *
 * - Sharing: 24 components following 12 operations of 3 projects hold exactly one stream per project (counted on
 *   the server), REST requests (more at once than the connections left) complete while the streams
 *   are open, and live events reach every component.
 * - The limit: 6 projects' streams on one origin take every connection the browser allows it; a
 *   further request waits in the browser, unsent, until one stream closes.
 *
 * To watch the first test fail without sharing, give each component its own client:
 * `SSE_CONNECTIONS_CLIENTS=each npx vitest run __tests__/e2e/sseConnections.chromium.test.ts`.
 * Every wait is on a condition (the page's DOM or state, the server's counts); nothing is timed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { CHROMIUM_PATH, chromiumArgs, haveChromium, requireChromiumInCi } from '../../scripts/chromium'
import { createLiveStatusServer, type LiveStatusServer } from '../../src/server'

requireChromiumInCi()

/** What Chromium (like Firefox and Safari) allows per origin over HTTP/1.1. */
const PER_ORIGIN = 6

type RequestRecord = { url: string; issuedAt: number; status?: number; error?: string; requestStart?: number }
type PageApi = {
  clients: string
  mount(projectId: string, count: number, kind?: 'progress' | 'stream'): void
  unmount(projectId: string): number
  request(name: string, path: string, init?: { method?: string; body?: unknown }): void
  elsewhere(url: string): Promise<void>
  requests(): Record<string, RequestRecord>
}
declare const ssePage: PageApi

describe.skipIf(!haveChromium)('SSE over HTTP/1.1 in Chromium: one stream per project, and the 6-connection limit', () => {
  let server: LiveStatusServer<{ id: string }>
  let http: Server
  let origin: string
  let port: number
  let profileDir: string
  let context: BrowserContext
  /** Per project: stream requests ever, and streams open now (the server's side of each). */
  const streamRequests: Record<string, number> = {}
  const openStreams: Record<string, number> = {}
  /** Every request the server received, in order (path and query). */
  const arrivals: string[] = []
  /** TCP connections from the browser: open now, and the most at once. */
  const tcp = { open: 0, most: 0 }
  const sseOpen = () => server.metrics().connectionsByTransport.sse
  const openOf = (projects: string[]) => Object.fromEntries(projects.map((p) => [p, openStreams[p] ?? 0]))

  // Conditions span the browser and the server: poll them on the event loop, each wait named, so a
  // run that stalls says where (the test's own timeout bounds it).
  let waiting = ''
  const waitUntil = async (predicate: () => Promise<boolean> | boolean, what: string) => {
    waiting = what
    while (!(await predicate())) await new Promise((resolve) => setTimeout(resolve, 20))
    waiting = ''
  }
  /** Whether `count` components of each of `projects` are in state `state` (and show `processed`, if given). */
  const everyComponent = (page: Page, projects: string[], count: number, state: string, processed?: number) =>
    page.evaluate(
      ([projects, count, state, processed]) =>
        projects.every((projectId) => {
          const all = [...document.querySelectorAll(`[data-project="${projectId}"]`)]
          return all.length === count && all.every((p) => p.getAttribute('data-state') === state && (processed === null || p.getAttribute('data-processed') === String(processed)))
        }),
      [projects, count, state, processed ?? null] as const,
    )
  const openPage = async () => {
    const page = await context.newPage()
    // Closed however the test ends: a tab left holding streams would hold the origin's connections.
    onTestFinished(() => page.close())
    page.on('pageerror', (error) => pageErrors.push(error.message))
    const clients = process.env.SSE_CONNECTIONS_CLIENTS === 'each' ? '?clients=each' : ''
    await page.goto(`${origin}/${clients}`)
    await page.waitForFunction(() => 'ssePage' in globalThis)
    return page
  }
  const pageErrors: string[] = []

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: ['__tests__/e2e/browser/sseConnectionsPage.tsx'],
      bundle: true,
      write: false,
      format: 'esm',
      target: 'es2022',
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"development"' },
      logLevel: 'silent',
    })
    const script = bundle.outputFiles[0]!.text
    server = createLiveStatusServer<{ id: string }>({
      authenticate: (token) => (token === 'tok' ? { id: 'user' } : null),
      authorize: 'any-authenticated-user',
      // Starting a job publishes `operation_started`; no worker is needed to show the POST completes.
      onStartOperation: async () => {},
      log: () => {},
    })
    for (const projectId of ['p1', 'p2', 'p3', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6'])
      for (const op of ['op', 'op0', 'op1', 'op2', 'op3'])
        await server.publish(projectId, { type: 'operation_started', operation_id: `${projectId}-${op}`, operation_type: 'index', total_files: 10 })
    // The reference server's own origin: the page, its script, and everything else by `handleRequest`.
    http = createServer((request, response) => {
      const url = request.url ?? '/'
      arrivals.push(url)
      const stream = /^\/sse\/projects\/([^/?]+)/.exec(url)?.[1]
      if (stream) {
        streamRequests[stream] = (streamRequests[stream] ?? 0) + 1
        openStreams[stream] = (openStreams[stream] ?? 0) + 1
        response.once('close', () => openStreams[stream]!--)
      }
      if (url === '/page.js') return response.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
      if (url === '/' || url.startsWith('/?')) {
        return response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>sse</title><link rel="icon" href="data:,"><div id="root"></div><script type="module" src="/page.js"></script>')
      }
      if (url.startsWith('/elsewhere')) return response.writeHead(204).end()
      if (!server.handleRequest(request, response)) response.writeHead(404).end()
    })
    http.on('connection', (socket: Socket) => {
      tcp.most = Math.max(tcp.most, ++tcp.open)
      socket.once('close', () => tcp.open--)
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    port = (http.address() as AddressInfo).port
    origin = `http://127.0.0.1:${port}`
    profileDir = mkdtempSync(join(tmpdir(), 'live-status-sse-'))
    context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs })
  }, 60_000)

  afterAll(async () => {
    if (waiting) console.error(`[sseConnections] stopped while waiting for: ${waiting}; streams open on the server: ${JSON.stringify(openStreams)}; arrivals: ${arrivals.length}`)
    await context?.close()
    await server?.close()
    http?.closeAllConnections()
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()))
    if (profileDir) rmSync(profileDir, { recursive: true, force: true })
  })

  test('24 components, 12 operations of 3 projects: one stream per project, REST completes beside them, events reach every component', async () => {
    const page = await openPage()
    const projects = ['p1', 'p2', 'p3']
    await page.evaluate((projects) => projects.forEach((projectId) => ssePage.mount(projectId, 8)), projects)
    // Until every component is live, or the server has more streams than projects (no sharing).
    await waitUntil(async () => sseOpen() > projects.length || (sseOpen() === projects.length && (await everyComponent(page, projects, 8, 'open'))), '24 components live')
    expect(openOf(projects)).toEqual({ p1: 1, p2: 1, p3: 1 })

    // More REST requests at once than the connections the streams leave (6 - 3): they queue
    // behind one another, not behind the streams, and every one completes.
    await page.evaluate(() => {
      for (let i = 0; i < 8; i++) ssePage.request(`get-${i}`, `/api/operations/p${(i % 3) + 1}-op${i % 4}`)
      ssePage.request('start', '/api/projects/p2/operations', { method: 'POST', body: { type: 'index' } })
    })
    const done = () => page.evaluate(() => Object.values(ssePage.requests()).filter((r) => r.status !== undefined || r.error !== undefined).length)
    await waitUntil(async () => (await done()) === 9, '9 REST requests answered beside 3 streams')
    const statuses = Object.fromEntries(Object.entries(await page.evaluate(() => ssePage.requests())).map(([name, r]) => [name, r.status ?? r.error]))
    expect(statuses).toEqual({ ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`get-${i}`, 200])), start: 201 })

    // Events of each project's 4 operations reach all 8 of its components, over the one stream.
    for (let n = 1; n <= 5; n++) {
      for (const projectId of projects)
        for (let op = 0; op < 4; op++) await server.publish(projectId, { type: 'file_completed', operation_id: `${projectId}-op${op}`, processed_files: n, total_files: 10 })
    }
    await waitUntil(() => everyComponent(page, projects, 8, 'open', 5), '5 events in all 24 components')

    // Still one stream per project, and never more than one was asked for (no reconnects).
    expect(openOf(projects)).toEqual({ p1: 1, p2: 1, p3: 1 })
    expect(Object.fromEntries(projects.map((p) => [p, streamRequests[p]]))).toEqual({ p1: 1, p2: 1, p3: 1 })
    expect(sseOpen()).toBe(3)
    console.log(`[sseConnections] 24 components, 12 operations, 3 projects: ${sseOpen()} streams open on the server; at most ${tcp.most} TCP connections from the browser at once`)

    await page.close()
    await waitUntil(() => sseOpen() === 0, 'every stream closed with the tab')
    expect(pageErrors).toEqual([])
  }, 90_000)

  test('6 projects over HTTP/1.1 take every connection of the origin: a further request waits, unsent, until a stream closes', async () => {
    const page = await openPage()
    const projects = ['q1', 'q2', 'q3', 'q4', 'q5', 'q6']
    // Components holding the streams and nothing else, so no REST request of theirs competes.
    await page.evaluate((projects) => projects.forEach((projectId) => ssePage.mount(projectId, 2, 'stream')), projects)
    // Until every component is live, or a project has a second stream (no sharing).
    const doubled = () => Object.values(openOf(projects)).some((open) => open > 1)
    await waitUntil(async () => doubled() || (sseOpen() === PER_ORIGIN && (await everyComponent(page, projects, 2, 'open'))), '12 components of 6 projects live')
    expect(openOf(projects)).toEqual({ q1: 1, q2: 1, q3: 1, q4: 1, q5: 1, q6: 1 })
    // The browser holds exactly 6 connections to the server: the 6 streams.
    await waitUntil(() => tcp.open === PER_ORIGIN, '6 TCP connections from the browser')

    // A GET of an operation, from the page, to its own origin.
    await page.evaluate(() => ssePage.request('stalled', '/api/operations/q1-op'))
    // The browser is not idle: a request to another origin (localhost is another origin, so
    // another connection group) is sent, answered and read meanwhile…
    await page.evaluate((url) => ssePage.elsewhere(url), `http://localhost:${port}/elsewhere`)
    expect(arrivals.some((url) => url.startsWith('/elsewhere'))).toBe(true)
    // …while the GET has not left the browser.
    expect(arrivals.some((url) => url.includes('request=stalled'))).toBe(false)
    const before = (await page.evaluate(() => ssePage.requests())).stalled!
    expect([before.status, before.error]).toEqual([undefined, undefined])

    // One project fewer: its stream closes (after the hub's idle close), and the GET goes out on
    // the connection that frees.
    const unmountedAt = await page.evaluate(() => ssePage.unmount('q6'))
    await waitUntil(() => page.evaluate(() => ssePage.requests().stalled?.status !== undefined), 'the GET answered once a stream closed')
    const stalled = (await page.evaluate(() => ssePage.requests())).stalled!
    expect(stalled.status).toBe(200)
    // Issued before the unmount, sent on a connection only after it (Resource Timing, the page's clock).
    expect(stalled.issuedAt).toBeLessThan(unmountedAt)
    expect(stalled.requestStart).toBeGreaterThan(unmountedAt)
    expect(openOf(projects)).toEqual({ q1: 1, q2: 1, q3: 1, q4: 1, q5: 1, q6: 0 })
    console.log(`[sseConnections] 6 projects: 6 streams on ${PER_ORIGIN} connections; a GET issued before the unmount was sent ${Math.round(stalled.requestStart! - stalled.issuedAt)} ms after it was issued, once a stream had closed`)

    await page.close()
    await waitUntil(() => sseOpen() === 0, 'every stream closed with the tab')
    expect(pageErrors).toEqual([])
  }, 90_000)
})
