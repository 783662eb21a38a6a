/**
 * The live-status plugin in TanStack Devtools, in Debian's Chromium: an app with the Query devtools
 * and the live-status plugin in `<TanStackDevtools>` (pluginPage.tsx, bundled with esbuild), a real
 * `ws` server on loopback. Every wait is on the page's DOM or the server's sockets.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { CHROMIUM_PATH, chromiumArgs, haveChromium, requireChromiumInCi } from '../../scripts/chromium'
import { servePluginPage } from './browser/servePluginPage'

requireChromiumInCi()

describe.skipIf(!haveChromium)('liveStatusDevtoolsPlugin in TanStack Devtools (Chromium)', () => {
  let served: Awaited<ReturnType<typeof servePluginPage>>
  let profileDir: string
  let context: BrowserContext

  beforeAll(async () => {
    served = await servePluginPage()
    profileDir = mkdtempSync(join(tmpdir(), 'live-status-devtools-'))
    context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs, viewport: { width: 1280, height: 900 } })
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    await served?.close()
    rmSync(profileDir, { recursive: true, force: true })
  })

  const live = () => [...served.wss.clients].filter((socket) => socket.readyState === WebSocket.OPEN)
  const send = (message: unknown) => {
    for (const socket of live()) socket.send(JSON.stringify(message))
  }
  const progress = (processed: number, ...ids: string[]) => ({
    type: 'batch',
    events: ids.map((id) => ({ type: 'file_completed', operation_id: id, processed_files: processed, total_files: 10 })),
  })
  /** Resolves once `predicate` holds for the server, checked on every socket it accepts. */
  const serverHas = (predicate: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!predicate()) return
        served.wss.off('connection', check)
        resolve()
      }
      served.wss.on('connection', check)
      check()
    })

  test('a tab beside the Query devtools: the socket, its sharers, frames, cache writes, commits and the log, live', async () => {
    const page: Page = await context.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(`${served.origin}/`)
    await page.getByText('op2: 0').waitFor()
    await serverHas(() => live().length === 1)

    // The shell starts closed; open it and pick our tab (the Query devtools sit beside it).
    await page.getByRole('button', { name: 'Open TanStack Devtools' }).click()
    await page.getByRole('button', { name: 'TanStack Query', exact: true }).waitFor()
    await page.getByRole('button', { name: 'live-status', exact: true }).click()
    const panel = page.getByRole('region', { name: 'live-status devtools' })
    const row = panel.locator('tbody tr')
    const cell = (column: number) => row.locator(`td:nth-child(${column})`)
    const log = panel.getByRole('list', { name: 'live-status log' })
    await row.and(page.locator('[data-state="open"]')).waitFor()
    expect(await row.count()).toBe(1)
    expect(await cell(1).textContent()).toBe(`${served.origin.replace('http', 'ws')}/ws/projects/p1`)
    // Two components show op1 and one op2: three components, two queries, one socket.
    expect(await cell(3).textContent()).toBe('3 components2 queries')

    // Frames from the server: the rates, the cache figures and the log follow.
    for (let i = 1; i <= 4; i++) send(progress(i, 'op1', 'op2'))
    await page.getByText('op2: 4').waitFor()
    await page.waitForFunction(() => {
      const cells = document.querySelectorAll('[aria-label="live-status devtools"] tbody tr td')
      return Number(cells[3]?.textContent) > 0 && Number(cells[4]?.textContent) > 0
    })
    await panel.getByText(/ · 8 events · /).waitFor()
    await log.getByText('write ["live-status","operation","op2"] ←', { exact: false }).first().waitFor()
    expect(await panel.textContent()).toMatch(/React commits \/ s\d+/)

    // Closed, the shell keeps the plugin watching: what happened meanwhile is there when it opens.
    await page.getByRole('button', { name: 'Close TanStack Devtools' }).click()
    send(progress(5, 'op1'))
    send(progress(6, 'op1'))
    await page.getByText('op1: 6').first().waitFor()
    await page.getByRole('button', { name: 'Open TanStack Devtools' }).click()
    await panel.getByText(/ · 10 events · /).waitFor()

    // The server drops the socket: the row and the log show the reconnect, then the socket again.
    for (const socket of live()) socket.terminate()
    await log.getByText('/ws/projects/p1: open → reconnecting (1006)').waitFor()
    await serverHas(() => live().length === 1)
    await row.and(page.locator('[data-state="open"]')).waitFor()
    await log.getByText('/ws/projects/p1: reconnecting → open', { exact: false }).waitFor()
    send(progress(7, 'op1'))
    await panel.getByText(/ · 11 events · /).waitFor()

    expect(pageErrors).toEqual([])
    await page.close()
  }, 60_000)
})
