/**
 * `npm run bench`, section 3 in Chromium (headless, playwright-core): React commits per 1,000 events
 * where frames are a display's. The page (bench/browser/commitsPage.tsx) follows a build with
 * `useLiveQuery` on a channel of batch envelopes; a loopback `ws` server sends 1,000 envelopes one
 * per millisecond by its clock (bench/pace.ts) (each reaches the page as a task of its own) or all at once. Counted until the
 * cache holds the 1,000th update: commits (a <Profiler>, React's development build) and frames.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import { WebSocketServer, type WebSocket } from 'ws'
import { CHROMIUM_PATH, chromiumArgs } from '../scripts/chromium'
import { pacePerMs } from './pace'

const EVENTS = 1000

export async function benchCommitsChromium(runs = 3): Promise<string[][]> {
  if (!existsSync(CHROMIUM_PATH)) return [['commits in Chromium', `skipped: no Chromium at ${CHROMIUM_PATH}`, '', '', '']]
  // The development build: <Profiler> counts nothing in production.
  const bundle = await build({ entryPoints: ['bench/browser/commitsPage.tsx'], bundle: true, write: false, format: 'esm', target: 'es2022', jsx: 'automatic', logLevel: 'silent', define: { 'process.env.NODE_ENV': '"development"' } })
  const script = bundle.outputFiles[0]!.text
  const http = createServer((request, response) => {
    if (request.url === '/page.js') return response.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>commits</title><div id="root"></div><script type="module" src="/page.js"></script>')
  })
  const wss = new WebSocketServer({ server: http })
  let socket: WebSocket | undefined
  wss.on('connection', (connected) => (socket = connected))
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const profile = mkdtempSync(join(tmpdir(), 'live-status-bench-commits-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs })
  let step = 0
  const envelope = () => JSON.stringify({ type: 'batch-update', projectId: 'app1', sessionId: 's1', updates: [{ type: 'build-progress', data: { step: ++step } }] })
  try {
    const page = await context.newPage()
    await page.goto(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`)
    while (!socket) await new Promise((resolve) => setTimeout(resolve, 20))
    const rows: string[][] = []
    for (const paced of [true, false]) {
      const commits: number[] = []
      const frames: number[] = []
      for (let run = 0; run < runs; run++) {
        await page.evaluate((more) => (globalThis as any).commitsBench.expect(more), EVENTS)
        const live = socket
        if (paced) await pacePerMs(EVENTS, () => live.send(envelope()))
        else for (let i = 0; i < EVENTS; i++) socket.send(envelope())
        await page.waitForFunction(() => (globalThis as any).commitsBench.state.commitsToTarget > 0)
        const state = await page.evaluate(() => (globalThis as any).commitsBench.state as { commitsToTarget: number; framesToTarget: number })
        commits.push(state.commitsToTarget)
        frames.push(state.framesToTarget)
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
      rows.push([
        `commits per 1,000 batch envelopes ${paced ? 'one per task, 1/ms' : 'sent at once'} (Chromium frames)`,
        String(median(commits)),
        '',
        '',
        `${paced ? '≤ 72 and ' : ''}≤ frames elapsed (${median(frames)})`,
      ])
    }
    return rows
  } finally {
    await context.close()
    wss.close()
    await new Promise<void>((resolve) => http.close(() => resolve()))
    rmSync(profile, { recursive: true, force: true })
  }
}

if (process.argv[1]?.endsWith('commitsChromium.ts')) {
  for (const row of await benchCommitsChromium()) console.log(`| ${row.join(' | ')} |`)
  process.exit(0)
}
