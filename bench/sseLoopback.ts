/**
 * `npm run bench`, the SSE rows: events per second into the cache from a loopback SSE server, against
 * a bare `fetch` client measured side by side (runs alternating after a warm-up, medians), as
 * bench/loopback.ts does for sockets; and the server and bare client the SSE commit rows of
 * bench/run.ts use.
 *
 * The server is a process of its own (bench/sseLoopbackServer.ts) that writes the reference server's
 * framing (`id: <seq>\ndata: <frame>\n\n`, LF line ends), pre-encoded, in one write per request:
 * neither side's figures contain serving. Rates are per second of wall time, and per second of the
 * client process's CPU time (GC threads included).
 *
 * - live-status: a `LiveStatusClient` made with `sseTransport()` (default options otherwise: frame
 *   scheduler, heartbeat), one live query of the operation channel, a subscribed `QueryObserver`.
 *   Per chunk: `TextDecoder`, the package's SSE parser; per event, all of the socket path (size and
 *   nesting checks, `JSON.parse`, the channel's validator, routing, the `seq` check, the reducer per
 *   256 events, one `setQueryData` per 16 ms flush). Timed from `live()` (which sends the request)
 *   to the moment the cache holds the last event.
 * - peer: `fetch`, the body's reader, `TextDecoder` (streaming), the cheapest correct parse of this
 *   stream by hand (`indexOf('\n')` line by line: `data:` lines joined, an empty line dispatches,
 *   other lines skipped: the event-stream format for LF line ends, which is what the server writes),
 *   `JSON.parse` per event, nothing else (no validation, no cache). Timed from `fetch()` to the last
 *   event parsed. `BENCH_SSE_PEER=eventsource-parser` runs the peer on `eventsource-parser` (v3,
 *   every line ending, ids, event names) instead, for comparison.
 */
import { createParser } from 'eventsource-parser'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { operationProgressChannel } from '../src/channels/operationProgress'
import { LiveStatusClient } from '../src/sync/liveStatusClient'
import { sseTransport } from '../src/sync/sseTransport'
import { intoCache, sideBySide, timed } from './sideBySide'

export type SseStream = 'stream' | 'burst' | 'paced'
export type PeerParse = 'hand' | 'eventsource-parser'

/** Starts bench/sseLoopbackServer.ts with its three streams' frames. */
export async function startSseLoopback(frames: Record<SseStream, string[]>) {
  const server = fork(fileURLToPath(new URL('./sseLoopbackServer.ts', import.meta.url)), { stdio: 'inherit' })
  server.send(frames)
  const port = await new Promise<number>((resolve) => server.once('message', (message) => resolve(message as number)))
  return {
    port,
    apiUrl: `http://127.0.0.1:${port}`,
    url: (stream: SseStream) => `http://127.0.0.1:${port}/sse/projects/${stream}`,
    /** Sends the burst or the paced frames on the open stream of that name; resolves when the last is written. */
    go: (stream: 'burst' | 'paced') =>
      new Promise<void>((resolve, reject) => {
        server.once('message', (message) => (message === 'sent' ? resolve() : reject(new Error(`bench: the SSE server said ${String(message)}`))))
        server.send({ go: stream })
      }),
    async close() {
      server.disconnect()
      await new Promise((resolve) => server.once('exit', resolve))
    },
  }
}

/**
 * The bare client: `fetch`, `TextDecoder`, a parse by hand (or `eventsource-parser`), `onData` per
 * event. Resolves once the response has begun; `done` ends when the stream does (or is aborted).
 */
export async function bareSse(url: string, onData: (data: string) => void, signal: AbortSignal, parse: PeerParse = 'hand') {
  const response = await fetch(url, { headers: { Accept: 'text/event-stream', Authorization: 'Bearer t' }, signal })
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  const feed = parse === 'hand' ? handParser(onData) : referenceParser(onData)
  const done = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        feed(decoder.decode(value, { stream: true }))
      }
    } catch {
      // aborted
    }
  })()
  return { done }
}

/** The event-stream format for LF line ends: `data:` lines (one space dropped) joined by LF, an empty line dispatches, other lines skipped. */
export function handParser(onData: (data: string) => void) {
  let rest = ''
  let data: string | undefined
  return (chunk: string) => {
    const text = rest === '' ? chunk : rest + chunk
    let start = 0
    for (let end = text.indexOf('\n'); end !== -1; start = end + 1, end = text.indexOf('\n', start)) {
      if (end === start) {
        if (data !== undefined) onData(data)
        data = undefined
      } else if (text.startsWith('data:', start)) {
        const value = text.slice(text.charCodeAt(start + 5) === 32 ? start + 6 : start + 5, end)
        data = data === undefined ? value : `${data}\n${value}`
      }
    }
    rest = text.slice(start)
  }
}

function referenceParser(onData: (data: string) => void) {
  const parser = createParser({ onEvent: (event) => onData(event.data) })
  return (chunk: string) => parser.feed(chunk)
}

/** A live-status client over SSE as an app makes it (`sseTransport()`, default options otherwise). */
export const sseClient = (apiUrl: string) => new LiveStatusClient({ apiUrl, accessToken: 't', ...sseTransport() })

export async function benchSseLoopback(options: { total: number; frameFor: (i: number) => string; runs: number; warmup?: number; parse?: PeerParse }) {
  const { total, frameFor, runs, warmup = 3, parse = 'hand' } = options
  const server = await startSseLoopback({ stream: Array.from({ length: total }, (_, i) => frameFor(i + 1)), burst: [], paced: [] })

  const ours = () => intoCache(sseClient(server.apiUrl), total, operationProgressChannel, { operationId: 'op1', projectId: 'stream' })
  const peer = () => {
    const abort = new AbortController()
    return timed(total, async () => {
      let count = 0
      await new Promise<void>((done, failed) => {
        bareSse(
          server.url('stream'),
          (data) => {
            JSON.parse(data)
            if (++count === total) done()
          },
          abort.signal,
          parse,
        ).catch(failed)
      })
    }).finally(() => abort.abort())
  }

  return sideBySide(runs, warmup, ours, peer, () => server.close())
}

// Alone: `node --import tsx bench/sseLoopback.ts` (BENCH_RUNS, BENCH_LOOPBACK_EVENTS, BENCH_SSE_PEER).
if (process.argv[1]?.endsWith('sseLoopback.ts')) {
  const total = Number(process.env.BENCH_LOOPBACK_EVENTS ?? 100_000)
  const frameFor = (i: number) =>
    JSON.stringify({ type: 'file_completed', operation_id: 'op1', processed_files: i, total_files: total, current_file: `doc-${i}.pdf`, seq: i })
  const parse = (process.env.BENCH_SSE_PEER ?? 'hand') as PeerParse
  const r = await benchSseLoopback({ total, frameFor, runs: Number(process.env.BENCH_RUNS ?? 9), parse })
  for (const unit of ['wall', 'cpu', 'best'] as const) {
    console.log(`${unit}: live-status over SSE ${Math.round(r[unit].ours).toLocaleString('en')}/s, bare fetch (${parse} parse) ${Math.round(r[unit].peer).toLocaleString('en')}/s, ${(r[unit].ours / r[unit].peer).toFixed(2)}×`)
  }
  process.exit(0)
}
