/**
 * The from-scratch dialect of docs/backends.md ("Your own backend", examples/backends/pipelineDialect.ts)
 * against a real `ws` server speaking the fictional CI protocol: a shared socket routed by id, an
 * event without id on a dedicated socket, binary frames, REST lagging the socket, a server that
 * never answers pings, and its close codes.
 */
import type { IncomingMessage } from 'node:http'
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { afterEach, describe, expect, test } from 'vitest'
import { WebSocket } from 'ws'
import { LiveStatusClient, liveQueryOptions, type EventError, type LiveStatusClientOptions } from '../../src/core'
import { ciHeartbeat, ciPipelines, pipelineChannel, pipelineSocket, projectSocket, type Pipeline, type PipelineParams } from '../../examples/backends/pipelineDialect'
import { bearer, startDialectServer, waitForData } from '../helpers/dialectServer'
import { waitForStatus } from '../helpers/wsServer'
import { liveSockets } from '../../src/devtools/liveActivity'

const TOKEN = 'ci-token'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

type PipelineRecord = { id: string; status: string; steps_done: number; steps_total: number; artifacts?: string[] | null }

/**
 * The CI server: REST records by id (each answer computed by `answer`, so a test can make REST
 * lag), sockets that authenticate with a first `hello` message, answer `whoami` and ignore
 * everything else (pings included).
 */
async function startCiServer(answer: (id: string) => PipelineRecord | undefined) {
  const restCalls = new Map<string, number>()
  const authed = new Map<string, WebSocket>()
  const waiting = new Map<string, (socket: WebSocket) => void>()
  const received: { type?: string }[] = []
  const onReceived = new Set<() => void>()
  const server = await startDialectServer({
    rest: Object.fromEntries(
      ['p-1', 'p-2', 'p-3', 'p-9'].map((id) => [
        `GET /api/ci/pipelines/${id}`,
        (req: IncomingMessage) => {
          if (bearer(req) !== TOKEN) return { status: 401 }
          restCalls.set(id, (restCalls.get(id) ?? 0) + 1)
          const record = answer(id)
          return record ? { status: 200, body: record } : { status: 404 }
        },
      ]),
    ),
    sockets: [
      {
        match: (path) => path.startsWith('/ci/ws/'),
        handle: (socket, _req, url) => {
          let isAuthed = false
          socket.on('message', (data) => {
            const message = JSON.parse(String(data))
            received.push(message)
            for (const listener of [...onReceived]) listener()
            if (!isAuthed) {
              if (message.type !== 'hello' || message.token !== TOKEN) return socket.close(4001, 'token refused')
              isAuthed = true
              authed.set(url.pathname, socket)
              waiting.get(url.pathname)?.(socket)
              return
            }
            if (message.type === 'whoami') socket.send(JSON.stringify({ type: 'whoami', user: 'ci-bot' }))
          })
        },
      },
    ],
  })
  cleanups.push(() => server.close())
  return {
    server,
    received,
    restCalls: (id: string) => restCalls.get(id) ?? 0,
    /** Resolves once the messages received so far satisfy `predicate`, re-checked on each one. */
    until: (predicate: (messages: readonly { type?: string }[]) => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => predicate(received) && (onReceived.delete(check), resolve())
        onReceived.add(check)
        check()
      }),
    /** The server side of the authenticated socket for `path`, once the client has said hello. */
    socket: (path: string) =>
      new Promise<WebSocket>((resolve) => {
        const known = authed.get(path)
        if (known) return resolve(known)
        waiting.set(path, resolve)
      }),
  }
}

const send = (socket: WebSocket, message: unknown) => socket.send(JSON.stringify(message))

function makeClient(apiUrl: string, options: Partial<LiveStatusClientOptions> = {}) {
  const errors: EventError[] = []
  // Every frame written at once: no frame timer.
  const client = new LiveStatusClient({
    apiUrl,
    accessToken: TOKEN,
    dialect: ciPipelines,
    WebSocket,
    scheduleFlush: (flush) => (queueMicrotask(flush), () => {}),
    onEventError: (error) => errors.push(error),
    ...options,
  })
  const queryClient = new QueryClient()
  cleanups.push(() => client.dispose(), () => queryClient.clear())
  /** What `useLiveQuery` does: the live subscription and an observed query (so invalidations refetch). */
  const follow = (params: PipelineParams) => {
    cleanups.push(client.live(queryClient, pipelineChannel, params))
    const observer = new QueryObserver(queryClient, { ...liveQueryOptions(client, pipelineChannel, params, { queryClient }), retry: false })
    cleanups.push(observer.subscribe(() => {}))
    return pipelineChannel.queryKey(params)
  }
  return { client, queryClient, errors, follow }
}

