/**
 * The newcomer's path, as the README tells it (issue "The first hour of a TanStack user", items 1
 * and 2): `npm pack` the package, install the tarball into a fresh React + Vite + TypeScript app,
 * type-check it under `moduleResolution` `bundler` and `nodenext`, paste the Quick start as
 * `src/App.tsx`, start the demo with `npm start`, read from what it prints the facts a second app
 * needs, and see a live bar in Chromium from the app's own origin (a port the demo was not told of).
 * Then the same app switched to Server-Sent Events as docs/sse.md says (`live-status/sse`: one
 * import, `{...sseTransport()}` on the provider): type-checked with the rest, built once more, and
 * the same live bar over `/sse/projects/demo`, with no WebSocket.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { extname, join, resolve } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CHROMIUM_PATH, chromiumArgs, haveChromium, requireChromiumInCi } from '../../scripts/chromium'
import { freePort } from '../helpers/freePort'

requireChromiumInCi()

const root = resolve('.')
const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }
/** The versions this repository is tested with: the scratch app asks for the same (the npm cache has them). */
const versionOf = (name: string) => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

/** The Quick start switched to Server-Sent Events, as docs/sse.md's "Switching" says. */
function overSse(quickStart: string): string {
  const liveStatusImport = /^import .* from 'live-status'\n/m
  const provider = '<LiveStatusProvider apiUrl={apiUrl} accessToken={accessToken}>'
  if (!liveStatusImport.test(quickStart) || !quickStart.includes(provider)) throw new Error('the Quick start changed: update overSse() (and docs/sse.md) to match it')
  return quickStart
    .replace(liveStatusImport, (line) => `${line}import { sseTransport } from 'live-status/sse'\n`)
    .replace(provider, '<LiveStatusProvider apiUrl={apiUrl} accessToken={accessToken} {...sseTransport()}>')
}

const tsconfig = (compilerOptions: Record<string, unknown>) =>
  JSON.stringify({ compilerOptions: { target: 'ES2022', lib: ['ES2022', 'DOM', 'DOM.Iterable'], jsx: 'react-jsx', strict: true, noEmit: true, skipLibCheck: false, types: [], ...compilerOptions }, include: ['src'] }, null, 2)

