/**
 * Screenshots of the main stories for the README: `npm run build-storybook && npm run docs:screenshots`.
 * Serves storybook-static on loopback and photographs each story in Debian's Chromium once it has
 * reached the state worth showing.
 */
import { createReadStream, existsSync, mkdtempSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, resolve } from 'node:path'
import { chromium } from 'playwright-core'
import { CHROMIUM_PATH, chromiumArgs } from './chromium'

const root = resolve('storybook-static')
if (!existsSync(join(root, 'iframe.html'))) throw new Error('Run `npm run build-storybook` first.')
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.woff2': 'font/woff2' }
const http = createServer((req, res) => {
  const path = join(root, new URL(req.url ?? '/', 'http://x').pathname)
  if (!path.startsWith(root) || !existsSync(path) || statSync(path).isDirectory()) return void res.writeHead(404).end()
  res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' })
  createReadStream(path).pipe(res)
})
await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

const shots: { id: string; file: string; ready: string }[] = [
  { id: 'connectionstatus--every-state', file: 'connection-status.png', ready: '[data-testid="panel-polling"] [data-state="polling"]' },
  { id: 'useindexstatus--not-indexed-to-complete', file: 'index-status.png', ready: '[data-testid="entity-count"]' },
  { id: 'useoperationprogress--reindex', file: 'operation-progress.png', ready: '[data-status="processing"] [data-testid="stage"]:text("reprocessing")' },
  { id: 'usedirectoryscan--scan-to-completion', file: 'directory-scan.png', ready: '[data-testid="scan-result"]' },
  { id: 'faults--socket-drops-mid-job', file: 'fault-polling.png', ready: '[role="status"][data-state="polling"]' },
]

const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'live-status-shots-')), {
  executablePath: CHROMIUM_PATH,
  headless: true,
  viewport: { width: 900, height: 420 },
  args: chromiumArgs,
})
for (const shot of shots) {
  const page = await context.newPage()
  await page.goto(`${base}/iframe.html?id=${shot.id}&viewMode=story`)
  if (shot.id === 'usedirectoryscan--scan-to-completion') await page.getByRole('button', { name: 'Scan /documents' }).click()
  await page.locator(shot.ready).first().waitFor({ timeout: 20_000 })
  await page.locator('#storybook-root').screenshot({ path: resolve('docs', shot.file) })
  console.log(`docs/${shot.file}`)
  await page.close()
}
await context.close()
http.close()