const running = (id: string, steps_done = 0): PipelineRecord => ({ id, status: 'running', steps_done, steps_total: 3, artifacts: null })

describe('the CI pipeline dialect of docs/backends.md', () => {
  test('a shared project socket: events routed by pipeline_id; an event without id reaches no pipeline', async () => {
    const ci = await startCiServer((id) => running(id))
    const { client, queryClient, errors, follow } = makeClient(ci.server.apiUrl)
    const key1 = follow({ id: 'p-1', project: 'web' })
    const key2 = follow({ id: 'p-2', project: 'web' })
    await waitForData<Pipeline>(queryClient, key1, (d) => d?.status === 'running')
    await waitForData<Pipeline>(queryClient, key2, (d) => d?.status === 'running')
    const socket = await ci.socket(projectSocket('web'))

    send(socket, { type: 'step_finished', pipeline_id: 'p-1', step: 'build', steps_done: 1 })
    // Names no pipeline: routed to both queries of the socket, and `matches` turns it away.
    send(socket, { type: 'step_finished', step: 'lint', steps_done: 2 })
    send(socket, { type: 'step_finished', pipeline_id: 'p-2', step: 'test', steps_done: 2 })
    send(socket, { type: 'step_finished', pipeline_id: 'p-1', step: 'package', steps_done: 3 })

    const p1 = await waitForData<Pipeline>(queryClient, key1, (d) => d?.lastStep === 'package')
    const p2 = await waitForData<Pipeline>(queryClient, key2, (d) => d?.lastStep === 'test')
    expect(p1).toMatchObject({ id: 'p-1', status: 'running', stepsDone: 3 })
    expect(p2).toMatchObject({ id: 'p-2', status: 'running', stepsDone: 2 })
    // One socket for both pipelines, one upgrade.
    expect(liveSockets(client)).toEqual([{ url: client.socketUrl(projectSocket('web')), queries: 2, components: 2 }])
    expect(ci.server.upgrades).toBe(1)
    expect(errors).toEqual([])
  })

  test('a dedicated pipeline socket: an event without id is that pipeline’s', async () => {
    const ci = await startCiServer((id) => running(id))
    const { queryClient, errors, follow } = makeClient(ci.server.apiUrl)
    const key = follow({ id: 'p-3' })
    await waitForData<Pipeline>(queryClient, key, (d) => d?.status === 'running')
    const socket = await ci.socket(pipelineSocket('p-3'))
    send(socket, { type: 'pipeline_started', steps_total: 5 })
    send(socket, { type: 'step_finished', step: 'build', steps_done: 1 })
    // Another pipeline's event on this socket still goes by its id.
    send(socket, { type: 'step_finished', pipeline_id: 'p-other', step: 'deploy', steps_done: 4 })
    send(socket, { type: 'step_finished', step: 'test', steps_done: 2 })
    const data = await waitForData<Pipeline>(queryClient, key, (d) => d?.lastStep === 'test')
    expect(data).toMatchObject({ id: 'p-3', status: 'running', stepsDone: 2, stepsTotal: 5 })
    expect(errors).toEqual([])
  })

  test('binary frames: console output is ignored and counted, JSON in a binary frame is read, nothing is refetched', async () => {
    const ci = await startCiServer((id) => running(id))
    const { client, queryClient, errors, follow } = makeClient(ci.server.apiUrl)
    const key = follow({ id: 'p-3' })
    await waitForData<Pipeline>(queryClient, key, (d) => d?.status === 'running')
    const socket = await ci.socket(pipelineSocket('p-3'))
    socket.send(Buffer.from('$ npm test\n> 42 passing\n'), { binary: true })
    socket.send(Buffer.from(JSON.stringify({ type: 'step_finished', step: 'build', steps_done: 1 })), { binary: true })
    send(socket, { type: 'step_finished', step: 'test', steps_done: 2 })
    const data = await waitForData<Pipeline>(queryClient, key, (d) => d?.lastStep === 'test')
    expect(data.stepsDone).toBe(2)
    expect(errors.map((e) => e.reason)).toEqual(['binary'])
    expect(client.hub.get(client.socketUrl(pipelineSocket('p-3')))?.stats.dropped.binary).toBe(1)
    // A binary frame is not a lost event: the query was not invalidated, REST was asked once.
    expect(queryClient.getQueryState(key)).toMatchObject({ isInvalidated: false, fetchStatus: 'idle' })
    expect(ci.restCalls('p-3')).toBe(1)
  })

  test('REST lags behind the socket: the end stays, REST is asked again until it agrees, its artifacts land', async () => {
    let endedOnSocket = false
    let lagging = 1
    const ci = await startCiServer((id) => {
      if (!endedOnSocket) return running(id, 1)
      // The history worker has not written the end yet: the first answer after it is the old one.
      if (lagging > 0) {
        lagging--
        return running(id, 1)
      }
      return { id, status: 'passed', steps_done: 3, steps_total: 3, artifacts: ['app.tar.gz'] }
    })
    const { queryClient, follow } = makeClient(ci.server.apiUrl)
    const key = follow({ id: 'p-9' })
    const history: Pipeline[] = []
    const off = queryClient.getQueryCache().subscribe(() => {
      const data = queryClient.getQueryData<Pipeline>(key)
      if (data && data !== history.at(-1)) history.push(data)
    })
    cleanups.push(off)
    await waitForData<Pipeline>(queryClient, key, (d) => d?.status === 'running')
    const socket = await ci.socket(pipelineSocket('p-9'))
    const before = ci.restCalls('p-9')
    endedOnSocket = true
    send(socket, { type: 'step_finished', step: 'package', steps_done: 3 })
    send(socket, { type: 'pipeline_finished', status: 'passed' })

    const final = await waitForData<Pipeline>(queryClient, key, (d) => d?.artifacts !== undefined)
    expect(final).toEqual({ id: 'p-9', status: 'passed', stepsDone: 3, stepsTotal: 3, lastStep: 'package', artifacts: ['app.tar.gz'] })
    // The refetch at the end (answered with the old record), then one more that agreed.
    expect(ci.restCalls('p-9') - before).toBe(2)
    // The lagging answer never took the end back.
    const firstEnd = history.findIndex((d) => d.status === 'passed')
    expect(firstEnd).toBeGreaterThanOrEqual(0)
    expect(history.slice(firstEnd).every((d) => d.status === 'passed')).toBe(true)
  })

  test('a server that never answers pings: the whoami heartbeat keeps the socket; the default ping loses it', async () => {
    const ci = await startCiServer((id) => running(id))
    // The dialect's keep-alive on a faster clock: after an answered ping the next one goes out
    // `timeoutMs` later, so three pings span two full timeouts.
    const kept = makeClient(ci.server.apiUrl, { heartbeat: { ...ciHeartbeat, intervalMs: 20, timeoutMs: 1000 } })
    kept.follow({ id: 'p-1' })
    await ci.socket(pipelineSocket('p-1'))
    await ci.until((messages) => messages.filter((m) => m.type === 'whoami').length >= 3)
    const keptStatus = kept.client.hub.get(kept.client.socketUrl(pipelineSocket('p-1')))!.getStatus()
    expect(keptStatus).toMatchObject({ state: 'open', lastCloseCode: null })
    expect(kept.errors).toEqual([])

    // The default ping ({type: 'ping'}), which this server ignores: the socket counts as dead. (An
    // app's heartbeat fields merge over the dialect's, so the message is named here.)
    const lost = makeClient(ci.server.apiUrl, { heartbeat: { intervalMs: 20, timeoutMs: 50, message: { type: 'ping' } } })
    lost.follow({ id: 'p-2' })
    const status = await waitForStatus(lost.client.hub.watchStatus(lost.client.socketUrl(pipelineSocket('p-2'))), (s) => s.lastCloseCode === 4000)
    expect(status.lastCloseReason).toBe('heartbeat timeout')
  })

  test('close codes: 4001 = token refused (one attempt, then unauthorized)', async () => {
    const ci = await startCiServer((id) => running(id))
    const { client, queryClient } = makeClient(ci.server.apiUrl, { accessToken: 'expired' })
    // The socket alone (no REST query): its verdict.
    cleanups.push(client.live(queryClient, pipelineChannel, { id: 'p-1' }))
    const status = await waitForStatus(client.hub.watchStatus(client.socketUrl(pipelineSocket('p-1'))), (s) => s.state === 'unauthorized')
    expect(status.lastCloseCode).toBe(4001)
    expect(ci.server.upgrades).toBe(1)
  })
})
