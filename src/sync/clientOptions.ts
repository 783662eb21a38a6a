import type { ChannelDefinition } from './defineChannel'
import type { Endpoints } from './endpoints'
import type { ScheduleFlush } from './flushScheduler'
import type { AccessToken, EndpointOptions, HeartbeatOptions, ResumeParam, SocketHubOptions } from '../transport/options'

/** `fetch` as REST calls use it. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

/**
 * One endpoint's overrides (`endpointOptions`), with `heartbeat` and `resumeParam` in the client's
 * plain forms (as `SocketHub` takes them too: `keepAlive()`, `resumeBySeq()`).
 */
export interface ClientEndpointOptions extends Omit<EndpointOptions, 'heartbeat' | 'resumeParam'> {
  /**
   * This endpoint's keep-alive: its fields over `defaultHeartbeat` (not over the client's
   * `heartbeat`), or `false` for none.
   * @default the client's `heartbeat`
   */
  heartbeat?: HeartbeatOptions | false
  /** This endpoint's resume parameter (`'since'`), or a `resumeBySeq()`. @default the client's `resumeParam` */
  resumeParam?: string | ResumeParam
}

/** Options of a `LiveStatusClient`, which is what `<LiveStatusProvider>` creates from its props. */
export interface LiveStatusClientOptions
  extends Omit<SocketHubOptions, 'token' | 'getToken' | 'heartbeat' | 'resumeParam' | 'endpointOptions'> {
  /** REST base URL, e.g. `https://api.example.com`. */
  apiUrl: string
  /** WebSocket base URL. @default `apiUrl` with http→ws, https→wss */
  wsUrl?: string
  /** The access token; no socket opens until it is present. @default undefined */
  accessToken?: AccessToken
  /** Asked before every connect and every REST call; wins over `accessToken`. @default undefined */
  getAccessToken?: () => AccessToken | Promise<AccessToken>
  /** URL builders per channel. @default the dialect's, else the reference server's (`defaultEndpoints`) */
  endpoints?: Partial<Endpoints>
  /**
   * The backend's dialect (`live-status/dialects/…`): its endpoints, connection options and channel
   * variants, under the options given here. Omitted: the reference server's protocol.
   * @default undefined
   */
  dialect?: Dialect
  /**
   * Keep-alive, finding sockets that died without a close frame (half-open): a plain object
   * (`{ intervalMs: 10_000 }`, its fields over `defaultHeartbeat`, and over a dialect's field by
   * field) or a `keepAlive()`; `false` turns it off. On by default here, unlike on a bare
   * `SocketHub`: the client carries the code either way.
   * @default `defaultHeartbeat`: a ping (`{ type: 'ping' }`, in the `discriminator`'s field) after 25 s of silence, 10 s for anything to arrive
   */
  heartbeat?: HeartbeatOptions | false
  /**
   * Query parameter through which a reconnect asks the server for what it missed: the highest
   * `seq` a live query took (the reference server's `since`), or a `resumeBySeq()`. Off unless set.
   * @default undefined
   */
  resumeParam?: string | ResumeParam
  /**
   * Options for some endpoints only, by socket URL (see `SocketHubOptions.endpointOptions`), with
   * `heartbeat` and `resumeParam` in this client's forms.
   * @default undefined
   */
  endpointOptions?: (url: string) => ClientEndpointOptions | undefined
  /** How often an active job is polled over REST while its socket is not open. @default 5000 */
  pollIntervalMs?: number
  /**
   * `fetch` for REST calls. The default is `globalThis.fetch` with `Authorization: Bearer <token>`;
   * a custom one receives the request without that header and handles auth itself.
   * @default bearer-token fetch
   */
  fetch?: FetchLike
  /** REST statuses that mean "this token is rejected": the sockets stop retrying too. @default [401] */
  authErrorStatuses?: readonly number[]
  /**
   * A REST path fetched (`GET`, with the token) each time a socket fails before it opens. Servers
   * that refuse a bad token before the upgrade (HTTP 401/403) look like a network failure to a
   * browser (close 1006): this check tells them apart, and an answer in `authErrorStatuses` puts
   * every socket in `unauthorized` instead of retrying to the budget. Pick a cheap endpoint that
   * needs the same token (`/api/v1/me`, the job's status).
   * @default null (no check: refusals look like network failures until some REST call says 401)
   */
  authCheckPath?: string | null
  /**
   * An active job whose open socket has said nothing about it for this long is checked over REST:
   * some backends end a job without publishing anything (a worker that fails and only writes its
   * database). `false` turns the check off.
   * @default 30000
   */
  quietCheckMs?: number | false
  /**
   * When waiting events are written into the cache: once per animation frame in a browser (a 100 ms
   * timer stands in while the tab is hidden), every 16 ms elsewhere. Tests may pass
   * `(flush) => { queueMicrotask(flush); return () => {} }`.
   * @default once per animation frame (a 100 ms timer while the tab is hidden; 16 ms without `requestAnimationFrame`)
   */
  scheduleFlush?: ScheduleFlush
}

/**
 * What one backend needs beyond the reference server's protocol, in one object an app passes as
 * `dialect`: URL builders, how its sockets authenticate and close, and its variants of the built-in
 * channels (by channel name: `operation`, `index`, `scan`). Adding a backend means writing one of
 * these (see docs/backends.md); nothing in the transport or sync layers changes.
 */
export interface Dialect {
  /** For messages and devtools. */
  name: string
  /** Client options this backend needs (endpoints, auth, close codes, heartbeat, …); the app's own options win. @default undefined */
  options?: Partial<Omit<LiveStatusClientOptions, 'dialect' | 'apiUrl' | 'accessToken' | 'getAccessToken'>>
  /** Channels used instead of the built-in ones of the same `name`. @default undefined */
  channels?: Readonly<Record<string, ChannelDefinition<any, any, any>>>
}

/** The sync layer's defaults, in one place. */
export const syncDefaults = {
  // On (`defaultHeartbeat`), unlike a bare hub's: what the provider always did, and its code is bundled here anyway.
  heartbeat: {} as HeartbeatOptions | false,
  pollIntervalMs: 5000,
  authErrorStatuses: [401] as readonly number[],
  quietCheckMs: 30_000 as number | false,
}
