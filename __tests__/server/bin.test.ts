// Issue #22, item 7: `npx live-status-server` (src/server/bin.ts) starts the reference server from
// the environment, documents every variable in --help, refuses unknown arguments, and drains on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { afterEach, expect, test } from 'vitest'
import { envVariables } from '../../src/server'
import { runCli } from '../../src/server/cli/main'
import { freePort } from '../helpers/freePort'
import { rawClient } from '../helpers/serverClient'

const BIN = 'src/server/bin.ts'
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

/** Runs the bin through tsx; `until` resolves once its output matches. */
function run(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LIVE_STATUS_') && name !== 'PORT'))
  const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let stdout = ''
  let stderr = ''
  const waiters: (() => void)[] = []
  const notify = () => waiters.splice(0).forEach((check) => check())
  child.stdout!.on('data', (chunk) => ((stdout += chunk), notify()))
  child.stderr!.on('data', (chunk) => ((stderr += chunk), notify()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => (resolve(code), notify())))
  const until = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(stdout + stderr)) return resolve()
        if (child.exitCode !== null) return reject(new Error(`exited ${child.exitCode} before ${pattern}:\n${stdout}${stderr}`))
        waiters.push(check)
      }
      check()
    })
  return { child, exited, until, stdout: () => stdout, stderr: () => stderr }
}

const jwt = (payload: object, secret: string) => {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const head = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`
}

test('--help prints every variable it reads, each with its default and meaning, and exits 0', async () => {
  const help = run(['--help'])
  expect(await help.exited).toBe(0)
  const text = help.stdout()
  expect(text).toMatch(/^Usage: live-status-server \[--help\]/)
  expect(help.stderr()).toBe('')
  for (const name of [...envVariables, 'LIVE_STATUS_JWT_SECRET', 'LIVE_STATUS_PUBLISH_TOKEN']) {
    // The name, its default (or "required") on the same line, its meaning on the next.
    expect(text).toMatch(new RegExp(`^  ${name}  \\((default: .+|required)\\)\\n      \\S.{10,}$`, 'm'))
  }
  expect(text).toContain('LIVE_STATUS_MAX_FRAME_BYTES  (default: 262144)')
  expect(text).toContain('LIVE_STATUS_PORT  (default: 8080)')
})

test('an unknown flag prints the usage on stderr and exits 2, starting nothing', async () => {
  const unknown = run(['--port', '9000'])
  expect(await unknown.exited).toBe(2)
  expect(unknown.stdout()).toBe('')
  expect(unknown.stderr()).toContain('unknown argument "--port"')
  expect(unknown.stderr()).toContain('Usage: live-status-server [--help]')
})

test('in process: -h is --help; anything beside --help is refused; a missing secret is exit 1 naming the variable; a misspelt variable is named', async () => {
  const out: string[] = []
  const err: string[] = []
  const io = { out: (text: string) => void out.push(text), err: (text: string) => void err.push(text) }
  expect(await runCli(['-h'], { ...io, env: {} })).toBe(0)
  expect(out.join('')).toContain('Environment variables:')
  expect(await runCli(['--help', 'serve'], { ...io, env: {} })).toBe(2)
  expect(await runCli(['serve'], { ...io, env: {} })).toBe(2)
  err.length = 0
  expect(await runCli([], { ...io, env: { LIVE_STATUS_JWT_SECRET: 'short', LIVE_STATUS_PROT: '1' } })).toBe(1)
  expect(err.join('')).toContain('LIVE_STATUS_PROT is not a variable this server reads')
  expect(err.join('')).toContain('LIVE_STATUS_JWT_SECRET must be set (at least 32 characters)')
  err.length = 0
  expect(await runCli([], { ...io, env: { LIVE_STATUS_JWT_SECRET: 's'.repeat(40), LIVE_STATUS_PORT: 'eighty' } })).toBe(1)
  expect(err.join('')).toContain('LIVE_STATUS_PORT')
})

test('starts on PORT, answers /healthz, /readyz, /metrics and sockets; SIGTERM drains (1001) and exits 0; the secret never printed', async () => {
  const port = await freePort()
  const secret = 'k'.repeat(48)
  const server = run([], { PORT: String(port), LIVE_STATUS_JWT_SECRET: secret })
  await server.until(new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`))
  const base = `http://127.0.0.1:${port}`
  expect([(await fetch(`${base}/healthz`)).status, (await fetch(`${base}/readyz`)).status]).toEqual([200, 200])
  const metrics = await fetch(`${base}/metrics?format=json`)
  expect(metrics.status).toBe(200)
  expect(await metrics.json()).toMatchObject({ connections: 0 })
  const client = rawClient(`ws://127.0.0.1:${port}/ws/projects/p1`, { protocols: ['bearer', jwt({ sub: 'u1', projects: ['p1'] }, secret)] })
  await client.opened()
  expect(server.stdout()).toContain('publishing disabled')

  server.child.kill('SIGTERM')
  expect(await client.untilClosed()).toEqual({ code: 1001, reason: 'server shutting down' })
  expect(await server.exited).toBe(0)
  expect(server.stdout() + server.stderr()).not.toContain(secret)
})
