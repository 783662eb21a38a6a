/**
 * `npm run bench`, section 5: events per second into the cache from a loopback `ws` server, against
 * a bare `ws` client measured side by side (runs alternating after a warm-up, medians).
 *
 * The server is a process of its own (bench/loopbackServer.ts) that writes its frames pre-encoded,
 * in one socket write per run: neither side's figures contain serving. Until this was so the server
 * ran on the measured client's event loop, and its `send()` calls were timed into both sides, which
 * pulled the ratio towards 1 (0.65–0.76× where a separate server gave 0.41–0.44×). Runs are 100,000
 * events (were 20,000): a steady stream, where connecting and the last flush weigh little. Rates
 * are per second of wall time, and per second of the client process's CPU time (GC threads
 * included), which other load on the machine disturbs less.
 *
 * - live-status: a `LiveStatusClient` as an app makes it (default options: frame scheduler, heartbeat),
 *   one live query of the operation channel, a `QueryObserver` subscribed as a mounted component's
 *   would be. Per frame: size and nesting checks, `JSON.parse`, the channel's zod schema, routing,
 *   the `seq` check; the reducer per 256 events; per flush (16 ms), one `setQueryData`. Timed from
 *   `live()` (which opens the socket) to the moment the cache holds the last event.
 * - peer: a bare `ws` client that `JSON.parse`s each message and does nothing else (no validation,
 *   no cache). Timed from `new WebSocket()` to the last message parsed.
 * Both get the same frames (`file_completed`, ~130 bytes, one event per frame, as the reference
 * server sends them) after the same first message.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { WebSocket as WsWebSocket } from 'ws'
import { operationProgressChannel } from '../src/channels/operationProgress'
import { LiveStatusClient } from '../src/sync/liveStatusClient'
import { intoCache, sideBySide, timed } from './sideBySide'

export async function benchLoopback(options: { total: number; frameFor: (i: number) => string; runs: number; warmup?: number }) {
  const { total, frameFor, runs, warmup = 3 } = options
  const server = fork(fileURLToPath(new URL('./loopbackServer.ts', import.meta.url)), { stdio: 'inherit' })
  server.send(Array.from({ length: total }, (_, i) => frameFor(i + 1)))
  const port = await new Promise<number>((resolve) => server.once('message', (message) => resolve(message as number)))

  const ours = () =>
    intoCache(
      new LiveStatusClient({ apiUrl: `http://127.0.0.1:${port}`, accessToken: 't', WebSocket: WsWebSocket }),
      total,
      { ...operationProgressChannel, socket: () => '/bench', onOpen: ({ send }) => void send({ type: 'go' }) },
    )
  const peer = () => {
    let socket: WsWebSocket | undefined
    return timed(total, async () => {
      let count = 0
      await new Promise<void>((done) => {
        socket = new WsWebSocket(`ws://127.0.0.1:${port}/bench`)
        socket.on('open', () => socket!.send('{"type":"go"}'))
        socket.on('message', (data) => {
          JSON.parse(String(data))
          if (++count === total) done()
        })
      })
    }).finally(() => socket?.close())
  }

  return sideBySide(runs, warmup, ours, peer, async () => {
    server.disconnect()
    await new Promise((resolve) => server.once('exit', resolve))
  })
}

// Alone: `node --import tsx bench/loopback.ts` (BENCH_RUNS, BENCH_LOOPBACK_EVENTS).
if (process.argv[1]?.endsWith('loopback.ts')) {
  const total = Number(process.env.BENCH_LOOPBACK_EVENTS ?? 100_000)
  const frameFor = (i: number) =>
    JSON.stringify({ type: 'file_completed', operation_id: 'op1', processed_files: i, total_files: total, current_file: `doc-${i}.pdf`, seq: i })
  const r = await benchLoopback({ total, frameFor, runs: Number(process.env.BENCH_RUNS ?? 9) })
  for (const unit of ['wall', 'cpu', 'best'] as const) {
    console.log(`${unit}: live-status ${Math.round(r[unit].ours).toLocaleString('en')}/s, bare ws ${Math.round(r[unit].peer).toLocaleString('en')}/s, ${(r[unit].ours / r[unit].peer).toFixed(2)}×`)
  }
  process.exit(0)
}
