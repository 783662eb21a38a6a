/**
 * Development-only messages of the socket layer. Called only behind
 * `process.env.NODE_ENV !== 'production'`, so production builds drop this module whole. Each
 * message names the cause and the option that fixes it, once per URL (or once) per page, however
 * many clients a page or a test makes; never a token (URLs here never carry one).
 */

import type { ResolvedHubOptions } from './options'

/** Handshakes failed in a row before opening, per connection. */
const refusals = new WeakMap<object, number>()
const warned = new Set<string>()
/** The last error message a socket's error event carried (Node's `ws` gives one; browsers none). */
const errors = new WeakMap<object, string>()

/** Says `message` once per page for `key` (in development only: callers sit behind the `NODE_ENV` check). */
export const warnOnce = (key: string, message: () => string): void => {
  if (warned.has(key)) return
  warned.add(key)
  console.warn(`[live-status] ${message()}`)
}

/** Keeps what a socket's error event says, for the warning. */
export function noteSocketError(connection: object, event: unknown): void {
  const message = (event as { message?: unknown } | null)?.message
  if (typeof message === 'string' && message) errors.set(connection, message)
}

/** A socket opened: its refusals no longer count. */
export function forgetRefusals(connection: object): void {
  refusals.delete(connection)
}

/**
 * The third handshake in a row of `url` failed before the socket opened. A browser shows a bare
 * 1006 whatever the cause, so there one plain `GET` of the same URL, without the token, asks the server why: a live-status
 * reference server answers it as the upgrade would (400 a refused project id, 503 shutting down, 403
 * a refused origin, 426 the endpoint is there and the origin allowed), and anything else answers
 * 404 for a wrong path.
 */
export function warnRefused(connection: object, url: string): void {
  const count = (refusals.get(connection) ?? 0) + 1
  refusals.set(connection, count)
  if (count !== 3 || warned.has(url)) return
  warned.add(url)
  const say = (cause: string) => console.warn(`[live-status] ${url} failed 3 times before it opened: ${cause}`)
  // Browsers only: Node's `ws` reports the server's answer itself, and nothing else asks for it.
  if (typeof document !== 'object' || typeof fetch !== 'function') {
    const error = errors.get(connection)
    return say(`${error ? `"${error}"` : 'the server refused the upgrade or could not be reached'}. A 404 means a wrong \`wsUrl\` or \`endpoints\`; a 403, an origin or token the server refuses.`)
  }
  const probe = fetch(url.replace(/^ws/i, 'http'), { method: 'GET', credentials: 'omit' })
  probe.then(
    async (response) => {
      const origin = typeof location === 'object' ? location.origin : 'this page’s origin'
      if (response.status === 404) say(`the server answers 404 there. Check \`wsUrl\` (or \`apiUrl\`, which it is derived from) and the \`endpoints\` option that makes this path.`)
      else if (response.status === 400) say(`the server answers 400 there: the project id in the URL is not one it accepts (the reference server: \`projectIdPattern\`).`)
      else if (response.status === 503) say(`the server answers 503: it is shutting down or not ready; the client keeps retrying with backoff.`)
      else if (response.status === 403) say(`the server refuses the origin ${origin}. Add it to the server's allowed origins (the reference server: \`allowedOrigins\`, or LIVE_STATUS_ALLOWED_ORIGINS).`)
      else say(`the server is there (it answered ${response.status}) and refused the upgrade, with a status browsers do not show: a token refused before it (set \`authCheckPath\` so a REST check tells), a proxy that does not pass WebSockets, or a server refusing upgrades for now (overloaded or draining: the client keeps retrying).`)
    },
    () => say(`the server could not be reached, or it does not let ${typeof location === 'object' ? location.origin : 'this origin'} read its answers (CORS). Is it running at that address? If it is, add this origin to its allowed origins (the reference server: \`allowedOrigins\`, or LIVE_STATUS_ALLOWED_ORIGINS).`),
  )
}

/** A socket is wanted while there is no token: say once what it waits for. */
export function warnNoToken(url: string): void {
  warnOnce('no-token', () => `${url} waits for an access token: nothing opens and no REST call leaves until \`<LiveStatusProvider accessToken>\` (or \`getAccessToken\`) gives one. Signing in later is fine; cookie auth needs no token: pass \`auth: { type: 'none' }\`.`)
}

/** Schemas already named as not being a Standard Schema. */
const notStandard = new WeakSet<object>()

/**
 * A subscriber's `schema` has no `~standard.validate` (zod before 3.24, an object with only
 * `safeParse`): every message then sends a bare TypeError to `onCallbackError` and is refused. Says
 * once per schema what to pass instead; changes nothing else.
 */
export function warnNotStandardSchema(schema: unknown, url: string): void {
  if ((typeof schema !== 'object' && typeof schema !== 'function') || !schema || notStandard.has(schema)) return
  try {
    if (typeof (schema as { '~standard'?: { validate?: unknown } })['~standard']?.validate === 'function') return
  } catch {
    // A `~standard` getter that throws: the decoder reports that per message; nothing to add here.
    return
  }
  notStandard.add(schema)
  console.error(
    `[live-status] the schema given for ${url} is not a Standard Schema (it has no \`~standard.validate\`; \`safeParse\` alone, as zod before 3.24 has, is no longer read): every message is refused and its TypeError goes to \`onCallbackError\`. Pass a Standard Schema validator (zod ≥ 3.24, valibot, arktype…), or wrap yours: \`{ '~standard': { version: 1, vendor: 'app', validate } }\`, where \`validate(input)\` returns \`{ value }\` or \`{ issues: [{ message }] }\`.`,
  )
}

/**
 * `heartbeat` or `resumeParam` reached a hub without the code that runs it (a plain object or a
 * string, as `LiveStatusClient` takes them, passed to a bare `SocketHub` from JavaScript): the hub
 * runs nothing for it, so say once what to pass instead rather than let a keep-alive be silently off.
 */
export function warnWithoutCode({ heartbeat, resumeParam }: ResolvedHubOptions, url: string): void {
  const without = (option: string, code: string) =>
    warnOnce(option, () => `\`${option}\` reached the SocketHub of ${url} without its code, and does nothing: a SocketHub takes \`${option}: ${code}(…)\` from 'live-status/transport' (LiveStatusClient and the provider take the plain form).`)
  if (heartbeat && typeof heartbeat.start !== 'function') without('heartbeat', 'keepAlive')
  if (resumeParam && typeof resumeParam.next !== 'function') without('resumeParam', 'resumeBySeq')
}
