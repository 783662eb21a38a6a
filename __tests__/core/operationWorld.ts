/**
 * A small, fully controlled world for the operation channel's model tests: one server-side state,
 * one socket per URL whose frames are delivered when the schedule says, REST requests that are
 * answered when the schedule says (with the body the server had when the request arrived), and the
 * cache writer's flushes run by hand. Fake timers only; nothing waits on the real clock.
 */
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { vi } from 'vitest'
import { LiveStatusClient, operationProgressChannel, type OperationProgress } from '../../src/core'
import type { WebSocketLike } from '../../src/transport/types'
import { fakeSource } from '../helpers/fakeSources'
import { documentIndexer } from '../../src/dialects/documentIndexer'

export type Frame = Record<string, unknown>
export type RestBody = { status: number; body?: unknown }

interface PendingRest {
  answer: RestBody
  resolve: (response: Response) => void
  reject: (error: unknown) => void
  settled: boolean
}

export interface OperationWorld {
  readonly client: LiveStatusClient
  readonly queryClient: QueryClient
  /** Every distinct cache value, in order. */
  readonly history: OperationProgress[]
  /** Frames the server sent on the open socket and not yet delivered. */
  readonly inbox: Frame[]
  /** REST requests made so far. */
  fetches(): number
  /** REST requests not answered yet. */
  pending(): number
  /** The server publishes on the operation's socket (delivered later). */
  publish(frame: Frame): void
  /** Delivers up to `count` frames. */
  deliver(count?: number): void
  /** Runs the cache writer's waiting flush, if any. */
  flush(): void
  /** Answers one waiting REST request (by index among the open ones, modulo), or all. */
  answer(index?: number): void
  answerAll(): void
  refetch(): void
  data(): OperationProgress | undefined
  /**
   * Delivers, flushes and answers until nothing is left, letting timers run `ms` between rounds;
   * with `untilIdle: false`, for all `rounds` (so timers armed for later fire too).
   */
  settle(options?: { rounds?: number; ms?: number; untilIdle?: boolean }): Promise<void>
  dispose(): void
}

export const SOCKET_PATH = '/ws/operations/op1'
const STATUS_PATH = '/api/v2/operations/op1'

/**
 * @param rest the server's REST answer for `GET /api/v2/operations/op1`, computed when a request
 * arrives (so a request made before a change answers with what the server had then).
 */
export async function createOperationWorld(rest: () => RestBody, options: { quietCheckMs?: number | false } = {}): Promise<OperationWorld> {
  const sockets: FakeSocket[] = []
  const pendingRest: PendingRest[] = []
  let fetchCount = 0
  let scheduled: (() => void) | undefined

  class FakeSocket implements WebSocketLike {
    readyState = 0
    protocol = ''
    onopen: WebSocketLike['onopen'] = null
    onmessage: WebSocketLike['onmessage'] = null
    onerror: WebSocketLike['onerror'] = null
    onclose: WebSocketLike['onclose'] = null
    inbox: Frame[] = []
    constructor(readonly url: string) {
      sockets.push(this)
      queueMicrotask(() => {
        if (this.readyState !== 0) return
        this.readyState = 1
        this.onopen?.({})
      })
    }
    send() {}
    close(code = 1000) {
      if (this.readyState === 3) return
      this.readyState = 3
      this.onclose?.({ code, reason: '', wasClean: true })
    }
  }
  const openSocket = () => sockets.find((s) => s.readyState === 1 && new URL(s.url).pathname === SOCKET_PATH)

  const fetch = (input: string, init?: RequestInit): Promise<Response> => {
    fetchCount++
    const path = new URL(input).pathname
    const answer: RestBody = path === STATUS_PATH ? rest() : { status: 404 }
    return new Promise<Response>((resolve, reject) => {
      const pending: PendingRest = { answer, resolve, reject, settled: false }
      pendingRest.push(pending)
      init?.signal?.addEventListener('abort', () => {
        pending.settled = true
        reject(new DOMException('aborted', 'AbortError'))
      })
    })
  }
  const respond = (pending: PendingRest) => {
    if (pending.settled) return
    pending.settled = true
    const { status, body } = pending.answer
    pending.resolve(new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }))
  }

  const client = new LiveStatusClient({
    apiUrl: 'http://world.test',
    accessToken: 't',
    WebSocket: FakeSocket,
    fetch,
    // The document indexer: per-operation sockets, its REST route, its vocabulary.
    dialect: documentIndexer,
    heartbeat: false,
    quietCheckMs: options.quietCheckMs ?? 30_000,
    onlineManager: fakeSource(true),
    focusManager: fakeSource(true),
    random: () => 0.5,
    scheduleFlush: (flush) => {
      scheduled = flush
      return () => {
        if (scheduled === flush) scheduled = undefined
      }
    },
  })
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: 2, retryDelay: 100, gcTime: Infinity, staleTime: 0 } } })
  const params = { operationId: 'op1' }
  const queryKey = operationProgressChannel.queryKey(params)
  const release = client.live(queryClient, operationProgressChannel, params)
  const observer = new QueryObserver<OperationProgress>(queryClient, {
    queryKey,
    queryFn: ({ signal }) => client.fetchLive(queryClient, operationProgressChannel, params, signal),
  })
  const history: OperationProgress[] = []
  const record = () => {
    const data = queryClient.getQueryData<OperationProgress>(queryKey)
    if (data !== undefined && history[history.length - 1] !== data) history.push(data)
  }
  const offCache = queryClient.getQueryCache().subscribe(record)
  const offObserver = observer.subscribe(() => {})
  const micro = () => vi.advanceTimersByTimeAsync(0)
  await micro()

  const world: OperationWorld = {
    client,
    queryClient,
    history,
    get inbox() {
      return openSocket()?.inbox ?? []
    },
    fetches: () => fetchCount,
    pending: () => pendingRest.filter((p) => !p.settled).length,
    publish(frame) {
      openSocket()?.inbox.push(frame)
    },
    deliver(count = Infinity) {
      const socket = openSocket()
      if (!socket) return
      for (const frame of socket.inbox.splice(0, count)) socket.onmessage?.({ data: JSON.stringify(frame) })
    },
    flush() {
      const flush = scheduled
      scheduled = undefined
      flush?.()
    },
    answer(index = 0) {
      const open = pendingRest.filter((p) => !p.settled)
      const pick = open[index % Math.max(1, open.length)]
      if (pick) respond(pick)
    },
    answerAll() {
      for (const pending of [...pendingRest]) respond(pending)
    },
    refetch() {
      void queryClient.refetchQueries({ queryKey })
    },
    data: () => queryClient.getQueryData<OperationProgress>(queryKey),
    async settle({ rounds = 12, ms = 1000, untilIdle = true } = {}) {
      for (let round = 0; round < rounds; round++) {
        world.deliver()
        await micro()
        world.flush()
        await micro()
        world.answerAll()
        await micro()
        world.flush()
        await vi.advanceTimersByTimeAsync(ms)
        if (untilIdle && world.pending() === 0 && world.inbox.length === 0 && scheduled === undefined && round > 0) {
          await vi.advanceTimersByTimeAsync(ms)
          if (world.pending() === 0) break
        }
      }
      record()
    },
    dispose() {
      offObserver()
      offCache()
      release()
      client.dispose()
      queryClient.clear()
    },
  }
  return world
}
