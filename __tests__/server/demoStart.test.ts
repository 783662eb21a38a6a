// Issue #22, item 2: `npm start` (demo/start.ts) prints what a second app needs — URL, project id,
// a demo token, a curl that starts an operation — and each works as printed.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { promisify } from 'node:util'
import { afterEach, expect, test } from 'vitest'
import { rawClient } from '../helpers/serverClient'

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})

function startDemo() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LIVE_STATUS_')))
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/start.ts'], { env: { ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let output = ''
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const printed = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk
      if (output.includes('Ctrl-C stops everything.')) resolve(output)
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then(() => reject(new Error(`exited before printing:\n${output}`)))
  })
  return { child, printed, exited }
}

const field = (text: string, pattern: RegExp) => {
  const match = pattern.exec(text)
  if (!match) throw new Error(`${pattern} not in:\n${text}`)
  return match[1]!
}

test.skipIf(process.platform === 'win32')('the printed URL, project id, demo token and curl line work as pasted, from a page on http://localhost:5173', async () => {
  const demo = startDemo()
  const text = await demo.printed
  const apiUrl = field(text, /^ {4}apiUrl {7}(http:\/\/127\.0\.0\.1:\d+) /m)
  const socketUrl = field(text, /sockets at (ws:\/\/\S+)\)/)
  const projectId = field(text, /^ {4}projectId {4}(\S+)$/m)
  const token = field(text, /^ {4}accessToken {2}(\S+)$/m)
  expect(text).toMatch(/the demo.s fixed DEMO token/)
  expect(token).toBe("demo-token")
  expect(socketUrl).toBe(`${apiUrl.replace('http', 'ws')}/ws/projects/${projectId}`)

  // The second app's socket, from a Vite dev server's origin, with the printed token.
  const page = rawClient(socketUrl, { origin: 'http://localhost:5173', protocols: ['bearer', token] })
  await page.until(() => page.events().length > 0)

  // The curl line, exactly as printed, through a shell.
  const curl = field(text, /^ {4}(curl -X POST .+\/operations .+)$/m)
  const { stdout } = await promisify(execFile)('sh', ['-c', `${curl} -s`])
  const started = JSON.parse(stdout) as { operation_id: string; status: string }
  expect(started).toEqual({ operation_id: expect.any(String), status: 'pending' })
  await page.until(() => page.events().some((e) => e.operation_id === started.operation_id))

  // The cancel line, with the id filled in.
  const cancel = field(text, /Cancel it: (curl .+)$/m).replace('OPERATION_ID', started.operation_id)
  expect(JSON.parse((await promisify(execFile)('sh', ['-c', `${cancel} -s`])).stdout)).toEqual({ status: 'cancelling' })
  await page.until(() => page.events().some((e) => e.operation_id === started.operation_id && e.type === 'operation_cancelled'))

  demo.child.kill('SIGTERM')
  expect(await demo.exited).toBe(0)
}, 30_000)
