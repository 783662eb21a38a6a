/**
 * End-to-end: `storybook dev` (the command a contributor runs, React StrictMode on) on a free port,
 * every story opened in Chromium. The story tests in `npm test` render stories through portable
 * stories, without the dev server's StrictMode: a story world torn down by StrictMode's extra
 * effect cleanup only shows up here.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CHROMIUM_PATH, chromiumArgs, haveChromium, requireChromiumInCi } from '../../scripts/chromium'
import { freePort } from '../helpers/freePort'

requireChromiumInCi()


/** The live state each story's view must reach (by story id, else title), beyond its play function passing. */
const liveStates: Record<string, { selector: string; texts: string[] }> = {
  useindexstatus: { selector: '[data-testid="index-state"]', texts: ['complete', 'failed'] },
  useoperationprogress: { selector: '[data-testid="status"]', texts: ['completed'] },
  faults: { selector: '[data-testid="status"]', texts: ['completed'] },
  // Only file_completed events: the files count is its live state.
  'faults--burst-5000': { selector: '[data-testid="files"]', texts: ['5000/5000'] },
}

type Finished = { storyId: string; status: 'success' | 'error' }
declare global {
  interface Window {
    __storyFinished?: Finished
    /** The dev server's interactions panel catches a failing play function: its events say so. */
    __storyErrors?: string[]
  }
}

describe.skipIf(!haveChromium)('Storybook dev server in Chromium (StrictMode)', () => {
  let storybook: ChildProcess
  let url: string
  let profile: string
  let context: BrowserContext
  let storyIds: string[] = []
  /** What `storybook dev` printed. */
  let output = ''

  beforeAll(async () => {
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    // Its own process group, so the Vite children stop with it.
    storybook = spawn(resolve('node_modules/.bin/storybook'), ['dev', '-p', String(port), '--host', '127.0.0.1', '--ci', '--no-open'], {
      env: { ...process.env, STORYBOOK_DISABLE_TELEMETRY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    storybook.stdout!.on('data', (chunk) => (output += chunk))
    storybook.stderr!.on('data', (chunk) => (output += chunk))
    await new Promise<void>((ready, fail) => {
      const onExit = (code: number | null) => fail(new Error(`storybook dev exited with ${code}:\n${output}`))
      storybook.once('exit', onExit)
      // Ready once it serves the story index (it answers while Vite still warms up, so ask it).
      const ask = async () => {
        if (storybook.exitCode !== null) return
        try {
          const response = await fetch(`${url}/index.json`)
          if (response.ok) {
            const index = (await response.json()) as { entries: Record<string, { id: string; type: string }> }
            storyIds = Object.values(index.entries)
              .filter((entry) => entry.type === 'story')
              .map((entry) => entry.id)
            storybook.off('exit', onExit)
            return ready()
          }
        } catch {
          // Not listening yet.
        }
        setTimeout(ask, 250)
      }
      void ask()
    })
    profile = mkdtempSync(join(tmpdir(), 'live-status-storybook-'))
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs })
    // Records the preview's verdict on the story (play function included) as soon as its channel exists.
    await context.addInitScript(() => {
      window.__storyErrors = []
      window.addEventListener('error', (event) => window.__storyErrors!.push(String(event.message)))
      let channel: unknown
      Object.defineProperty(globalThis, '__STORYBOOK_ADDONS_CHANNEL__', {
        configurable: true,
        get: () => channel,
        set(value: { on: (event: string, listener: (payload: any) => void) => void }) {
          channel = value
          value.on('storyFinished', (payload) => (window.__storyFinished = payload))
          for (const event of ['playFunctionThrewException', 'storyThrewException', 'storyErrored', 'unhandledErrorsWhilePlaying']) {
            value.on(event, (error: { message?: string } | undefined) => {
              // First line, no colour codes: these messages come formatted for the panel.
              const text = String(error?.message ?? JSON.stringify(error)).replace(/\u001b\[[0-9;]*m/g, '').split('\n')[0]!.slice(0, 200)
              window.__storyErrors!.push(`${event}: ${text}`)
            })
          }
        },
      })
    })
  }, 180_000)

  afterAll(async () => {
    await context?.close()
    if (storybook?.pid && storybook.exitCode === null) {
      const exited = new Promise((done) => storybook.once('exit', done))
      process.kill(-storybook.pid, 'SIGTERM')
      await exited
    }
    if (profile) rmSync(profile, { recursive: true, force: true })
  })

  test('every story reaches its live state and its play function passes', async () => {
    expect(storyIds.length).toBeGreaterThanOrEqual(14)
    const failures: string[] = []
    const open = async (storyId: string) => {
      const page = await context.newPage()
      // What the page said, for a story that never finishes (seen about once in four CI runs, on a
      // different story each time, with nothing rendered): the next failure says more than a timeout.
      const said: string[] = []
      page.on('console', (message) => said.push(`${message.type()}: ${message.text().slice(0, 200)}`))
      page.on('pageerror', (error) => said.push(`pageerror: ${error.message.slice(0, 200)}`))
      try {
        await page.goto(`${url}/iframe.html?id=${storyId}&viewMode=story`)
        const finished = await page.waitForFunction(() => window.__storyFinished, undefined, { timeout: 60_000 })
        const verdict = (await finished.jsonValue()) as Finished
        const errors = await page.evaluate(() => window.__storyErrors ?? [])
        const live = liveStates[storyId] ?? liveStates[storyId.split('--')[0]!]
        const shown = live ? await page.locator(live.selector).first().textContent() : null
        const status = await page.locator('[role="status"]').first().textContent().catch(() => null)
        if (verdict.status !== 'success' || errors.length > 0 || (live && !live.texts.includes(shown ?? ''))) {
          failures.push(`${storyId}: play ${verdict.status} ${errors.join('; ')}, shows "${shown}", status "${status ?? ''}"`)
        }
      } catch (error) {
        const status = await page.locator('[role="status"]').first().textContent({ timeout: 1000 }).catch(() => null)
        const rendered = await page.evaluate(() => document.querySelector('#storybook-root')?.innerHTML.length ?? -1).catch(() => null)
        failures.push(`${storyId}: ${(error as Error).message.split('\n')[0]}, status "${status ?? ''}", root ${rendered} chars, page said: ${said.slice(-5).join(' | ') || 'nothing'}`)
      } finally {
        await page.close()
      }
    }
    // A few at a time: each story is a few seconds of scripted events.
    const queue = [...storyIds]
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) await open(id)
      }),
    )
    expect(failures).toEqual([])
    // On a cold cache (a fresh clone) a dependency Vite found only when a page asked for it made it
    // reload every open page, and a page caught mid-load stayed blank: the cause of this test's
    // flake. .storybook/dependencies.ts lists them up front; a new one must be added there.
    expect(output, 'Vite re-optimised dependencies while stories were open: add them to .storybook/dependencies.ts').not.toMatch(/new dependencies optimized|optimized dependencies changed/)
  }, 300_000)
})