describe.skipIf(!haveChromium)('install from the packed tarball, then the Quick start against npm start', () => {
  let app: string
  let demo: ChildProcess
  let printed = ''
  let page: Server
  let pageUrl: string
  let ssePage: Server
  let ssePageUrl: string
  let context: BrowserContext
  let profile: string

  beforeAll(async () => {
    app = mkdtempSync(join(tmpdir(), 'live-status-newcomer-'))
    run('npm', ['pack', '--silent', '--pack-destination', app], root)
    const tarball = readdirSync(app).find((name) => name.endsWith('.tgz'))!
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify(
        {
          name: 'my-app',
          private: true,
          type: 'module',
          dependencies: { 'live-status': `file:./${tarball}`, react: versionOf('react'), 'react-dom': versionOf('react-dom'), '@tanstack/react-query': versionOf('@tanstack/react-query') },
          devDependencies: {
            vite: versionOf('vite'),
            '@vitejs/plugin-react': versionOf('@vitejs/plugin-react'),
            typescript: versionOf('typescript'),
            '@types/react': versionOf('@types/react'),
            '@types/react-dom': versionOf('@types/react-dom'),
          },
        },
        null,
        2,
      ),
    )
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app)
    mkdirSync(join(app, 'src'))
    // What `npm create vite` writes, cut to what the Quick start needs.
    writeFileSync(join(app, 'index.html'), '<!doctype html><html lang="en"><head><meta charset="UTF-8" /><link rel="icon" href="data:," /><title>my-app</title></head><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>\n')
    writeFileSync(join(app, 'vite.config.ts'), "import { defineConfig } from 'vite'\nimport react from '@vitejs/plugin-react'\n\nexport default defineConfig({ plugins: [react()] })\n")
    writeFileSync(
      join(app, 'src', 'main.tsx'),
      "import { StrictMode } from 'react'\nimport { createRoot } from 'react-dom/client'\nimport App from './App.js'\n\ncreateRoot(document.getElementById('root')!).render(\n  <StrictMode>\n    <App />\n  </StrictMode>,\n)\n",
    )
    writeFileSync(join(app, 'tsconfig.bundler.json'), tsconfig({ module: 'ESNext', moduleResolution: 'bundler' }))
    writeFileSync(join(app, 'tsconfig.nodenext.json'), tsconfig({ module: 'NodeNext', moduleResolution: 'NodeNext' }))

    // `npm start`, as the README says, on a free port; what it prints tells the app where and how.
    const demoPort = await freePort()
    demo = spawn('npm', ['start'], { cwd: root, env: { ...env, PORT: String(demoPort) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    await new Promise<void>((ready, fail) => {
      const onData = (chunk: Buffer) => {
        printed += chunk
        if (/curl /.test(printed) && /demo running at/.test(printed)) ready()
      }
      demo.stdout!.on('data', onData)
      demo.stderr!.on('data', onData)
      demo.once('exit', (code) => fail(new Error(`npm start exited with ${code}:\n${printed}`)))
    })
    const apiUrl = /demo running at (http:\/\/\S+)/.exec(printed)![1]!
    const quickStart = readFileSync(join(root, 'examples', 'quickstart', 'App.tsx'), 'utf8')
    // The Quick start as pasted; only the port differs when 4173 was taken.
    const pasted = quickStart.replace("'http://127.0.0.1:4173'", `'${apiUrl}'`)
    // Its SSE switch beside it, type-checked with the rest of src by the tests below.
    writeFileSync(join(app, 'src', 'AppSse.tsx'), overSse(pasted))
    const vite = join(app, 'node_modules', '.bin', 'vite')
    // Built twice: the app as pasted, then with App.tsx switched to SSE (and put back).
    writeFileSync(join(app, 'src', 'App.tsx'), overSse(pasted))
    run(vite, ['build', '--outDir', 'dist-sse'], app)
    writeFileSync(join(app, 'src', 'App.tsx'), pasted)
    run(vite, ['build'], app)

    // Each built app from its own origin: a localhost port the demo was never told of.
    const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' }
    const serve = async (dir: string): Promise<[Server, string]> => {
      const port = await freePort()
      const server = createServer((request, response) => {
        const path = request.url === '/' ? '/index.html' : (request.url ?? '/').split('?')[0]!
        try {
          const body = readFileSync(join(app, dir, path.replace(/\.\.+/g, '')))
          response.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' }).end(body)
        } catch {
          response.writeHead(404).end()
        }
      })
      await new Promise<void>((listening) => server.listen(port, '127.0.0.1', listening))
      return [server, `http://localhost:${port}`]
    }
    ;[page, pageUrl] = await serve('dist')
    ;[ssePage, ssePageUrl] = await serve('dist-sse')
    profile = mkdtempSync(join(tmpdir(), 'live-status-newcomer-profile-'))
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: chromiumArgs })
  }, 600_000)

  afterAll(async () => {
    await context?.close()
    if (demo?.pid && demo.exitCode === null) {
      // npm, its shell and tsx: the whole group.
      process.kill(-demo.pid, 'SIGTERM')
      await new Promise((exited) => demo.once('exit', exited))
    }
    for (const server of [page, ssePage]) await new Promise((closed) => (server ? server.close(closed) : closed(undefined)))
    if (profile) rmSync(profile, { recursive: true, force: true })
    if (app) rmSync(app, { recursive: true, force: true })
  })

  test('npm start prints what a second app needs: URL, token, project, a curl that starts a job', () => {
    expect(printed).toMatch(/demo running at http:\/\/127\.0\.0\.1:\d+/)
    expect(printed).toContain('demo-token')
    expect(printed).toMatch(/project\S*\s*:?\s*demo/i)
    expect(printed).toMatch(/curl .*-X POST .*\/api\/projects\/demo\/operations/)
  })

  test.each(['bundler', 'nodenext'])('the app type-checks with moduleResolution %s', (resolution) => {
    run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', `tsconfig.${resolution}.json`], app)
  })

  /** Opens the built app, presses "Start a job" and follows the bar to 100 %; what the tab opened, for the caller. */
  async function liveBar(url: string) {
    const tab = await context.newPage()
    const problems: string[] = []
    const webSockets: string[] = []
    const requests: string[] = []
    /** The project's stream, as the browser received its head: status and content type. */
    const streams: string[] = []
    tab.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.text()} (${message.location().url})`)
    })
    tab.on('pageerror', (error) => problems.push(error.message))
    tab.on('websocket', (socket) => webSockets.push(new URL(socket.url()).pathname))
    tab.on('request', (request) => requests.push(`${request.method()} ${new URL(request.url()).pathname}`))
    tab.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/sse/')) streams.push(`${response.request().method()} ${response.status()} ${response.headers()['content-type']}`)
    })
    await tab.goto(url)
    await tab.getByRole('button', { name: 'Start a job' }).click()
    const bar = tab.getByRole('progressbar', { name: 'Job progress' })
    await bar.waitFor()
    const seen = new Set<string>()
    // What the connection indicator said meanwhile: nothing while the socket (or stream) is open;
    // "Reconnecting…" or "Offline — updating every 2 s" if the bar moved by polling instead.
    const indicator = new Set<string>()
    await expect
      .poll(
        async () => {
          seen.add((await bar.getAttribute('value')) ?? '')
          // Read without waiting: while connected it renders no text (or no element at all).
          indicator.add(await tab.evaluate(() => document.querySelector('[role="status"]')?.textContent ?? ''))
          return tab.getByText(/100% · completed/).count()
        },
        { timeout: 120_000, interval: 100 },
      )
      .toBe(1)
    expect([...indicator]).toEqual([''])
    // Values in between: it moved live, not only at the end.
    expect([...seen].filter((value) => value !== '0' && value !== '100').length).toBeGreaterThan(0)
    expect(problems).toEqual([])
    await tab.close()
    return { webSockets, requests, streams }
  }

  test('the Quick start, pasted as src/App.tsx: "Start a job" shows a live bar that reaches 100 %', async () => {
    const { webSockets } = await liveBar(pageUrl)
    expect(webSockets).toEqual(['/ws/projects/demo'])
  })

  test('the Quick start over SSE (docs/sse.md: `{...sseTransport()}` on the provider): the same live bar over /sse/projects/demo, no WebSocket', async () => {
    const { webSockets, requests, streams } = await liveBar(ssePageUrl)
    expect(webSockets).toEqual([])
    // One stream for the page, answered as one: the bar moved by its events (the indicator said
    // nothing all along, so no polling stood in).
    expect(requests.filter((request) => request.startsWith('GET /sse/'))).toEqual(['GET /sse/projects/demo'])
    expect(streams).toEqual(['GET 200 text/event-stream'])
    expect(requests).toContain('POST /api/projects/demo/operations')
  })
})
