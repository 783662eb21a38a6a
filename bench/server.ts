/**
 * `npm run bench`, server section: one server process, 10,000 concurrent clients (opened by a child
 * process, so neither side runs out of file descriptors), a 1,000-event burst to all of them.
 * Against a bare `ws` broadcast of the same batches (the ws README's loop over `wss.clients`)
 * measured in the same run, rounds alternating. Reports delivery rate, p50/p99 publish-to-receive latency, memory per idle connection.
 * Env: BENCH_SERVER_CLIENTS (10000), BENCH_SERVER_EVENTS (1000), BENCH_SERVER_ROUNDS (3).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { WebSocket, WebSocketServer } from 'ws'
import { createLiveStatusServer } from '../src/server'

const CLIENTS = Number(process.env.BENCH_SERVER_CLIENTS ?? 10_000)
const EVENTS = Number(process.env.BENCH_SERVER_EVENTS ?? 1000)
const ROUNDS = Number(process.env.BENCH_SERVER_ROUNDS ?? 3)
const now = () => performance.timeOrigin + performance.now()

// ---- the clients (child process) ---------------------------------------------------------------

type ToChild = { cmd: 'connect'; url: string; count: number; tokens: boolean } | { cmd: 'expect'; events: number } | { cmd: 'close' }
type FromChild =
  | { kind: 'connected'; failed: number }
  | { kind: 'ready' }
  | { kind: 'received'; lastAt: number; p50: number; p99: number; complete: number }
  | { kind: 'closed' }

/** Latency histogram in 0.1 ms buckets up to 120 s: 10 million samples without storing them. */
class Histogram {
  #buckets = new Uint32Array(1_200_001)
  count = 0
  add(ms: number) {
    this.#buckets[Math.min(this.#buckets.length - 1, Math.max(0, Math.round(ms * 10)))]!++
    this.count++
  }
  quantile(q: number) {
    const target = Math.ceil(this.count * q)
    let seen = 0
    for (let i = 0; i < this.#buckets.length; i++) if ((seen += this.#buckets[i]!) >= target) return i / 10
    return Infinity
  }
}

async function runClients() {
  let sockets: WebSocket[] = []
  let expected = 0
  let histogram = new Histogram()
  let complete = 0
  let lastAt = 0
  const counts = new Map<WebSocket, number>()
  const send = (message: FromChild) => process.send!(message)
  const onMessage = (socket: WebSocket, data: Buffer) => {
    const at = now()
    const frame = JSON.parse(String(data)) as { type: string; events?: { t?: number }[]; t?: number }
    const events = frame.type === 'batch' ? frame.events! : [frame]
    let got = counts.get(socket) ?? 0
    for (const event of events) {
      if (typeof event.t !== 'number') continue
      histogram.add(at - event.t)
      got++
    }
    counts.set(socket, got)
    if (expected > 0 && got === expected) {
      lastAt = at
      if (++complete === sockets.length) send({ kind: 'received', lastAt, p50: histogram.quantile(0.5), p99: histogram.quantile(0.99), complete })
    }
  }
  process.on('message', async (message: ToChild) => {
    if (message.cmd === 'connect') {
      let failed = 0
      const open = (i: number) =>
        new Promise<void>((resolve) => {
          // The token as a subprotocol: the reference server refuses `?token=` by default.
          const socket = new WebSocket(message.url, message.tokens ? ['bearer', `u${i}`] : [], { perMessageDeflate: false })
          socket.on('message', (data: Buffer) => onMessage(socket, data))
          socket.on('error', () => {})
          socket.once('open', () => {
            sockets.push(socket)
            resolve()
          })
          socket.once('close', () => {
            failed++
            resolve()
          })
        })
      // A few hundred handshakes at a time: the listen backlog would refuse more.
      for (let i = 0; i < message.count; i += 500) await Promise.all(Array.from({ length: Math.min(500, message.count - i) }, (_, j) => open(i + j)))
      send({ kind: 'connected', failed })
    } else if (message.cmd === 'expect') {
      expected = message.events
      histogram = new Histogram()
      complete = 0
      counts.clear()
      send({ kind: 'ready' })
    } else if (message.cmd === 'close') {
      const closing = sockets.map((s) => (s.readyState === s.CLOSED ? Promise.resolve() : once(s, 'close')))
      for (const socket of sockets) socket.terminate()
      await Promise.all(closing)
      sockets = []
      send({ kind: 'closed' })
    }
  })
}

// ---- the server side (this process) --------------------------------------------------------------

interface Round {
  ratePerSecond: number
  p50: number
  p99: number
  heapPerConnection: number
}

const gc = (globalThis as { gc?: () => void }).gc
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc?.()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage()
}

function ask(child: ChildProcess, message: ToChild, kind: FromChild['kind']): Promise<FromChild> {
  return new Promise((resolve) => {
    const onMessage = (reply: FromChild) => {
      if (reply.kind !== kind) return
      child.off('message', onMessage)
      resolve(reply)
    }
    child.on('message', onMessage)
    child.send(message)
  })
}

const eventOf = (i: number) => ({ type: 'file_completed', operation_id: 'op1', processed_files: i, total_files: EVENTS, current_file: `/documents/report-${i}.pdf` })

