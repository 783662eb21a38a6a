/**
 * A dialect's schema decides what the channel reads (`OperationVocabulary.schema`): its output for
 * one message may be something the channel's route cannot read (null, an id getter that throws).
 * That event is reported to `onCallbackError`; the frame's other events still reach every query
 * (an attacker's probe lost them all: the first bad event ended the frame's delivery).
 */
import { QueryClient } from '@tanstack/query-core'
import { afterEach, expect, test, vi } from 'vitest'
import { createOperationChannel, defineChannel, LiveStatusClient, liveStatusKeys, operationProgressChannel, type LiveStatusClientOptions, type OperationProgress, type StandardSchemaV1 } from '../../src/core'
import { looseObject, number, oneOf } from '../../src/sync/validate'
import { createMockLiveBackend } from '../../src/testing'

const TOKEN = 'router-token-0123456789'
const undo: (() => void)[] = []
afterEach(() => undo.splice(0).forEach((run) => run()))

/** Reference events as they are; `{ odd: 'null' }` becomes null, `{ odd: 'getter' }` an object whose id getter throws. */
const odd: StandardSchemaV1<unknown, any> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) => {
      const message = value as { odd?: string }
      if (message.odd === 'null') return { value: null }
      if (message.odd === 'getter')
        return {
          value: {
            type: 'operation_progress',
            get operation_id(): string {
              throw new Error('no id here')
            },
          },
        }
      return { value }
    },
  },
}

/**
 * A client on a mock backend with a socket at `socket`, its flushes run by the test
 * (`flushNow`), its callback errors collected.
 */
async function setup(socket: string, options: Partial<LiveStatusClientOptions> = {}) {
  const backend = createMockLiveBackend()
  backend.socketAt(socket)
  const errors: unknown[] = []
  let flush: (() => void) | undefined
  const client = new LiveStatusClient({
    apiUrl: backend.apiUrl,
    accessToken: TOKEN,
    WebSocket: backend.WebSocket,
    fetch: backend.fetch,
    onCallbackError: (error) => errors.push(error),
    scheduleFlush: (run) => {
      flush = run
      return () => (flush = undefined)
    },
    ...options,
  })
  const queryClient = new QueryClient()
  undo.push(() => client.dispose(), () => backend.dispose())
  /** Once the socket is open, sends `message` and runs the flush it schedules. */
  const deliver = async (message: unknown) => {
    await vi.waitFor(() => expect(client.socketStatus(backend.wsUrl + socket)?.state).toBe('open'))
    backend.send(socket, message)
    await vi.waitFor(() => expect(flush).toBeDefined())
    flush!()
  }
  return { backend, client, queryClient, errors, deliver }
}

test('an event the route cannot read is reported; the rest of the frame reaches every query', async () => {
  const socket = '/ws/projects/p1'
  const { backend, client, queryClient, errors, deliver } = await setup(socket, {
    dialect: { name: 'odd', channels: { operation: createOperationChannel({ schema: odd }) } },
  })
  for (const id of ['a', 'b']) backend.route('GET', `/api/operations/${id}`, { status: 200, body: { id, status: 'processing', processed_files: 0, total_files: 10 } })
  const channel = client.channel(operationProgressChannel)
  for (const operationId of ['a', 'b']) {
    await queryClient.fetchQuery({ queryKey: liveStatusKeys.operation(operationId), queryFn: ({ signal }) => client.fetchLive(queryClient, channel, { operationId, projectId: 'p1' }, signal) })
    undo.push(client.live(queryClient, channel, { operationId, projectId: 'p1' }))
  }
  await deliver({
    type: 'batch',
    events: [
      { type: 'operation_progress', operation_id: 'a', processed_files: 1, total_files: 10 },
      { odd: 'null' },
      { type: 'operation_progress', operation_id: 'a', processed_files: 5, total_files: 10 },
      { odd: 'getter' },
      { type: 'operation_progress', operation_id: 'b', processed_files: 7, total_files: 10 },
    ],
  })
  const row = (id: string) => queryClient.getQueryData<OperationProgress>(liveStatusKeys.operation(id))
  expect(row('a')).toMatchObject({ processedFiles: 5 })
  expect(row('b')).toMatchObject({ processedFiles: 7 })
  expect(errors).toHaveLength(2)
  expect(errors.map((error) => String(error))).not.toContain(TOKEN)
})

test("one query's throw on an event costs neither its other events nor the other queries that event", async () => {
  const socket = '/ws/lint'
  const { client, queryClient, errors, deliver } = await setup(socket)
  type Lint = { type: 'lint'; n: number; boom?: boolean }
  const channel = defineChannel<{ id: string }, Lint, number[]>({
    name: 'lint',
    queryKey: ({ id }) => ['lint', id],
    socket: () => socket,
    schema: looseObject({ type: oneOf(['lint'] as const), n: number }) as never,
    // No route: every query sees every event. Query `a` throws on the `boom` event.
    matches: (event, { id }) => {
      if (id === 'a' && event.boom) throw new Error('a cannot read this one')
      return true
    },
    reduce: (data, event) => [...(data ?? []), event.n],
    fetch: async ({ previous }) => previous ?? [],
    isActive: () => true,
  })
  for (const id of ['a', 'b']) {
    await queryClient.fetchQuery({ queryKey: ['lint', id], queryFn: ({ signal }) => client.fetchLive(queryClient, channel, { id }, signal) })
    undo.push(client.live(queryClient, channel, { id }))
  }
  await deliver({ type: 'batch', events: [{ type: 'lint', n: 1, boom: true }, { type: 'lint', n: 2 }] })
  expect(queryClient.getQueryData(['lint', 'a'])).toEqual([2])
  expect(queryClient.getQueryData(['lint', 'b'])).toEqual([1, 2])
  expect(errors).toHaveLength(1)
})
