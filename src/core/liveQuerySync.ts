import { notifyManager, type QueryClient, type QueryKey } from '@tanstack/query-core'
import type { ChannelDefinition } from './defineChannel'
import type { LiveStatusClient } from './liveStatusClient'
import type { Lease } from './socketHub'

const seqOf = (event: unknown): number | undefined => {
  const seq = (event as { seq?: unknown } | null)?.seq
  return typeof seq === 'number' && Number.isFinite(seq) ? seq : undefined
}

/**
 * The one place that writes events into the query cache. For one live query: holds the socket,
 * buffers the events of a tick, reduces them into the cached data in one `setQueryData`, drops
 * repeated or old `seq`, invalidates once when the job reaches its end, and refetches after a
 * reconnect (events may have been missed while the socket was down).
 */
export class LiveQuerySync<TParams, TEvent, TData> {
  #queryClient: QueryClient
  #client: LiveStatusClient
  #channel: ChannelDefinition<TParams, TEvent, TData>
  #params: TParams
  #queryKey: QueryKey
  #lease: Lease | undefined
  #pending: TEvent[] = []
  #flushScheduled = false
  #lastSeq = -Infinity
  #scratch: Record<string, unknown> = {}
  #dedicatedSocket = false
  #stopped = false

  constructor(queryClient: QueryClient, client: LiveStatusClient, channel: ChannelDefinition<TParams, TEvent, TData>, params: TParams) {
    this.#queryClient = queryClient
    this.#client = client
    this.#channel = channel
    this.#params = params
    this.#queryKey = channel.queryKey(params)
  }

  start(): void {
    const path = this.#channel.socket(this.#client, this.#params)
    if (path === null) return
    const url = this.#client.socketUrl(path)
    this.#dedicatedSocket = isDedicated(this.#client, this.#channel.socket, this.#params, path)
    this.#lease = this.#client.hub.acquire<TEvent>(url, {
      schema: this.#channel.schema,
      discriminator: this.#channel.discriminator,
      onEvents: (events) => this.#enqueue(events),
      onOpen: ({ reconnected }) => {
        const connection = this.#lease?.connection
        this.#channel.onOpen?.({ params: this.#params, reconnected, send: (message) => connection?.send(message) ?? false })
        if (reconnected) void this.#queryClient.invalidateQueries({ queryKey: this.#queryKey, exact: true })
      },
    })
  }

  stop(): void {
    this.#stopped = true
    this.#lease?.release()
    this.#lease = undefined
    this.#pending = []
  }

  #enqueue(events: TEvent[]): void {
    for (const event of events) this.#pending.push(event)
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    // Everything that arrives in one tick becomes one cache write, hence one render.
    queueMicrotask(() => {
      this.#flushScheduled = false
      if (!this.#stopped) this.#flush()
    })
  }

  #flush(): void {
    const events = this.#pending
    this.#pending = []
    const channel = this.#channel
    const before = this.#queryClient.getQueryData<TData>(this.#queryKey)
    let data = before
    const context = { params: this.#params, now: Date.now(), scratch: this.#scratch }
    for (const event of events) {
      if (channel.matches && !channel.matches(event, this.#params, { dedicatedSocket: this.#dedicatedSocket })) continue
      const seq = channel.seq ? channel.seq(event) : seqOf(event)
      if (seq !== undefined) {
        if (seq <= this.#lastSeq) continue
        this.#lastSeq = seq
      }
      data = channel.reduce(data, event, context)
    }
    if (data === before || data === undefined) return
    const finished = channel.isTerminal?.(data) === true && channel.isTerminal(before) !== true
    notifyManager.batch(() => {
      this.#queryClient.setQueryData<TData>(this.#queryKey, data)
      if (finished) void this.#queryClient.invalidateQueries({ queryKey: this.#queryKey, exact: true })
    })
  }
}

/**
 * A socket is dedicated to this query when its URL depends on the query's own id: then events
 * that name no id are ours. Found by asking the endpoint for a different id.
 */
function isDedicated<TParams>(
  client: LiveStatusClient,
  socket: (client: LiveStatusClient, params: TParams) => string | null,
  params: TParams,
  path: string,
): boolean {
  if (typeof params !== 'object' || params === null) return false
  const probe = { ...(params as object) } as Record<string, unknown>
  let changed = false
  for (const key of ['operationId', 'scanId', 'projectId', 'id']) {
    if (typeof probe[key] === 'string') {
      probe[key] = `${probe[key] as string}\u0000other`
      changed = true
      break
    }
  }
  if (!changed) return false
  try {
    return socket(client, probe as TParams) !== path
  } catch {
    return false
  }
}
