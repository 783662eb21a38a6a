/**
 * The same panels written the way hand-written code usually is, for comparison: every component
 * opens its own WebSocket, and every event is its own `setQueryData` (so its own render). No
 * shared socket, no batching, no schema, no polling fallback, no resume. Do not copy this.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef } from 'react'
import { CountingWebSocket } from '../meter'

const PROJECT = 'demo'
type Event = Record<string, any> & { type: string }

interface NaiveOperation {
  type: string
  status: string
  stage: string
  processed: number
  total: number
  percent: number
}

interface NaiveIndex {
  state: string
  entityCount?: number
}

const restHeaders = (token: string) => ({ Authorization: `Bearer ${token}` })

/** One socket per calling component, reopened 2 s after any close. */
function useOwnSocket(token: string | null, onEvent: (event: Event) => void) {
  const handler = useRef(onEvent)
  handler.current = onEvent
  useEffect(() => {
    if (!token) return
    let socket: WebSocket
    let retry: ReturnType<typeof setTimeout> | undefined
    let closed = false
    const open = () => {
      // The token in a first message, not in the URL (the server refuses `?token=` by default).
      socket = new CountingWebSocket(`${location.origin.replace(/^http/, 'ws')}/ws/projects/${PROJECT}`)
      socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token }))
      socket.onmessage = (message) => {
        const frame = JSON.parse(String(message.data)) as Event
        for (const event of frame.type === 'batch' ? (frame.events as Event[]) : [frame]) handler.current(event)
      }
      socket.onclose = () => {
        if (!closed) retry = setTimeout(open, 2000)
      }
    }
    open()
    return () => {
      closed = true
      clearTimeout(retry)
      socket.close()
    }
  }, [token])
}

const fromIndexRest = (body: { status: string; entity_count?: number | null }): NaiveIndex => ({
  state: body.status === 'ready' ? 'complete' : body.status,
  entityCount: body.entity_count ?? undefined,
})

export function NaiveIndexPanel({ token }: { token: string | null }) {
  const queryClient = useQueryClient()
  const key = ['naive', 'index', PROJECT]
  const { data } = useQuery({
    queryKey: key,
    enabled: !!token,
    queryFn: async () => fromIndexRest(await (await fetch(`/api/projects/${PROJECT}/index`, { headers: restHeaders(token!) })).json()),
  })
  useOwnSocket(token, (event) => {
    const state = { index_queued: 'queued', index_started: 'indexing', index_complete: 'complete', index_failed: 'failed' }[event.type as string]
    if (event.type === 'index_status') queryClient.setQueryData(key, fromIndexRest(event as never))
    else if (state) queryClient.setQueryData<NaiveIndex>(key, (old) => ({ ...old, state, entityCount: event.entity_count ?? old?.entityCount }))
  })
  return (
    <section aria-label="Project index (hand-written)">
      <h2>Project index</h2>
      <div className="row">
        <span className="badge" data-state={data?.state}>
          {data?.state ?? 'loading'}
        </span>
        {data?.entityCount !== undefined ? <span className="muted">{data.entityCount} entities</span> : null}
        <button
          style={{ marginLeft: 'auto' }}
          onClick={() => void fetch(`/api/projects/${PROJECT}/index/reindex`, { method: 'POST', headers: restHeaders(token ?? '') })}
        >
          Reindex
        </button>
      </div>
    </section>
  )
}

function applyOperationEvent(old: NaiveOperation | undefined, event: Event): NaiveOperation {
  const next: NaiveOperation = old ? { ...old } : { type: 'operation', status: 'pending', stage: '', processed: 0, total: 0, percent: 0 }
  if (event.type === 'current_state') {
    return {
      type: event.operation_type ?? next.type,
      status: event.status,
      stage: event.data?.metadata?.stage ?? event.status,
      processed: event.processed_files ?? 0,
      total: event.total_files ?? 0,
      percent: event.progress_percent ?? 0,
    }
  }
  next.stage = event.type.replace(/_/g, ' ')
  if (event.type === 'operation_started') Object.assign(next, { status: 'processing', type: event.operation_type, total: event.total_files })
  const metadata = event.data?.metadata
  const processed = event.processed ?? event.processed_files ?? metadata?.processed_files
  const total = event.total ?? event.total_files ?? metadata?.total_files
  if (typeof processed === 'number') next.processed = processed
  if (typeof total === 'number') next.total = total
  if (next.total > 0) next.percent = (100 * next.processed) / next.total
  if (event.type === 'operation_completed') Object.assign(next, { status: 'completed', stage: 'completed', percent: 100 })
  return next
}

export function NaiveOperationRow({ operationId, token }: { operationId: string; token: string | null }) {
  const queryClient = useQueryClient()
  const key = ['naive', 'operation', operationId]
  const { data } = useQuery({
    queryKey: key,
    enabled: !!token,
    queryFn: async () => {
      const body = await (await fetch(`/api/operations/${operationId}`, { headers: restHeaders(token!) })).json()
      return {
        type: body.type,
        status: body.status,
        stage: body.stage,
        processed: body.processed_files,
        total: body.total_files,
        percent: body.percent,
      } satisfies NaiveOperation
    },
  })
  useOwnSocket(token, (event) => {
    if (event.operation_id === operationId) queryClient.setQueryData<NaiveOperation>(key, (old) => applyOperationEvent(old, event))
  })
  if (!data) return <li className="muted">{operationId}: loading…</li>
  return (
    <li aria-label={`operation ${operationId}`} data-status={data.status} data-percent={Math.round(data.percent)}>
      <div className="row">
        <strong>{data.type}</strong>
        <span className="badge" data-status={data.status}>
          {data.status}
        </span>
        {data.stage !== data.status ? <span className="muted">{data.stage}</span> : null}
        <span style={{ marginLeft: 'auto' }}>{Math.round(data.percent)}%</span>
      </div>
      <progress value={data.percent} max={100} />
      <div className="muted">
        {data.processed}/{data.total} files
      </div>
    </li>
  )
}