/** One round: connect CLIENTS, measure idle memory, burst EVENTS, wait until every client has all. */
async function round(child: ChildProcess, kind: 'live-status' | 'bare ws'): Promise<Round> {
  const before = await settle()
  let url: string
  let burst: () => void
  let stop: () => Promise<void>
  if (kind === 'live-status') {
    const server = createLiveStatusServer<{ id: string }>({
      authenticate: (token) => ({ id: token }),
      authorize: () => true,
      maxConnectionsPerUser: 1,
      idleTimeoutMs: 600_000,
      log: () => {},
    })
    const { port } = await server.listen(0, '127.0.0.1')
    url = `ws://127.0.0.1:${port}/ws/projects/bench`
    burst = () => {
      for (let i = 1; i <= EVENTS; i++) void server.publish('bench', { ...eventOf(i), t: now() })
    }
    stop = () => server.close()
  } else {
    const http = createServer()
    const wss = new WebSocketServer({ server: http, clientTracking: true })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws/projects/bench`
    // The ws README's broadcast, fed the same batches (100 events a frame) the server sends, each
    // encoded once: the floor for delivering these bytes with `ws`.
    burst = () => {
      let batch: string[] = []
      const flush = () => {
        const frame = Buffer.from(`{"type":"batch","events":[${batch.join(',')}]}`)
        batch = []
        for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(frame, { binary: false })
      }
      for (let i = 1; i <= EVENTS; i++) {
        batch.push(JSON.stringify({ ...eventOf(i), seq: i, t: now() }))
        if (batch.length === 100) flush()
      }
      if (batch.length > 0) flush()
    }
    stop = async () => {
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await new Promise<void>((resolve) => http.close(() => resolve()))
    }
  }
  const connected = (await ask(child, { cmd: 'connect', url, count: CLIENTS, tokens: kind === 'live-status' }, 'connected')) as Extract<FromChild, { kind: 'connected' }>
  if (connected.failed > 0) throw new Error(`${connected.failed} of ${CLIENTS} clients could not connect to ${kind}`)
  const idle = await settle()
  await ask(child, { cmd: 'expect', events: EVENTS }, 'ready')
  const received = new Promise<Extract<FromChild, { kind: 'received' }>>((resolve) => {
    const onMessage = (reply: FromChild) => {
      if (reply.kind !== 'received') return
      child.off('message', onMessage)
      resolve(reply)
    }
    child.on('message', onMessage)
  })
  const start = now()
  burst()
  const result = await received
  await ask(child, { cmd: 'close' }, 'closed')
  await stop()
  return {
    ratePerSecond: (CLIENTS * EVENTS) / ((result.lastAt - start) / 1000),
    p50: result.p50,
    p99: result.p99,
    // Heap and external only: RSS does not shrink between rounds of one process, so it is not comparable.
    heapPerConnection: (idle.heapUsed + idle.external - before.heapUsed - before.external) / CLIENTS,
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Runs the server section and prints its table. */
export async function runServerBench(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['clients'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const ours: Round[] = []
  const peer: Round[] = []
  try {
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await round(child, 'live-status'))
      peer.push(await round(child, 'bare ws'))
    }
  } finally {
    child.kill()
  }
  const m = (rounds: Round[], key: keyof Round) => median(rounds.map((r) => r[key]))
  const rate = (x: number) => `${Math.round(x).toLocaleString('en')} events/s`
  const kib = (x: number) => `${(x / 1024).toFixed(1)} KiB`
  console.log('')
  console.log(`server: one process, ${CLIENTS.toLocaleString('en')} concurrent clients (in a child process), a ${EVENTS.toLocaleString('en')}-event burst to all; medians of ${ROUNDS} alternating rounds (node ${process.version})${gc ? '' : '; run with --expose-gc for settled memory figures'}`)
  console.log('')
  console.log('| case | live-status server | bare ws broadcast | ratio |')
  console.log('| --- | --- | --- | --- |')
  console.log(`| delivery rate (events received by all clients / s) | ${rate(m(ours, 'ratePerSecond'))} | ${rate(m(peer, 'ratePerSecond'))} | ${(m(ours, 'ratePerSecond') / m(peer, 'ratePerSecond')).toFixed(2)}× |`)
  console.log(`| publish → receive p50 | ${m(ours, 'p50').toFixed(1)} ms | ${m(peer, 'p50').toFixed(1)} ms | ${(m(ours, 'p50') / m(peer, 'p50')).toFixed(2)}× |`)
  console.log(`| publish → receive p99 | ${m(ours, 'p99').toFixed(1)} ms | ${m(peer, 'p99').toFixed(1)} ms | ${(m(ours, 'p99') / m(peer, 'p99')).toFixed(2)}× |`)
  console.log(`| heap + external per idle connection | ${kib(m(ours, 'heapPerConnection'))} | ${kib(m(peer, 'heapPerConnection'))} | ${(m(ours, 'heapPerConnection') / m(peer, 'heapPerConnection')).toFixed(2)}× |`)
}

if (process.argv[2] === 'clients') await runClients()
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runServerBench()
  process.exit(0)
}
