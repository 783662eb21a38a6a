/**
 * The example's configuration, read from the server's environment at request time (the pages are
 * dynamic), so one build serves either transport.
 */

/** The reference server, as the browser and this server reach it. */
export const apiUrl = () => process.env.LIVE_STATUS_API_URL ?? 'http://127.0.0.1:4173'

/** The user's token, handed to the browser by the layout. The demo accepts `demo-token`. */
export const accessToken = () => process.env.LIVE_STATUS_TOKEN ?? 'demo-token'

/** This server's own token for the reference server (the SSE relay); never sent to the browser. */
export const serviceToken = () => process.env.LIVE_STATUS_SERVICE_TOKEN ?? 'demo-token'

export type Transport = 'websocket' | 'sse'

/**
 * How the browser follows jobs: `'websocket'`, a socket to the reference server; `'sse'`, a
 * Server-Sent Events stream from this app's own route handler (`app/api/live/[projectId]/route.ts`),
 * which relays the reference server — what a host without WebSockets (serverless) can serve.
 */
export function transport(): Transport {
  const chosen = process.env.LIVE_STATUS_TRANSPORT ?? 'websocket'
  if (chosen !== 'websocket' && chosen !== 'sse') throw new Error(`LIVE_STATUS_TRANSPORT must be 'websocket' or 'sse' (got '${chosen}')`)
  return chosen
}
