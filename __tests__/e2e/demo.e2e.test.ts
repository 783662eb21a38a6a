/**
 * End-to-end: the demo page in Debian's Chromium (playwright-core), against the real demo server.
 * Screenshots of each state go to test-results/e2e (printed at the end).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { startDemoHttp } from '../../demo/server'
import { createWorld, type World } from '../../demo/world'
import { CHROMIUM_PATH as CHROMIUM, chromiumArgs, haveChromium, requireChromiumInCi } from '../../scripts/chromium'

requireChromiumInCi()
const SHOTS = resolve('test-results/e2e')

describe.skipIf(!haveChromium)('demo in Chromium', () => {
  let clientDir: string
  let profileDir: string
  let context: BrowserContext
  let world: World
  let http: Awaited<ReturnType<typeof startDemoHttp>>
  let page: Page
  let consoleErrors: string[] = []
  /** Every WebSocket URL the page opened (project, scan and hand-written sockets). */
  let socketUrls: string[] = []

  beforeAll(async () => {
    clientDir = mkdtempSync(join(tmpdir(), 'live-status-demo-'))
    await build({ configFile: resolve('demo/vite.config.ts'), logLevel: 'error', build: { outDir: clientDir, emptyOutDir: true, sourcemap: false } })
    profileDir = mkdtempSync(join(tmpdir(), 'live-status-chromium-'))
    mkdirSync(SHOTS, { recursive: true })
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: chromiumArgs,
    })
  }, 120_000)

  afterAll(async () => {
    await context?.close()
    rmSync(profileDir, { recursive: true, force: true })
    rmSync(clientDir, { recursive: true, force: true })
    console.log(`[e2e] screenshots in ${SHOTS}`)
  })

  beforeEach(async (testContext) => {
    // Long enough operations for the restart to happen mid-way.
    world = createWorld({ stepMs: 80, scanTickMs: 100, totalFiles: testContext.task.name.includes('restart') ? 200 : 24 })
    http = await startDemoHttp(world, { clientDir })
    page = await context.newPage()
    consoleErrors = []
    socketUrls = []
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()))
    page.on('websocket', (socket) => socketUrls.push(socket.url()))
    await page.goto(http.url)
    testContext.onTestFinished(async () => {
      await page.close()
      await http.close()
      await world.close()
    })
  })

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
  const connectionState = () => page.locator('[role=status].connection')
  const restOperation = async (id: string) =>
    (await (await fetch(`${http.url}/api/operations/${id}`, { headers: { Authorization: 'Bearer demo-token' } })).json()) as Record<string, unknown>

  test('an operation reaches 100% and its final state matches the server', async () => {
    await page.getByTestId('start-index').click()
    const row = page.locator('[data-testid^="operation-op-"]').first()
    await row.waitFor()
    await page.waitForFunction(() => Number(document.querySelector('[data-testid^="operation-op-"]')?.getAttribute('data-percent')) > 0)
    await shot('operation-running')
    await row.and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 })
    await shot('operation-completed')
    expect(await row.getAttribute('data-percent')).toBe('100')
    const id = (await row.getAttribute('data-testid'))!.replace('operation-', '')
    const server = await restOperation(id)
    expect(server).toMatchObject({ status: 'completed', percent: 100 })
    await expect.poll(() => row.innerText()).toContain(`${server.processed_files}/${server.total_files} files`)
    expect(await connectionState().getAttribute('data-state')).toBe('connected')
  })

  test('server restart mid-operation: reconnecting, then polling, then live again, one socket, correct final state', async () => {
    await page.locator('[role=status][data-state="connected"]').waitFor({ state: 'attached' })
    await page.waitForFunction(async () => (await (await fetch('/api/demo/stats')).json()).connections === 1)
    await page.getByTestId('start-append').click()
    const row = page.locator('[data-testid^="operation-op-"]').first()
    await page.waitForFunction(() => Number(document.querySelector('[data-testid^="operation-op-"]')?.getAttribute('data-percent')) >= 20)
    const port = http.port
    world.resetMaxConcurrent()

    await http.close()
    await page.locator('[role=status][data-state="reconnecting"]').waitFor()
    await shot('restart-reconnecting')
    // The API comes back first; its WebSocket side a little later.
    http = await startDemoHttp(world, { clientDir, port, socketsEnabled: false })
    await page.locator('[role=status][data-state="polling"]').waitFor({ timeout: 20_000 })
    expect(await connectionState().innerText()).toContain('Offline — updating every 2 s')
    // Polling really covers: progress moves while the socket is down.
    const during = Number(await row.getAttribute('data-percent'))
    await page.waitForFunction((before) => Number(document.querySelector('[data-testid^="operation-op-"]')?.getAttribute('data-percent')) > before, during)
    expect(await row.getAttribute('data-status')).toBe('processing')
    await shot('restart-polling')
    http.setSocketsEnabled(true)
    await page.locator('[role=status][data-state="connected"]').waitFor({ state: 'attached', timeout: 30_000 })
    await shot('restart-live-again')

    await row.and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 })
    const id = (await row.getAttribute('data-testid'))!.replace('operation-', '')
    const server = await restOperation(id)
    expect(server).toMatchObject({ status: 'completed', percent: 100 })
    expect(await row.getAttribute('data-percent')).toBe('100')
    await expect.poll(() => row.innerText()).toContain(`${server.processed_files}/${server.total_files} files`)
    expect(world.stats().maxConcurrentSockets).toBe(1)
    expect(world.stats().openSockets).toBe(1)
  }, 90_000)

  test('a rejected token shows "Sign-in required" and makes no further socket attempts', async () => {
    await page.locator('[role=status][data-state="connected"]').waitFor({ state: 'attached' })
    // The page's timers from here on are fake: "no retry" is checked by running time forward, not
    // by waiting for it.
    await page.clock.install()
    await page.getByLabel('reject the token').check()
    await page.locator('[role=status][data-state="unauthorized"]').waitFor()
    expect(await connectionState().innerText()).toBe('Sign-in required')
    await shot('token-rejected')
    const attempts = http.upgrades.project
    // Longer than the first five backoff delays (1 + 2 + 4 + 8 + 16 s): a retrying client would have tried.
    await page.clock.runFor(60_000)
    // A request from the page after that: a socket it had opened meanwhile reached the server first.
    await page.evaluate(() => fetch('/api/demo/stats').then((response) => response.text()))
    expect(http.upgrades.project).toBe(attempts)
    await page.getByTestId('sign-in').click()
    await page.locator('[role=status][data-state="connected"]').waitFor({ state: 'attached' })
    expect(http.upgrades.project).toBe(attempts + 1)
  }, 30_000)

  test('sign-in is per tab: revoking or renewing one tab\'s token leaves the others live; reloads keep the sign-in and the switch', async () => {
    const connected = (on: Page) => on.locator('[role=status][data-state="connected"]').waitFor({ state: 'attached', timeout: 20_000 })
    await connected(page)
    const other = await context.newPage()
    await other.goto(http.url)
    await connected(other)
    // The page sees "open" a moment before the server has authenticated and counted the socket.
    await expect.poll(() => world.stats().openSockets).toBe(2)

    // This tab's token is revoked; the other tab's socket is untouched and stays live.
    await page.getByLabel('reject the token').check()
    await page.locator('[role=status][data-state="unauthorized"]').waitFor()
    expect(await other.locator('[role=status].connection').getAttribute('data-state')).toBe('connected')
    await other.getByTestId('start-append').click()
    await other.locator('[data-testid^="operation-op-"][data-status="completed"]').waitFor({ timeout: 30_000 })
    expect(await other.locator('[role=status].connection').getAttribute('data-state')).toBe('connected')

    // A reload tells the truth: still this tab's revoked token, and the switch remembers it.
    await page.reload()
    await page.locator('[role=status][data-state="unauthorized"]').waitFor()
    await expect.poll(() => page.getByLabel('reject the token').isChecked()).toBe(true)

    // Signing in again on this tab: live, across reloads, and the other tab is not signed out.
    await page.getByTestId('sign-in').click()
    await connected(page)
    await page.reload()
    await connected(page)
    expect(await connectionState().innerText()).not.toContain('Sign-in required')
    await expect.poll(() => page.getByLabel('none').isChecked()).toBe(true)
    expect(await other.locator('[role=status].connection').getAttribute('data-state')).toBe('connected')
    await expect.poll(() => world.stats().openSockets).toBe(2)
    await shot('per-tab-sign-in')

    // Leaving 'reject' by choosing 'none' recovers without the button.
    await page.getByLabel('reject the token').check()
    await page.locator('[role=status][data-state="unauthorized"]').waitFor()
    await page.getByLabel('none').check()
    await connected(page)

    // A server-wide trouble is remembered on reload too.
    await page.getByLabel('drop connections').check()
    await page.locator('[role=status]:is([data-state="reconnecting"], [data-state="polling"])').waitFor()
    await page.reload()
    await expect.poll(() => page.getByLabel('drop connections').isChecked()).toBe(true)
    await page.getByLabel('none').check()
    await connected(page)
    await other.close()
    expect(consoleErrors.filter((text) => !/WebSocket|status of 503|status of 401/.test(text))).toEqual([])
  }, 90_000)

  test('the hand-written page: a socket per component against one shared socket, counted on the page', async () => {
    const socketsOpen = () => page.getByLabel('sockets open').innerText().then(Number)
    await page.locator('[role=status][data-state="connected"]').waitFor({ state: 'attached' })
    await page.getByTestId('start-index').click()
    await page.getByTestId('start-append').click()
    await page.locator('[data-testid^="operation-op-"]').nth(1).waitFor()
    await expect.poll(socketsOpen).toBe(1)
    // Commits are counted while events arrive.
    await expect.poll(() => page.getByLabel('React commits per second').innerText().then(Number)).toBeGreaterThan(0)
    // The devtools panel under the page: the project's one socket, shared by the index panel and both rows.
    const devtools = page.getByRole('region', { name: 'live-status devtools' })
    await expect.poll(() => devtools.locator('tbody tr[data-state="open"]').count()).toBe(1)
    await expect.poll(() => devtools.locator('tbody tr').first().innerText()).toMatch(/\/ws\/projects\/demo[\s\S]*3 components/)

    await page.getByLabel(/Written by hand/).check()
    // One socket for the index panel, one per operation row; the shared socket is gone.
    await expect.poll(socketsOpen).toBe(3)
    await expect.poll(() => world.stats().openSockets).toBe(3)
    await page.getByTestId('start-reindex').click()
    await expect.poll(socketsOpen).toBe(4)
    const row = page.getByRole('listitem', { name: /^operation op-3$/ })
    await row.and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 })
    expect(await row.getAttribute('data-percent')).toBe('100')
    await shot('hand-written')

    await page.getByLabel(/Written by hand/).uncheck()
    await expect.poll(socketsOpen).toBe(1)
    await expect.poll(() => world.stats().openSockets).toBe(1)
    expect(consoleErrors).toEqual([])
  }, 60_000)

  test('a tab opened from the page shares its socket: one server connection, the same live rows; it leads once the first tab closes', async () => {
    const devtools = (target: Page) => target.getByRole('region', { name: 'live-status devtools' })
    await page.locator('[role=status][data-state="connected"]').waitFor({ state: 'attached' })
    await expect.poll(() => devtools(page).innerText()).toContain('this tab leads')
    // The page lists the operations it finds on load: start one first.
    await page.getByTestId('start-index').click()
    const rowIn = (target: Page) => target.locator('[data-testid^="operation-op-"]').first()
    await rowIn(page).waitFor()
    const [second] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: 'Open a tab sharing this socket' }).click()])
    try {
      await second!.locator('[role=status][data-state="connected"]').waitFor({ state: 'attached' })
      await expect.poll(() => devtools(second!).innerText()).toContain('this tab follows another tab')
      await rowIn(second!).and(second!.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 })
      await rowIn(page).and(page.locator('[data-status="completed"]')).waitFor({ timeout: 30_000 })
      // Both tabs' caches say what the server says.
      const id = (await rowIn(page).getAttribute('data-testid'))!.replace('operation-', '')
      const truth = await restOperation(id)
      for (const target of [page, second!]) await expect.poll(() => rowIn(target).innerText()).toContain(`${truth.processed_files}/${truth.total_files} files`)
      await expect.poll(() => world.stats().openSockets).toBe(1)
      // The leader tab goes: the other takes over with a socket of its own (one connection again).
      await page.close()
      await expect.poll(() => devtools(second!).innerText(), { timeout: 10_000 }).toContain('this tab leads')
      await second!.locator('[role=status][data-state="connected"]').waitFor({ state: 'attached' })
      await expect.poll(() => world.stats().openSockets).toBe(1)
    } finally {
      await second!.close()
    }
  }, 60_000)

  test('a server that goes silent (half-open TCP) is noticed by the heartbeat, then the page is live again', async () => {
    await page.locator('[role=status][data-state="connected"]').waitFor({ state: 'attached' })
    await page.getByLabel('go silent').check()
    // The demo page pings after 5 s of silence and gives up 3 s later.
    await page.locator('[role=status][data-state="reconnecting"]').waitFor({ timeout: 20_000 })
    expect(await connectionState().innerText()).toMatch(/^Reconnecting… \(attempt \d/)
    await shot('silent-detected')
    await page.getByLabel('none').check()
    await page.locator('[role=status][data-state="connected"]').waitFor({ state: 'attached', timeout: 20_000 })
    expect(world.stats().openSockets).toBe(1)
  }, 45_000)

  test('no socket the page opens carries the token in its URL: the shared socket, the scan socket, the hand-written ones', async () => {
    await page.locator('[role=status][data-state="connected"]').waitFor({ state: 'attached' })
    await page.getByRole('button', { name: 'Scan' }).click()
    await page.getByTestId('scan-result').waitFor({ timeout: 30_000 })
    await page.getByTestId('start-index').click()
    await page.locator('[data-testid^="operation-op-"]').first().waitFor()
    await page.getByLabel(/Written by hand/).check()
    await expect.poll(() => world.stats().openSockets).toBe(2)
    const token = await page.evaluate(() => sessionStorage.getItem('live-status-demo:token'))
    expect(token).toBeTruthy()
    const paths = socketUrls.map((url) => new URL(url).pathname)
    expect(paths.filter((path) => path === '/ws/projects/demo').length).toBeGreaterThanOrEqual(3)
    expect(paths.some((path) => path.startsWith('/ws/scan/'))).toBe(true)
    for (const url of socketUrls) {
      expect(new URL(url).searchParams.has('token')).toBe(false)
      expect(url).not.toContain(token!)
      expect(url).not.toContain(encodeURIComponent(token!))
    }
    expect(consoleErrors).toEqual([])
  }, 60_000)

  test('a scan streams progress and can be cancelled', async () => {
    await page.getByRole('button', { name: 'Scan' }).click()
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="scan-progress"]')?.textContent?.split('/')[0]) >= 12)
    await shot('scan-running')
    await page.getByRole('button', { name: 'Cancel' }).click()
    await page.getByTestId('scan-state').and(page.locator(':text("cancelled")')).waitFor()
    const progress = await page.getByTestId('scan-progress').innerText()
    await page.waitForFunction(async () => (await (await fetch('/api/demo/stats')).json()).openScanSockets === 0)
    expect(await page.getByTestId('scan-progress').innerText()).toBe(progress)
    await shot('scan-cancelled')
    // A full scan after it completes with the generated tree.
    await page.getByRole('button', { name: 'Scan' }).click()
    await page.getByTestId('scan-result').waitFor({ timeout: 30_000 })
    expect(await page.getByTestId('scan-result').innerText()).toMatch(/^300 files/)
    await shot('scan-completed')
    expect(consoleErrors).toEqual([])
  }, 60_000)
})
