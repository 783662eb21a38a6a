/**
 * Cross-tab sharing in Chromium (headless, playwright-core): N tabs of one profile each follow one
 * socket while a loopback `ws` server streams 200 frames per second for 5 s. Shared (one leader's
 * socket relayed over BroadcastChannel) against not shared (Web Locks hidden: a socket per tab),
 * in the same run: server connections, and the tabs' total main-thread task time (CDP
 * Performance.getMetrics `TaskDuration`, summed over tabs) during the stream.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { WebSocket } from 'ws'
import { serveTabPage } from '../__tests__/crossTab/browser/serveTabPage'
import { CHROMIUM_PATH, chromiumArgs } from '../scripts/chromium'

const FRAMES_PER_SECOND = 200
const STREAM_MS = 5000

export async function benchCrossTab(tabCounts = [1, 5, 20]): Promise<string[][]> {
  if (!existsSync(CHROMIUM_PATH)) return [[`cross-tab (${tabCounts.join('/')} tabs)`, 'skipped: no Chromium at ' + CHROMIUM_PATH, '', '', '']]
  const served = await serveTabPage()
  const { wss, origin } = served
  const profile = mkdtempSync(join(tmpdir(), 'live-status-bench-tabs-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs })
  const rows: string[][] = []
  const open = () => [...wss.clients].filter((socket) => socket.readyState === WebSocket.OPEN).length
  const until = async (check: () => Promise<boolean> | boolean) => {
    while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const run = async (tabs: number, shared: boolean) => {
    const pages: Page[] = []
    for (let i = 0; i < tabs; i++) {
      const page = await context.newPage()
      // A string: tsx's transpiled functions reference helpers the page does not have.
      if (!shared) await page.addInitScript("Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined })")
      await page.goto(`${origin}/`)
      await page.waitForFunction(() => (globalThis as any).liveTab !== undefined)
      if ((await page.evaluate(() => (globalThis as any).liveTab.supported as boolean)) !== shared) throw new Error('cross-tab support is not what this run needs')
      await page.evaluate((url) => (globalThis as any).liveTab.open('p', url, 't'), `${origin.replace('http', 'ws')}/ws`)
      pages.push(page)
    }
    await until(async () => (await Promise.all(pages.map((page) => page.evaluate(() => (globalThis as any).liveTab.state('p').open as boolean)))).every(Boolean))
    const connections = open()
    const sessions = await Promise.all(pages.map(async (page) => {
      const cdp = await context.newCDPSession(page)
      await cdp.send('Performance.enable')
      return cdp
    }))
    const taskSeconds = async () => {
      let total = 0
      for (const cdp of sessions) {
        const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }
        total += metrics.find((metric) => metric.name === 'TaskDuration')?.value ?? 0
      }
      return total
    }
    const before = await taskSeconds()
    let sent = 0
    const timer = setInterval(() => {
      for (let i = 0; i < FRAMES_PER_SECOND / 20; i++) {
        const frame = JSON.stringify({ type: 'file_completed', operation_id: 'op1', processed_files: ++sent, total_files: 1_000_000 })
        for (const socket of wss.clients) socket.send(frame)
      }
    }, 50)
    await new Promise((resolve) => setTimeout(resolve, STREAM_MS))
    clearInterval(timer)
    await until(async () => (await Promise.all(pages.map((page) => page.evaluate(() => (globalThis as any).liveTab.state('p').frames.length as number)))).every((count) => count >= sent))
    const cpuMs = ((await taskSeconds()) - before) * 1000
    for (const page of pages) await page.close()
    await until(() => open() === 0)
    return { connections, cpuMs }
  }
  try {
    for (const tabs of tabCounts) {
      const notShared = await run(tabs, false)
      const shared = await run(tabs, true)
      rows.push([
        `${tabs} tab${tabs === 1 ? '' : 's'}, ${FRAMES_PER_SECOND} frames/s for ${STREAM_MS / 1000} s: server connections · tabs' main-thread time`,
        `${shared.connections} · ${shared.cpuMs.toFixed(0)} ms`,
        `${notShared.connections} · ${notShared.cpuMs.toFixed(0)} ms (a socket per tab)`,
        `${(shared.connections / notShared.connections).toFixed(2)}× · ${(shared.cpuMs / notShared.cpuMs).toFixed(2)}×`,
        '1 connection',
      ])
    }
  } finally {
    await context.close()
    await served.close()
    rmSync(profile, { recursive: true, force: true })
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await benchCrossTab()) console.log(`| ${row.join(' | ')} |`)
}
