import { createSseRouteHandler, referenceServerSource } from 'live-status/next'
import { accessToken, apiUrl, serviceToken } from '../../../settings'

// The handler and this source use web APIs only, so 'edge' works too; Next.js 16 deprecates it.
export const runtime = 'nodejs'
// One stream per request: never prerendered, never cached.
export const dynamic = 'force-dynamic'

/** A project's events as Server-Sent Events, for `LIVE_STATUS_TRANSPORT=sse` (see `settings.ts`). */
export const { GET } = createSseRouteHandler({
  // The demo's token model: the layout handed this page `accessToken()`. A real app verifies its
  // session or JWT here.
  authenticate: (token) => (token === accessToken() ? { id: 'demo-user' } : null),
  // Who may follow which project: here, everyone signed in follows the demo project only.
  authorize: (_user, projectId) => projectId === 'demo',
  // Relayed from the reference server, server to server, with this app's own token.
  source: referenceServerSource({ url: apiUrl(), token: serviceToken() }),
})
