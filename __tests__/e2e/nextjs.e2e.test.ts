/**
 * The Next.js App Router example, built with `next build` from the packed package (`npm pack`),
 * served by `next start`, loaded in Chromium against the demo's reference server.
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
    // Started directly, not through npx: `npx next start` leaves its child running.
    next = spawn(join(example, 'node_modules/.bin/next'), ['start', '-p', String(nextPort), '-H', '127.0.0.1'], {
      cwd: example,
      env: { ...env, LIVE_STATUS_API_URL: http.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    await new Promise<void>((ready, fail) => {
      let output = ''
      const onData = (chunk: Buffer) => {
        output += chunk
        if (/Ready in/i.test(output)) ready()
      }
      next.stdout!.on('data', onData)
      next.stderr!.on('data', onData)
      next.once('exit', (code) => fail(new Error(`next start exited with ${code}:\n${output}`)))
    })
    profile = mkdtempSync(join(tmpdir(), 'live-status-next-'))
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs })
  }, 480_000)

  afterAll(async () => {
    await context?.close()
    if (next && next.exitCode === null) {
      next.kill('SIGTERM')
      await new Promise((r) => next.once('exit', r))
    }
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
})
