import { existsSync } from 'node:fs'
import type { Reporter, TestModule } from 'vitest/node'

/** Debian's Chromium, as the browser tests, stories and screenshots launch it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Flags this machine's Chromium needs headless (its network is closed; no sandbox as root). */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** The one command that installs what the browser suites need (Debian/Ubuntu, as root). */
export const INSTALL_CHROMIUM = 'apt-get install -y chromium'

export const haveChromium = existsSync(CHROMIUM_PATH)

/** CI as most services set it (`CI=true`, `CI=1`). */
export const isCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0'

/** Without Chromium, CI fails (a green run must have run everything); a local run skips and says so. */
export function requireChromiumInCi(): void {
  if (!haveChromium && isCi) {
    throw new Error(`[e2e] Chromium not found at ${CHROMIUM_PATH}: with CI=true the browser tests must run. Install it: ${INSTALL_CHROMIUM}`)
  }
}

/**
 * A vitest reporter for local runs without Chromium: the story tests are left out and the browser
 * tests skipped, which a green summary would otherwise hide. Printed last, after vitest's summary.
 */
export class MissingChromiumReporter implements Reporter {
  constructor(private readonly storyFiles: string[]) {}

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped = testModules
      .filter((module) => /__tests__[/\\]e2e[/\\]/.test(module.moduleId))
      .map((module) => {
        const tests = [...module.children.allTests()]
        return { file: module.relativeModuleId, skipped: tests.filter((test) => test.result().state === 'skipped').length }
      })
      .filter(({ skipped }) => skipped > 0)
    const bar = '!'.repeat(78)
    const lines = [
      '',
      bar,
      `!! NOT EVERY TEST RAN: Chromium is not installed (looked for ${CHROMIUM_PATH}).`,
      '!!',
      `!! Left out: the story tests (the "storybook" project: ${this.storyFiles.length} story files, each story`,
      '!!   rendered and played in Chromium):',
      ...this.storyFiles.map((file) => `!!     ${file}`),
      '!! Skipped: the browser end-to-end tests:',
      ...skipped.map(({ file, skipped }) => `!!     ${file} (${skipped} test${skipped === 1 ? '' : 's'})`),
      '!!',
      `!! Install what is missing, then run \`npm test\` again:   ${INSTALL_CHROMIUM}`,
      `!! (another Chromium: CHROMIUM_PATH=/path/to/chromium npm test; with CI=true this run would fail)`,
      bar,
      '',
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  }
}
