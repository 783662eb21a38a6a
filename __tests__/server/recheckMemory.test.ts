// What an idle connection holds for its `recheckAccessMs` checks (the bench's heap per idle
// connection went from 4.2 to 6.4 KiB with them): its project and token on one server-wide
// schedule, the upgrade request only for an `authenticate` that takes it, no listener left from
// admission. The checks themselves are unchanged (recheckAccess.test.ts, checkAccess.test.ts).
import type { IncomingMessage } from 'node:http'
import { afterEach, expect, test, vi } from 'vitest'
import type { SessionSink } from '../../src/server/connection/sink'
import { AccessRechecks } from '../../src/server/upgrade/checkAccess'
import { disposeAll, startServer } from './support/serverHarness'

afterEach(() => {
  vi.useRealTimers()
  return disposeAll()
})

test('an authenticate declared with (token, request) gets the upgrade request on every check', async () => {
  const hosts: (string | undefined)[] = []
  const { connect } = await startServer({
    recheckAccessMs: 30,
    authorize: () => true,
    authenticate: (token: string, request: IncomingMessage) => (hosts.push(request.headers.host), { id: token, projects: [] }),
  })
  const alice = connect('/ws/projects/p1', { token: 'tok-alice' })
  await alice.opened()
  await vi.waitFor(() => expect(hosts.length).toBeGreaterThanOrEqual(3))
  expect(hosts.every((host) => typeof host === 'string' && host.startsWith('127.0.0.1:'))).toBe(true)
})

test('an authenticate declared with (token) is checked again; a closed socket is not checked again', async () => {
  const tokens: string[] = []
  const { connect } = await startServer({
    recheckAccessMs: 30,
    authorize: () => true,
    authenticate: (token: string) => (tokens.push(token), { id: token, projects: [] }),
  })
  const alice = connect('/ws/projects/p1', { token: 'tok-alice' })
  await alice.opened()
  await vi.waitFor(() => expect(tokens.length).toBeGreaterThanOrEqual(2))
  alice.close()
  await alice.untilClosed()
  const checks = tokens.length
  await new Promise((resolve) => setTimeout(resolve, 120))
  expect(tokens.length).toBe(checks)
})

test('AccessRechecks keeps no request for an authenticate declared with (token)', async () => {
  vi.useFakeTimers({ now: 0 })
  const requests: unknown[] = []
  const options = { recheckAccessMs: 100, authTimeoutMs: 5000, authenticate: (token: string) => ({ id: token }), authorize: () => true }
  const rechecks = new AccessRechecks<{ id: string }>({ options, log: { error() {}, warn() {}, info() {}, debug() {} } as never, metrics: { drop() {} } as never })
  // Judged (token) when made; a spy that reads its arguments in its place sees what a check passes.
  options.authenticate = function (token: string) {
    requests.push(arguments[1])
    return { id: token }
  }
  rechecks.add(fakeSink(), { projectId: 'p', token: 'a', request: {} as IncomingMessage })
  await vi.advanceTimersByTimeAsync(250)
  expect(requests).toEqual([undefined, undefined])
  rechecks.dispose()
})

test('admission leaves one close listener of its own on an admitted socket', async () => {
  const counts: number[] = []
  const { connect } = await startServer({
    recheckAccessMs: 60_000,
    onConnection: (socket) => void setTimeout(() => counts.push(socket.listenerCount('close')), 50),
  })
  const alice = connect('/ws/projects/p1', { token: 'tok-alice' })
  await alice.opened()
  await vi.waitFor(() => expect(counts).toHaveLength(1))
  // admitSocket's (an auth frame awaited) and the server's session listener; none for admission's
  // deadline or the rechecks (4 before: each kept a listener and what it closed over).
  expect(counts[0]).toBe(2)
})

function fakeSink(): SessionSink & { open: boolean } {
  return { transport: 'websocket', open: true, closed: false, bufferedBytes: 0, answersPings: true, send() {}, close() {}, terminate() {}, ping() {}, onClose: () => () => {}, onAlive() {} }
}

test('AccessRechecks: one timer, each connection every period from its admission, until deleted or closed', async () => {
  vi.useFakeTimers({ now: 0 })
  const checked: string[] = []
  const rechecks = new AccessRechecks<{ id: string }>({
    options: { recheckAccessMs: 100, authTimeoutMs: 5000, authenticate: (token: string) => (checked.push(`${token}@${Date.now()}`), { id: token }), authorize: () => true },
    log: { error() {}, warn() {}, info() {}, debug() {} } as never,
    metrics: { drop() {} } as never,
  })
  const [a, b, c] = [fakeSink(), fakeSink(), fakeSink()]
  rechecks.add(a, { projectId: 'p', token: 'a', request: {} as IncomingMessage })
  await vi.advanceTimersByTimeAsync(30)
  rechecks.add(b, { projectId: 'p', token: 'b', request: {} as IncomingMessage })
  rechecks.add(c, { projectId: 'p', token: 'c', request: {} as IncomingMessage })
  expect(vi.getTimerCount()).toBe(1)
  await vi.advanceTimersByTimeAsync(100)
  expect(checked).toEqual(['a@100', 'b@130', 'c@130'])
  rechecks.delete(b)
  c.open = false
  await vi.advanceTimersByTimeAsync(100)
  expect(checked).toEqual(['a@100', 'b@130', 'c@130', 'a@200'])
  expect(rechecks.size).toBe(1)
  rechecks.dispose()
  expect(rechecks.size).toBe(0)
  expect(vi.getTimerCount()).toBe(0)
})
