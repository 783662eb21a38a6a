/**
 * The Next.js App Router example, built with `next build` from the packed package (`npm pack`),
 * served by `next start`, loaded in Chromium against the demo's reference server: first over
 * WebSockets, then the same build started again with `LIVE_STATUS_TRANSPORT=sse`, following the
 * job over its own route handler (`live-status/next`), which relays the reference server's
 * `/sse/projects/{id}`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startDemoHttp } from '../../demo/server'
import { createWorld } from '../../demo/world'
import { CHROMIUM_PATH, chromiumArgs, haveChromium, requireChromiumInCi } from '../../scripts/chromium'
import { freePort } from '../helpers/freePort'

requireChromiumInCi()

const root = resolve('.')
const example = resolve('examples/nextjs')
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', npm_config_audit: 'false', npm_config_fund: 'false' }

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

/** `next start` on `port`, started directly (not through npx: `npx next start` leaves its child running); resolves once it is ready. */
async function startNext(port: number, extraEnv: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(join(example, 'node_modules/.bin/next'), ['start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: example,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  await new Promise<void>((ready, fail) => {
    let output = ''
    const onData = (chunk: Buffer) => {
      output += chunk
      if (/Ready in/i.test(output)) ready()
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => fail(new Error(`next start exited with ${code}:\n${output}`)))
  })
  return child
}

