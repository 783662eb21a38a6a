import type { FetchLike } from './clientOptions'
import { joinUrl, withQuery } from './endpoints'
import { LiveStatusHttpError } from './httpError'
import { redact, redactShort } from '../transport/redact'

/** Thrown by REST calls made before a token-gated client has a token: nothing was sent. */
export class LiveStatusNoTokenError extends Error {
  constructor() {
    super(`[live-status] No access token yet: the request was not sent.${process.env.NODE_ENV !== 'production' ? ' Queries run once the provider has a token; a mutation is not sent again: disable its trigger until sign-in, or call it again then.' : ''}`)
    this.name = 'LiveStatusNoTokenError'
  }
}

/** Development only: a refused token is said once per page, not per request. */
let warnedRefusal = false
let warnedForbidden = false
let warnedUnreachable = false

/** The token each answer was asked with: an error body is masked with that one, not with the token of the moment (`getAccessToken` may rotate it). */
const sentWith = new WeakMap<Response, string | null>()

/** Development only: where a request went, for a warning: origin and path, never userinfo or the query (a signed URL's signature, an old token). */
const shown = (url: string) => {
  const { origin, pathname } = new URL(url)
  return origin + pathname
}

/** Development only: a request that got no answer at all, said once per page (never the URL's query). */
function warnUnreachable(apiUrl: string, error: unknown): void {
  if (warnedUnreachable || (error as { name?: string } | null)?.name === 'AbortError') return
  warnedUnreachable = true
  const page = typeof location === 'object' ? ` from ${location.origin}` : ''
  console.warn(`[live-status] No answer from ${apiUrl}${page} (${error instanceof Error ? error.message : String(error)}). Is the server running there? In a browser this is also what a server that does not allow this page's origin looks like (CORS): add the origin to its allowed origins (the reference server: \`allowedOrigins\`, or LIVE_STATUS_ALLOWED_ORIGINS).`)
}

/** Query parameters; `undefined` values are left out. */
export type Query = Record<string, string | undefined>

/** What the REST half needs of the client around it. */
export interface RestHost {
  apiUrl: string
  fetch: FetchLike | undefined
  authErrorStatuses: readonly number[]
  /** The token a call carries now (`null`: none). */
  resolveToken(): Promise<string | null>
  /** Whether a call without a token must not leave (the sockets need one too). */
  requiresToken(): boolean
  /** The token still in use was refused: the sockets stop retrying. */
  rejected(status: number): void
}

/**
 * Authenticated REST: the token as `Authorization: Bearer`, and a status in `authErrorStatuses`
 * for the token still in use reported (a browser cannot tell a refused handshake from a network
 * error, so REST is how the sockets learn of it). A token replaced while a call was out: its
 * refusal says nothing, the call is made again with the new one.
 */
export async function request(host: RestHost, path: string, init: RequestInit & { query?: Query } = {}): Promise<Response> {
  const { query, ...rest } = init
  const url = restUrl(host.apiUrl, path, query)
  for (let attempt = 0; ; attempt++) {
    const token = await host.resolveToken()
    if (token === null && !host.fetch && host.requiresToken()) throw new LiveStatusNoTokenError()
    let response: Response
    const customFetch = host.fetch
    if (customFetch) {
      // Called as a function: `fetch: window.fetch` throws "Illegal invocation" when called as a method.
      response = await customFetch(url, rest)
    } else {
      const headers = new Headers(rest.headers)
      if (token && !headers.has('Authorization')) headers.set('Authorization', `Bearer ${token}`)
      if (!headers.has('Accept')) headers.set('Accept', 'application/json')
      const answer = globalThis.fetch(url, { ...rest, headers })
      if (process.env.NODE_ENV !== 'production') answer.catch((error: unknown) => warnUnreachable(host.apiUrl, error))
      response = await answer
    }
    sentWith.set(response, token)
    if (!host.authErrorStatuses.includes(response.status)) {
      if (process.env.NODE_ENV !== 'production' && response.status === 403 && !warnedForbidden) {
        warnedForbidden = true
        console.warn(`[live-status] ${shown(url)} answered 403: the server knows the caller and refuses this resource (a project the token may not see), or a server that refuses this page's origin. The sockets keep the token. Should a 403 mean a refused token on your backend, add it to \`authErrorStatuses\` (default [401]).`)
      }
      return response
    }
    const current = await host.resolveToken()
    if (current !== token && current !== null && attempt < 2) continue
    if (token === current) host.rejected(response.status)
    if (process.env.NODE_ENV !== 'production' && !warnedRefusal) {
      warnedRefusal = true
      console.warn(`[live-status] ${shown(url)} answered ${response.status}: the access token was refused. Sockets stop retrying until the provider gets a new \`accessToken\` (or \`getAccessToken\` returns one). A 401 for a route that needs no token? Set \`authErrorStatuses\`.`)
    }
    throw new LiveStatusHttpError(response.status, redact(url, token), true)
  }
}

/** `GET` JSON; `null` for 404 when `allow404`. Other non-2xx answers throw `LiveStatusHttpError`. */
export async function getJson(host: RestHost, path: string, options: { query?: Query; signal?: AbortSignal; allow404?: boolean } = {}): Promise<unknown> {
  const response = await request(host, path, { method: 'GET', query: options.query, signal: options.signal })
  if (response.status === 404 && options.allow404) return null
  if (!response.ok) throw await httpError(host, response, path, options.query)
  try {
    return await response.json()
  } catch (error) {
    // The parser's message quotes the body, which may echo the token: say what, not what it read.
    if (options.signal?.aborted) throw error
    throw new Error(`[live-status] ${restUrl(host.apiUrl, path, options.query)} answered ${response.status} with a body that is not JSON.`)
  }
}

/**
 * A command: `body` sent as JSON (`POST` unless `method` says otherwise); the answer's JSON, or
 * `undefined` when it has none (202, 204) or it is not JSON. Non-2xx answers throw `LiveStatusHttpError` carrying the
 * start of the body, token masked.
 */
export async function sendJson(host: RestHost, path: string, options: { method?: string; body?: unknown; query?: Query; signal?: AbortSignal } = {}): Promise<unknown> {
  const response = await request(host, path, {
    method: options.method ?? 'POST',
    query: options.query,
    signal: options.signal,
    ...(options.body !== undefined && { body: JSON.stringify(options.body), headers: { 'Content-Type': 'application/json' } }),
  })
  if (!response.ok) throw await httpError(host, response, path, options.query)
  // A 2xx that is not JSON (a backend's bare "OK") carried no answer: the command went through.
  try {
    return JSON.parse(await response.text())
  } catch {
    return undefined
  }
}

const httpError = async (host: RestHost, response: Response, path: string, query?: Query) =>
  new LiveStatusHttpError(response.status, restUrl(host.apiUrl, path, query), false, await safeText(response, sentWith.has(response) ? sentWith.get(response)! : await host.resolveToken()))

/** A REST path (or absolute URL) resolved against `apiUrl`, with query parameters. */
export const restUrl = (apiUrl: string, path: string, query?: Query): string => withQuery(joinUrl(apiUrl, path), query)

/** The start of an error body, for the error message: a server may echo the token. */
async function safeText(response: Response, token: string | null): Promise<string | undefined> {
  try {
    return redactShort(await response.text(), token) || undefined
  } catch {
    return undefined
  }
}
