/** SIGTERM drains: the demo (demo/start.ts) and the standalone start (npm run serve), as real processes. */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { afterEach, expect, test } from 'vitest'
import { rawClient } from '../helpers/serverClient'

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
})

/** Starts `script` with tsx and resolves with the first http://127.0.0.1:PORT it prints. */
function start(script: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let output = ''
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk
      const match = /http:\/\/127\.0\.0\.1:(\d+)/.exec(output)
      if (match) resolve(`127.0.0.1:${match[1]}`)
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then(() => reject(new Error(`exited before listening:\n${output}`)))
  })
  return { child, url, exited, output: () => output }
}

const jwt = (payload: object, secret: string) => {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const head = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`
}

test('demo/start.ts: SIGTERM closes clients with 1001 and exits 0', async () => {
  // The demo checks Origin: allow the test's own.
  const demo = start('demo/start.ts', { PORT: '0', LIVE_STATUS_ALLOWED_ORIGINS: 'http://signals.test' })
  const host = await demo.url
  const client = rawClient(`ws://${host}/ws/projects/demo`, { origin: 'http://signals.test', protocols: ['bearer', 'demo-token'] })
  await client.until(() => client.events().length > 0)
  demo.child.kill('SIGTERM')
  expect(await client.untilClosed()).toEqual({ code: 1001, reason: 'server shutting down' })
  expect(await demo.exited).toBe(0)
}, 30_000)

test('npm run serve: env config, JWT auth, publish route, health; SIGTERM drains with 1001 and exits 0', async () => {
  const secret = 's'.repeat(40)
  const service = start('src/server/serve.ts', { LIVE_STATUS_JWT_SECRET: secret, LIVE_STATUS_PUBLISH_TOKEN: 'publish-secret', LIVE_STATUS_PORT: '0', LIVE_STATUS_MAX_FRAME_BYTES: '65536' })
  const host = await service.url
  expect((await fetch(`http://${host}/healthz`)).status).toBe(200)
  expect((await fetch(`http://${host}/readyz`)).status).toBe(200)
  const denied = rawClient(`ws://${host}/ws/projects/p1`, { protocols: ['bearer', jwt({ sub: 'u1', projects: ['p2'] }, secret)] })
  expect((await denied.untilClosed()).code).toBe(4403)
  const forged = rawClient(`ws://${host}/ws/projects/p1`, { protocols: ['bearer', jwt({ sub: 'u1', projects: ['*'] }, 'x'.repeat(40))] })
  expect((await forged.untilClosed()).code).toBe(4401)
  const client = rawClient(`ws://${host}/ws/projects/p1`, { protocols: ['bearer', jwt({ sub: 'u1', projects: ['p1'], exp: Math.floor(Date.now() / 1000) + 600 }, secret)] })
  await client.opened()
  const publish = (token: string) =>
    fetch(`http://${host}/api/projects/p1/events`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify({ type: 'index_started', project_id: 'p1' }) })
  expect((await publish('wrong')).status).toBe(401)
  // The socket may still be joining: publish until it sees one (each publish is a new event).
  while (!client.events().some((e) => e.type === 'index_started' || e.type === 'index_status')) {
    expect((await publish('publish-secret')).status).toBe(202)
    await client.until(() => client.frames.length > 0)
  }
  service.child.kill('SIGTERM')
  expect(await client.untilClosed()).toEqual({ code: 1001, reason: 'server shutting down' })
  expect(await service.exited).toBe(0)
  expect(service.output()).not.toContain(secret)
}, 30_000)
