/**
 * The answers a route handler gives before any stream: JSON `{ detail }` as the reference server's
 * REST errors, never cached, never naming a token.
 */
export function problem(status: number, detail: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ detail }), {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
  })
}

/**
 * The headers of an event stream. `no-transform` keeps compressing middleware and proxies from
 * buffering it (Next.js's own compression skips such responses); `X-Accel-Buffering: no` does the
 * same for nginx.
 */
export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store, no-transform',
  'X-Accel-Buffering': 'no',
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(request: Request): string | null {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.get('authorization') ?? '')
  return match ? match[1]! : null
}

/** Query parameters a token is commonly sent in: refused, since URLs end up in access logs. */
const TOKEN_PARAMS = ['token', 'access_token']

export function hasTokenInUrl(url: URL): boolean {
  return TOKEN_PARAMS.some((name) => url.searchParams.has(name))
}

/**
 * The resume position: `Last-Event-ID` (what the live-status client and `EventSource` send), else
 * `?since=`. `undefined` when neither is there; `null` when one is there but not a seq.
 */
export function resumePosition(request: Request, url: URL): number | undefined | null {
  const given = (request.headers.get('last-event-id') ?? url.searchParams.get('since'))?.trim()
  if (given === undefined || given === '') return undefined
  // Any safe integer: the reference server's seqs are microsecond clocks, 16 digits today.
  const seq = /^\d{1,16}$/.test(given) ? Number(given) : NaN
  return Number.isSafeInteger(seq) ? seq : null
}