/** Stops the `next start` this file started, by its PID, and waits for it to exit. */
async function stopNext(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

describe.skipIf(!haveChromium)('Next.js example', () => {
  let next: ChildProcess
  let nextUrl: string
  let world: ReturnType<typeof createWorld>
  let http: Awaited<ReturnType<typeof startDemoHttp>>
  let context: BrowserContext
  let profile: string

  beforeAll(async () => {
    run('npm', ['pack', '--silent'], root)
    // Always the tarball just packed, never a stale copy.
    rmSync(join(example, 'node_modules', 'live-status'), { recursive: true, force: true })
    run('npm', ['install', '--no-package-lock', '--no-audit', '--no-fund'], example)
    run(join(example, 'node_modules/.bin/next'), ['build'], example)

    const nextPort = await freePort()
    nextUrl = `http://127.0.0.1:${nextPort}`
    world = createWorld({ stepMs: 60, allowedOrigins: [nextUrl] })
    http = await startDemoHttp(world, { clientDir: resolve('demo/dist') })
    next = await startNext(nextPort, { LIVE_STATUS_API_URL: http.url })
    profile = mkdtempSync(join(tmpdir(), 'live-status-next-'))
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs })
  }, 480_000)

  afterAll(async () => {
    await context?.close()
    await stopNext(next)
    await http?.close()
    await world?.close()
    if (profile) rmSync(profile, { recursive: true, force: true })
  })

  test('server-rendered HTML with prefetched state, hydration, live progress, a clean console', async () => {
    // Long enough (about 12 s) to still be running once the page has loaded.
    const operationId = world.startOperation('index', 200)
    const response = await fetch(`${nextUrl}/?op=${operationId}`)
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html).toMatch(/<h1>Project (<!-- -->)?demo<\/h1>/)
    expect(html).toContain('role="status"')
    // Prefetched on the server: the first HTML already shows the real state, not "loading".
    expect(html).toMatch(/Index: <strong>(not_indexed|queued|indexing|complete|failed)</)
    expect(html).toMatch(new RegExp(`Operation (<!-- -->)?${operationId}(<!-- -->)?: (<!-- -->)?(pending|processing|completed)`))
    expect(html).not.toMatch(/Application error|__next_error__|NEXT_NOT_FOUND/)
    // What the page shows users carries no test hooks.
    expect(html).not.toMatch(/data-testid|data-hydrated/)

    const page = await context.newPage()
    const messages: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') messages.push(`${message.type()}: ${message.text()}`)
    })
    page.on('pageerror', (error) => messages.push(`pageerror: ${error.message}`))
    page.on('response', (res) => res.status() >= 400 && messages.push(`HTTP ${res.status()} ${res.url()}`))
    await page.goto(`${nextUrl}/?op=${operationId}`)
    const progress = page.getByRole('progressbar', { name: `Operation ${operationId} progress` })
    const first = Number(await progress.getAttribute('value'))
    // Hydrated and live: the bar moves past what the server rendered, then the operation completes.
    await page.waitForFunction(
      ([name, before]) => Number(document.querySelector(`progress[aria-label="${name}"]`)?.getAttribute('value')) > Number(before),
      [`Operation ${operationId} progress`, first] as const,
    )
    await page.getByRole('heading', { name: `Operation ${operationId}: completed` }).waitFor({ timeout: 30_000 })
    expect(await progress.getAttribute('value')).toBe('100')
    expect(await page.getByText('Index:').innerText()).toMatch(/^Index: complete/)
    expect(world.stats().connections).toBe(1)
    await page.screenshot({ path: resolve('test-results/e2e/nextjs.png') })
    expect(messages).toEqual([])
  })

  test('the same build with LIVE_STATUS_TRANSPORT=sse: server-rendered, hydrated, live over the route handler, no WebSocket, a clean console', async () => {
    // The transport is read at request time: the same build, started again with the other setting.
    for (const open of context.pages()) await open.close()
    await stopNext(next)
    next = await startNext(Number(new URL(nextUrl).port), { LIVE_STATUS_API_URL: http.url, LIVE_STATUS_TRANSPORT: 'sse' })

    const operationId = world.startOperation('index', 200)
    const response = await fetch(`${nextUrl}/?op=${operationId}`)
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html).toMatch(/<h1>Project (<!-- -->)?demo<\/h1>/)
    expect(html).toMatch(/Index: <strong>(not_indexed|queued|indexing|complete|failed)</)
    expect(html).toMatch(new RegExp(`Operation (<!-- -->)?${operationId}(<!-- -->)?: (<!-- -->)?(pending|processing|completed)`))
    expect(html).not.toMatch(/Application error|__next_error__|NEXT_NOT_FOUND/)

    // The route handler answers the SSE contract itself: no token, no stream.
    const refused = await fetch(`${nextUrl}/api/live/demo`, { headers: { Accept: 'text/event-stream' } })
    expect(refused.status).toBe(401)

    const page = await context.newPage()
    const messages: string[] = []
    const sockets: string[] = []
    const streams: Promise<{ url: string; status: number; type: string | undefined; authorization: string | undefined }>[] = []
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') messages.push(`${message.type()}: ${message.text()}`)
    })
    page.on('pageerror', (error) => messages.push(`pageerror: ${error.message}`))
    page.on('websocket', (socket) => sockets.push(socket.url()))
    const polls: string[] = []
    page.on('request', (req) => req.url().endsWith(`/api/operations/${operationId}`) && polls.push(req.url()))
    page.on('response', (res) => {
      if (res.status() >= 400) messages.push(`HTTP ${res.status()} ${res.url()}`)
      if (res.url().includes('/api/live/')) {
        const request = res.request()
        streams.push(request.allHeaders().then((headers) => ({ url: res.url(), status: res.status(), type: res.headers()['content-type'], authorization: headers.authorization })))
      }
    })
    await page.goto(`${nextUrl}/?op=${operationId}`)
    const progress = page.getByRole('progressbar', { name: `Operation ${operationId} progress` })
    const first = Number(await progress.getAttribute('value'))
    await page.waitForFunction(
      ([name, before]) => Number(document.querySelector(`progress[aria-label="${name}"]`)?.getAttribute('value')) > Number(before),
      [`Operation ${operationId} progress`, first] as const,
    )
    await page.getByRole('heading', { name: `Operation ${operationId}: completed` }).waitFor({ timeout: 30_000 })
    expect(await progress.getAttribute('value')).toBe('100')
    expect(await page.getByText('Index:').innerText()).toMatch(/^Index: complete/)
    // One shared stream for the project (index and operation), from this app's origin, token in the header.
    expect(await Promise.all(streams)).toEqual([{ url: `${nextUrl}/api/live/demo`, status: 200, type: 'text/event-stream; charset=utf-8', authorization: 'Bearer demo-token' }])
    expect(sockets).toEqual([])
    // Live over the stream, not the polling fallback: a refetch on mount and one at the end, where
    // polling every 2 s through the ~12 s run would make about six.
    expect(polls.length).toBeLessThanOrEqual(3)
    await page.screenshot({ path: resolve('test-results/e2e/nextjs-sse.png') })
    expect(messages).toEqual([])
  })
})
