/**
 * The meeting transcriber (Reflector): one user-level event socket whose events invalidate
 * queries (invalidate, don't patch), named by `event` rather than `type`, with the token as the
 * subprotocols `["bearer", <token>]`; a per-transcript socket that accepts without picking a
 * subprotocol.
 *
 * @example
 * ```tsx
 * import { transcriber } from 'live-status/dialects/transcriber'
 * <LiveStatusProvider apiUrl="https://reflector.example.com" dialect={transcriber} accessToken={token}>
 * ```
 */
import type { Dialect } from '../sync/clientOptions'

/** The user-level event socket. */
export const transcriberEventsSocket = '/v1/events'
/** The per-transcript socket, which replays stored events on connect. */
export const transcriptSocket = (id: string) => `/v1/transcripts/${encodeURIComponent(id)}/events`

/** The meeting transcriber's dialect. */
export const transcriber: Dialect = {
  name: 'transcriber',
  options: {
    auth: { type: 'protocol', protocols: (token) => ['bearer', token] },
    // The per-transcript socket accepts without selecting a subprotocol, which Node's `ws` refuses
    // when it offered one: offer none there (browsers would cope; this works everywhere).
    endpointOptions: (url) => (/\/v1\/transcripts\/[^/]+\/events$/.test(url) ? { auth: { type: 'none' } } : undefined),
    discriminator: 'event',
    // Its keep-alive as documented and tested before the default ping moved to the discriminator's field.
    heartbeat: { message: { type: 'ping' } },
    // A bad token on the user socket is refused before the upgrade (HTTP 403, a bare 1006 in a
    // browser): this REST check tells it from a network failure. 4401 after the upgrade: default.
    authCheckPath: '/v1/me',
  },
}
