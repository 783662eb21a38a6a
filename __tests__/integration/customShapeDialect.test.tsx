// @vitest-environment happy-dom
/**
 * A backend the package was not written for, followed by configuration alone (docs/backends.md,
 * "Events of another shape"): "Jobber" names types by `op`, puts the id at `job.jobId` and the
 * counters under `job`, says RUNNING / SUCCEEDED / FAILED, pings with `{"op":"ping"}` and wants
 * `{"op":"pong"}`, has one stream per project and a REST body with counts but no percent. Its
 * dialect is one object: endpoints, auth, discriminator, and an `OperationVocabulary` whose zod
 * `schema` turns its events into the reference ones. A real `ws` server on a loopback port; REST
 * from a table. Found by a newcomer writing this dialect from the docs: before, the vocabulary could
 * not say any of it, the default reply answered `{"type":"ping"}` only, `operationSocket` could
 * not say "no socket", and a REST body without a percent showed 3/10 at 0 %.
 */
import type { AddressInfo } from 'node:net'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { cleanup, renderHook, waitFor } from '@testing-library/react'
import type { ReactNode } from 'react'
import { afterEach, expect, test } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { z } from 'zod'
import { createOperationChannel, LiveStatusProvider, toOperationStatus, useOperationProgress, type Dialect, type EventError, type OperationEvent, type OperationProgress, type SchemaLike } from '../../src'

const TOKEN = 'jobber-key-0123456789'
const types = { 'job.update': 'operation_progress', 'job.done': 'operation_completed', 'job.failed': 'operation_failed' } as const

const jobberEvent: SchemaLike<OperationEvent> = z
  .object({
    op: z.enum(['job.update', 'job.done', 'job.failed']),
    job: z.looseObject({ jobId: z.string(), state: z.string().optional(), done: z.number().optional(), of: z.number().optional(), note: z.string().optional(), reason: z.string().optional() }),
  })
  .transform(({ op, job }) => ({ type: types[op], operation_id: job.jobId, status: job.state, processed_files: job.done, total_files: job.of, message: job.note, error: job.reason }))

const jobber: Dialect = {
  name: 'jobber',
  options: {
    endpoints: {
      // One stream per project; without a project the job is polled.
      operationSocket: (_operationId, { projectId }) => (projectId ? `/jobs/stream?project=${encodeURIComponent(projectId)}` : null),
      operationStatus: (id) => `/v3/jobs/${encodeURIComponent(id)}`,
    },
    auth: { type: 'message', message: (token) => ({ op: 'hello', key: token }) },
    discriminator: 'op',
  },
  channels: {
    operation: createOperationChannel({
      schema: jobberEvent,
      parse: (body) => {
        const job = body as { state: string; done?: number; of?: number; reason?: string }
        return { status: toOperationStatus(job.state), processedFiles: job.done, totalFiles: job.of, error: job.reason }
      },
    }),
  },
}

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  cleanup()
  for (const undo of cleanups.splice(0).reverse()) await undo()
})

async function setup(projectId: string | undefined, { operationId = 'j1', dialect = jobber }: { operationId?: string; dialect?: Dialect } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  cleanups.push(() => new Promise<void>((resolve) => (wss.clients.forEach((c) => c.terminate()), wss.close(() => resolve()))))
  const port = (wss.address() as AddressInfo).port
  const received: unknown[] = []
  const urls: string[] = []
  const sockets: import('ws').WebSocket[] = []
  wss.on('connection', (socket, request) => {
    urls.push(request.url ?? '')
    socket.on('message', (data) => {
      const message = JSON.parse(String(data))
      received.push(message)
      if (message.op === 'hello' && message.key === TOKEN) sockets.push(socket)
    })
  })
  const jobs = new Map<string, unknown>([
    ['j1', { jobId: 'j1', state: 'RUNNING', done: 3, of: 10 }],
    ['7', { jobId: 7, state: 'RUNNING', done: 3, of: 10 }],
  ])
  const fetch = async (input: string | URL | Request) => {
    const path = new URL(String(input instanceof Request ? input.url : input)).pathname
    const job = jobs.get(decodeURIComponent(path.replace('/v3/jobs/', '')))
    return new Response(JSON.stringify(job ?? { error: 'not found' }), { status: job ? 200 : 404, headers: { 'content-type': 'application/json' } })
  }
  const errors: EventError[] = []
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, gcTime: Infinity } } })
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>
      <LiveStatusProvider apiUrl={`http://127.0.0.1:${port}`} dialect={dialect} accessToken={TOKEN} WebSocket={WebSocket as never} fetch={fetch} onEventError={(error) => errors.push(error)}>
        {children}
      </LiveStatusProvider>
    </QueryClientProvider>
  )
  const hook = renderHook(() => useOperationProgress({ operationId, projectId }), { wrapper })
  cleanups.push(() => hook.unmount())
  const data = () => hook.result.current.data as OperationProgress | undefined
  const connection = () => hook.result.current.connection.state
  return { received, urls, sockets, errors, data, connection, send: (message: unknown) => sockets.forEach((socket) => socket.send(JSON.stringify(message))) }
}

