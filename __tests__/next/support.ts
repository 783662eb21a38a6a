import { createSseRouteHandler } from '../../src/next'
import type { SseRouteHandlerOptions } from '../../src/next/options'

export const TOKEN = 'user-secret-token-0123456789'

/** A GET as the live-status client sends it: Bearer token, event-stream accepted. */
export function streamRequest(path = '/api/live/p1', init: { headers?: Record<string, string>; signal?: AbortSignal; token?: string | null } = {}) {
  const { token = TOKEN, headers = {}, signal } = init
  return new Request(`http://app.test${path}`, {
    headers: { Accept: 'text/event-stream', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    ...(signal ? { signal } : {}),
  })
}

/** The context Next.js passes a route handler of `app/api/live/[projectId]/route.ts`. */
export const paramsOf = (projectId: string) => ({ params: Promise.resolve({ projectId }) })

/** A handler that lets `TOKEN` follow `p1` only, reporting into `errors`. */
export function handler(options: Partial<SseRouteHandlerOptions<{ id: string }>> & Pick<SseRouteHandlerOptions<{ id: string }>, 'source'>) {
  const errors: string[] = []
  const made = createSseRouteHandler<{ id: string }>({
    authenticate: (token) => (token === TOKEN ? { id: 'u1' } : null),
    authorize: (_user, projectId) => projectId === 'p1',
    onError: (message) => errors.push(message),
    ...options,
  })
  return { GET: made.GET, errors }
}

/** Reads a streamed body as text, waiting on what the test expects rather than on time. */
export function bodyReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let text = ''
  let done = false
  const more = async () => {
    const chunk = await reader.read()
    if (chunk.done) done = true
    else text += chunk.value
  }
  return {
    get text() {
      return text
    },
    /** Reads until `predicate(text)`; fails if the body ends first. */
    async until(predicate: (text: string) => boolean): Promise<string> {
      while (!predicate(text)) {
        if (done) throw new Error(`the body ended before the expected text; got:\n${text}`)
        await more()
      }
      return text
    },
    /** Reads to the end. */
    async rest(): Promise<string> {
      while (!done) await more()
      return text
    },
    cancel: () => reader.cancel(),
  }
}

/** The `data:` events of an event-stream text, parsed. */
export const dataOf = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>)

/** A promise settled from outside: what a source waits on. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** Resolves when `signal` aborts. */
export const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })))
