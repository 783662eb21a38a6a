/**
 * SentryVibe (app builder): batched build state on the Next.js server's own `/ws`, authenticated by
 * the session cookie (no token), with client heartbeats the server checks. See docs/backends.md.
 */
import { z } from 'zod'
import { ConnectionStatus, defineChannel, LiveStatusProvider, useLiveQuery, type LiveStatusClientOptions } from '../../src'
import { appBuilder } from '../../src/dialects/appBuilder'

/** Each update of a `batch-update`, with the envelope's `projectId` / `sessionId` merged in. */
export const buildUpdateSchema = z.looseObject({
  type: z.string(),
  data: z.unknown().optional(),
  timestamp: z.string().optional(),
  projectId: z.string().optional(),
  sessionId: z.string().optional(),
})
export type BuildUpdate = z.infer<typeof buildUpdateSchema>

export interface BuildSession {
  status: 'building' | 'completed' | 'failed'
  updates: number
  /** Revived from the server's ISO string. */
  lastUpdateAt?: Date
  last?: { type: string; data: unknown }
}
export interface BuildState {
  sessions: Record<string, BuildSession>
}

export interface BuildParams {
  projectId: string
  sessionId: string
}

export const buildSocket = ({ projectId, sessionId }: BuildParams) =>
  `/ws?projectId=${encodeURIComponent(projectId)}&sessionId=${encodeURIComponent(sessionId)}`

const finished: Record<string, BuildSession['status']> = { 'build-complete': 'completed', 'build-failed': 'failed' }

export const buildChannel = defineChannel<BuildParams, BuildUpdate, BuildState>({
  name: 'sentryvibe-build',
  queryKey: ({ projectId }) => ['sentryvibe', 'build', projectId],
  socket: (_client, params) => buildSocket(params),
  schema: buildUpdateSchema,
  reduce: (data, update, { params, scratch }) => {
    if (update.type === 'connected' || update.type === 'state-recovery-failed') return data
    // The server may send an update twice (a batch and a state recovery): drop repeats.
    const seen = (scratch.seen ??= new Set<string>()) as Set<string>
    const key = `${update.sessionId}|${update.type}|${update.timestamp}|${JSON.stringify(update.data)}`
    if (seen.has(key)) return data
    seen.add(key)
    if (seen.size > 1000) seen.delete(seen.values().next().value!)
    const sessionId = update.sessionId ?? params.sessionId
    const before = data?.sessions[sessionId] ?? { status: 'building', updates: 0 }
    const session: BuildSession = {
      status: finished[update.type] ?? before.status,
      updates: before.updates + 1,
      lastUpdateAt: update.timestamp ? new Date(update.timestamp) : before.lastUpdateAt,
      last: { type: update.type, data: update.data },
    }
    return { sessions: { ...data?.sessions, [sessionId]: session } }
  },
  // Hydrate from the app's own database route on mount; live updates are applied on top.
  fetch: async ({ client, params, signal, previous }) => {
    const body = (await client.getJson(`/api/projects/${encodeURIComponent(params.projectId)}/build-state`, { signal, allow404: true })) as BuildState | null
    return { sessions: { ...body?.sessions, ...previous?.sessions } }
  },
  isActive: (data) => Object.values(data?.sessions ?? {}).some((session) => session.status === 'building'),
  // Ask for the current state right after open (and after every reconnect).
  onOpen: ({ send }) => void send({ type: 'get-state' }),
})

/**
 * Everything the app builder needs is its dialect: cookie auth (no token; sign-out = unmount the
 * provider), its `batch-update` envelope, client heartbeats. Cross-origin instead of same-origin?
 * Pass a `fetch` that sets `credentials: 'include'`.
 */
export function sentryVibeOptions(origin: string): LiveStatusClientOptions {
  return { apiUrl: origin, dialect: appBuilder }
}

export function BuildIndicator({ projectId, sessionId }: BuildParams) {
  const { data, connection, send } = useLiveQuery(buildChannel, { projectId, sessionId })
  const session = data?.sessions[sessionId]
  // Shown only while a build is active: hidden when connected, "Reconnecting…", "Disconnected", or an error with Retry.
  if (session?.status !== 'building') return null
  return (
    <div>
      <ConnectionStatus target={buildSocket({ projectId, sessionId })} />
      <span>{session.last?.type}</span>
      <button onClick={() => send({ type: 'get-state' })} disabled={connection.state !== 'open'}>
        Refresh
      </button>
    </div>
  )
}

export function SentryVibeApp() {
  return (
    <LiveStatusProvider {...sentryVibeOptions(typeof window === 'undefined' ? 'http://localhost:3000' : window.location.origin)}>
      <BuildIndicator projectId="app1" sessionId="s1" />
    </LiveStatusProvider>
  )
}