test('events of another shape reach the cache through the vocabulary schema; pings are answered in the same field', async () => {
  const jobber = await setup('P')
  // REST first: counts and no percent give the counts over the total.
  await waitFor(() => expect(jobber.data()).toMatchObject({ status: 'processing', processedFiles: 3, totalFiles: 10, percent: 30 }))
  await waitFor(() => expect(jobber.sockets).toHaveLength(1))
  expect(jobber.urls).toEqual(['/jobs/stream?project=P'])
  expect(jobber.received[0]).toEqual({ op: 'hello', key: TOKEN })

  jobber.send({ op: 'ping' })
  await waitFor(() => expect(jobber.received).toContainEqual({ op: 'pong' }))

  jobber.send({ op: 'job.update', job: { jobId: 'j1', state: 'RUNNING', done: 6, of: 10, note: 'parsing' } })
  jobber.send({ op: 'job.update', job: { jobId: 'j2', state: 'RUNNING', done: 9, of: 10 } })
  await waitFor(() => expect(jobber.data()).toMatchObject({ status: 'processing', processedFiles: 6, percent: 60, message: 'parsing' }))

  jobber.send({ op: 'job.rename', job: { jobId: 'j1' } })
  jobber.send({ op: 'job.update', job: { jobId: 'j1', done: 'seven' } })
  jobber.send({ op: 'job.failed', job: { jobId: 'j1', state: 'FAILED', reason: 'disk full' } })
  await waitFor(() => expect(jobber.data()).toMatchObject({ status: 'failed', error: 'disk full', processedFiles: 6 }))
  expect(jobber.errors.map((error) => error.reason)).toEqual(['unknown_type', 'schema_mismatch'])
  expect(jobber.errors.map((error) => error.message).join(' ')).not.toContain(TOKEN)
})

test('without a project there is no stream: the job is read over REST alone, and no socket opens', async () => {
  const jobber = await setup(undefined)
  // A socket would be connecting from the first commit on: none is.
  expect(jobber.connection()).toBe('idle')
  await waitFor(() => expect(jobber.data()).toMatchObject({ status: 'processing', processedFiles: 3, totalFiles: 10, percent: 30 }))
  expect(jobber.connection()).toBe('idle')
  expect(jobber.urls).toEqual([])
})

/** Jobber as some deployments run it: numeric job ids, and an `operationSocket` written in plain JavaScript. */
const numericJobber = (operationSocket: (operationId: string, context: { projectId?: string }) => unknown): Dialect => ({
  ...jobber,
  options: { ...jobber.options, endpoints: { ...jobber.options!.endpoints, operationSocket: operationSocket as never } },
  channels: {
    operation: createOperationChannel({
      schema: z
        .object({ op: z.enum(['job.update', 'job.done', 'job.failed']), job: z.looseObject({ jobId: z.number(), done: z.number().optional(), of: z.number().optional() }) })
        .transform(({ op, job }) => ({ type: types[op], operation_id: job.jobId, processed_files: job.done, total_files: job.of })),
      parse: (body) => {
        const job = body as { state: string; done?: number; of?: number }
        return { status: toOperationStatus(job.state), processedFiles: job.done, totalFiles: job.of }
      },
    }),
  },
})

test('a numeric id in the vocabulary schema\'s output names the operation by its digits (before: it never matched, and nothing said why)', async () => {
  const jobber = await setup('P', { operationId: '7', dialect: numericJobber((_id, { projectId }) => `/jobs/stream?project=${projectId}`) })
  await waitFor(() => expect(jobber.data()).toMatchObject({ processedFiles: 3, percent: 30 }))
  await waitFor(() => expect(jobber.sockets).toHaveLength(1))
  jobber.send({ op: 'job.update', job: { jobId: 7, done: 8, of: 10 } })
  jobber.send({ op: 'job.update', job: { jobId: 70, done: 9, of: 10 } })
  // Past 2^53 a number has lost its digits in JSON.parse: it names no operation, never one that reads the same.
  jobber.send({ op: 'job.update', job: { jobId: 1234567890123456789, done: 9, of: 10 } })
  await waitFor(() => expect(jobber.data()).toMatchObject({ processedFiles: 8, percent: 80 }))
  jobber.send({ op: 'job.done', job: { jobId: 7 } })
  await waitFor(() => expect(jobber.data()).toMatchObject({ status: 'completed', percent: 100 }))
  // Neither operation 70 nor the one past 2^53 landed here, before the end or with it.
  expect(jobber.data()).toMatchObject({ processedFiles: 8 })
  expect(jobber.errors).toEqual([])
})

test.each([
  ["''", () => ''],
  ['undefined', () => undefined],
])('an operationSocket answering %s from plain JavaScript means no socket, as null does: polled, and nothing opens at the server\'s root (before: a socket at /, or a throw in render)', async (_name, operationSocket) => {
  const jobber = await setup(undefined, { operationId: '7', dialect: numericJobber(operationSocket) })
  expect(jobber.connection()).toBe('idle')
  await waitFor(() => expect(jobber.data()).toMatchObject({ status: 'processing', processedFiles: 3, percent: 30 }))
  expect(jobber.connection()).toBe('idle')
  expect(jobber.urls).toEqual([])
})
