/**
 * Does a hidden leader tab keep a shared socket healthy? Chromium (headful, under Xvfb: headless
 * tabs are never hidden) with two tabs sharing one socket through createCrossTab: the leader tab
 * goes to the background, the follower stays in front. A server streams a frame every 100 ms and
 * records each tab's heartbeats (a chained 5 s timer, as a connection's). Chromium's intensive
 * throttling of hidden tabs starts after 5 minutes; the QuickIntensiveWakeUpThrottlingAfterLoading
 * feature starts it after 10 s, so a minute shows what an hour would.
 *
 *   apt-get install -y chromium xvfb && xvfb-run -a npx tsx scripts/measure-hidden-leader.ts
 * (DURATION_MS sets how long to watch; default 70 s.)
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { serveTabPage } from '../__tests__/crossTab/browser/serveTabPage'
import { CHROMIUM_PATH } from './chromium'

const DURATION_MS = Number(process.env.DURATION_MS ?? 70_000)
const HEARTBEAT_MS = 5000

const served = await serveTabPage()
const { wss, origin } = served
const pings: Record<string, number[]> = {}
let connections = 0
wss.on('connection', (socket) => {
  connections++
  socket.on('message', (data) => {
    const [kind, tag] = String(data).split(':')
    if (kind === 'ping') (pings[tag!] ??= []).push(Date.now())
  })
})
const timer = setInterval(() => {
  for (const socket of wss.clients) socket.send(String(Date.now()))
}, 100)

const profile = mkdtempSync(join(tmpdir(), 'live-status-hidden-'))
// Chromium driven over its DevTools protocol directly: Playwright emulates focus on the pages it
// drives, which keeps every tab visible. New tabs open in front, leaving the previous one hidden.
const browser = spawn(CHROMIUM_PATH, ['--no-sandbox', '--disable-gpu', '--no-first-run', '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--enable-features=QuickIntensiveWakeUpThrottlingAfterLoading', 'about:blank'], { stdio: 'ignore' })
const portFile = join(profile, 'DevToolsActivePort')
const waitFor = async (check: () => Promise<boolean> | boolean) => {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 100))
}
try {
  await waitFor(() => existsSync(portFile) && readFileSync(portFile, 'utf8').includes('\n'))
  const port = readFileSync(portFile, 'utf8').split('\n')[0]
  const openTab = async () => {
    const target = (await (await fetch(`http://127.0.0.1:${port}/json/new?${origin}/`, { method: 'PUT' })).json()) as { webSocketDebuggerUrl: string }
    const cdp = new WebSocket(target.webSocketDebuggerUrl)
    await new Promise((resolve) => cdp.once('open', resolve))
    let id = 0
    const evaluate = <T>(expression: string): Promise<T> =>
      new Promise((resolve) => {
        const mine = ++id
        const onMessage = (raw: unknown) => {
          const message = JSON.parse(String(raw))
          if (message.id !== mine) return
          cdp.off('message', onMessage)
          resolve(message.result?.result?.value as T)
        }
        cdp.on('message', onMessage)
        cdp.send(JSON.stringify({ id: mine, method: 'Runtime.evaluate', params: { expression, returnByValue: true } }))
      })
    await waitFor(async () => (await evaluate<boolean>('globalThis.liveTab !== undefined')) === true)
    return { evaluate, close: () => cdp.close() }
  }
  const wsUrl = `${origin.replace('http', 'ws')}/ws`
  const leader = await openTab()
  await leader.evaluate(`liveTab.open('p', '${wsUrl}', 't')`)
  await waitFor(async () => (await leader.evaluate<boolean>("liveTab.state('p').open")) === true)
  const follower = await openTab()
  await follower.evaluate(`liveTab.open('p', '${wsUrl}', 't')`)
  await waitFor(async () => (await follower.evaluate<boolean>("liveTab.state('p').open")) === true)
  await leader.evaluate(`liveTab.heartbeat('p', 'leader', ${HEARTBEAT_MS})`)
  await follower.evaluate(`liveTab.heartbeat('p', 'follower', ${HEARTBEAT_MS})`)
  const visibility = { leader: await leader.evaluate<string>('document.visibilityState'), follower: await follower.evaluate<string>('document.visibilityState') }
  const leading = { leader: await leader.evaluate<boolean>('liveTab.leading()'), follower: await follower.evaluate<boolean>('liveTab.leading()') }
  const startedAt = Date.now()
  await new Promise((resolve) => setTimeout(resolve, DURATION_MS))
  const lagOf = async (tab: typeof leader) => {
    const { frames, receivedAt } = await tab.evaluate<{ frames: string[]; receivedAt: number[] }>("({ frames: liveTab.state('p').frames, receivedAt: liveTab.state('p').receivedAt })")
    const lags = frames.map((frame, index) => receivedAt[index]! - Number(frame)).filter((lag, index) => Number(frames[index]) >= startedAt)
    lags.sort((a, b) => a - b)
    return { frames: lags.length, p50: lags[Math.floor(lags.length / 2)], p99: lags[Math.floor(lags.length * 0.99)], max: lags[lags.length - 1] }
  }
  const gaps = (times: number[] = []) => {
    const after = times.filter((time) => time >= startedAt)
    const between = after.slice(1).map((time, index) => time - after[index]!)
    return { beats: after.length, maxGapMs: between.length ? Math.max(...between) : null }
  }
  console.log(JSON.stringify({
    durationMs: DURATION_MS,
    visibility,
    leading,
    serverConnections: connections,
    delivery: { leader: await lagOf(leader), follower: await lagOf(follower) },
    heartbeatsAtServer: { expectedEveryMs: HEARTBEAT_MS, leader: gaps(pings.leader), follower: gaps(pings.follower) },
  }, null, 2))
  leader.close()
  follower.close()
} finally {
  clearInterval(timer)
  const exited = new Promise((resolve) => browser.once('exit', resolve))
  browser.kill()
  await exited
  await served.close()
  rmSync(profile, { recursive: true, force: true })
}
