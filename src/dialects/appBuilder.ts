/**
 * The app builder (SentryVibe): batched build state on the Next.js server's own `/ws`,
 * authenticated by the session cookie (no token), with client heartbeats the server checks.
 *
 * @example
 * ```tsx
 * import { appBuilder } from 'live-status/dialects/app-builder'
 * <LiveStatusProvider apiUrl={window.location.origin} dialect={appBuilder}>
 * ```
 */
import type { Dialect } from '../sync/clientOptions'

const heartbeat = { type: 'heartbeat' }

/** The app builder's dialect. Its build channel reads the app's own routes: define it in the app (docs/backends.md). */
export const appBuilder: Dialect = {
  name: 'app-builder',
  options: {
    // Same-origin cookie: no token, nothing appended.
    auth: { type: 'none' },
    // `batch-update {projectId, sessionId, updates}`: each update keeps the envelope's ids.
    batches: { batch: 'events', 'batch-update': 'updates' },
    // The server drops a client whose own last heartbeat is over 60 s old, however busy the
    // stream: ping every 25 s whatever the traffic, and answer each server heartbeat.
    heartbeat: { schedule: 'fixed', intervalMs: 25_000, timeoutMs: 35_000, message: heartbeat },
    reply: (message) => (message.type === 'heartbeat' ? heartbeat : undefined),
  },
}
