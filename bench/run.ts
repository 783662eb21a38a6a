/**
 * `npm run bench`: medians over repeated runs, each against a peer measured in the same run, our
 * runs and the peer's alternating so neither gets the warmer JIT or the quieter moment.
 * 1. Decoding: FrameDecoder vs the hand-written "JSON.parse + the schema's validate per frame".
 * 2. Frame → cache: the whole client path (decode, route, reduce, one write per flush) vs that floor.
 * 3. Commits (notification batches that reach observers, which is what React commits) per 1,000
 *    events: in one tick, in 1,000 macrotasks, paced one per ms; vs one `setQueryData` per event.
 *    Then with a requestAnimationFrame that runs after every task (happy-dom's) and an app's own
 *    channel of batch envelopes, delivered one per task, paced, and in one tick.
 * 4. 50 operations on one shared socket vs one operation getting all the events.
 * 5. Events per second into the cache from a loopback `ws` server (another process) vs a bare `ws` client
 *    that only parses (bench/loopback.ts says what each side does).
 * 5b. The same over Server-Sent Events (`live-status/sse`) vs a bare `fetch` client that only parses
 *    (bench/sseLoopback.ts); commits per 1,000 events over SSE, in one write and paced one per ms.
 * 6. Memory after 1,000 subscribe/release cycles.
 * 9. Several instances: publish on A → receive on B through Redis Streams (bench/redis.ts).
 * 7. In Chromium: commits per 1,000 batch envelopes with display frames (bench/commitsChromium.ts); cross-tab
 *    sharing: server connections and the tabs' CPU for 1, 5 and 20 tabs (bench/crossTab.ts).
 * 8. The reference server: 10,000 clients, a 1,000-event burst to all, vs a bare `ws` broadcast (bench/server.ts).
 *
 * Sections by name: `npm run bench -- sse loopback` runs only those (decode, cache, commits, envelopes,
 * operations, loopback, sse, memory, browser, server, redis), in one process; no names runs them
 * all, each in a process of its own (see below why).
 */
import { notifyManager, QueryClient, QueryObserver } from '@tanstack/query-core'
import { performance } from 'node:perf_hooks'
import { setImmediate as nextMacrotask } from 'node:timers/promises'
import { FrameDecoder } from '../src/transport/frameDecoder'
import { LiveStatusClient } from '../src/sync/liveStatusClient'
import { operationEventSchema as operationEventValidator, operationProgressChannel, reduceOperation, type OperationEvent, type OperationProgress } from '../src/channels/operationProgress'

/** The channel's validator, called the zod way by the hand-written peers. */
const operationEventSchema = operationEventValidator
/** The peer's check: the channel's validator called as any app would call a Standard Schema. */
const validate = (value: unknown) => operationEventSchema['~standard'].validate(value) as { value: unknown; issues?: undefined } | { value?: undefined; issues: readonly unknown[] }
import { liveStatusKeys } from '../src/sync/queryKeys'
import { defineChannel } from '../src/sync/defineChannel'
import { z } from 'zod'
import type { WebSocketConstructor, WebSocketLike } from '../src/transport/types'
import { benchLoopback } from './loopback'
import { bareSse, benchSseLoopback, sseClient, startSseLoopback } from './sseLoopback'
import { runServerBench } from './server'
import { pacePerMs } from './pace'

const RUNS = Number(process.env.BENCH_RUNS ?? 30)
const SECTIONS = ['decode', 'cache', 'commits', 'envelopes', 'operations', 'loopback', 'sse', 'memory', 'browser', 'server', 'redis']
const only = process.argv.slice(2)
for (const name of only) if (!SECTIONS.includes(name)) throw new Error(`bench: no section "${name}" (sections: ${SECTIONS.join(', ')})`)
/** Whether the section runs: all do when none is named on the command line. */
const section = (name: string) => only.length === 0 || only.includes(name)
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}
const rows: string[][] = []
const report = (name: string, ours: string, peer: string, ratio: string, target: string) => rows.push([name, ours, peer, ratio, target])
const ms = (x: number) => `${x.toFixed(3)} ms`
const printTable = (header: string[], body: string[][]) => {
  console.log(`| ${header.join(' | ')} |\n|${' --- |'.repeat(header.length)}`)
  for (const row of body) console.log(`| ${row.join(' | ')} |`)
}
const HEADER = ['case', 'live-status', 'peer', 'ratio', 'target']
const title = () => `live-status bench (node ${process.version}, medians of ${RUNS} alternating runs unless noted; ratio < 1 means live-status does less)`
/** How a section run as a child process hands its rows to the parent. */
const CHILD_ROWS = '@@bench-rows '

// With no section named, each runs in a process of its own, as an app runs one client. In one
// process a section met the inline caches the ones before it left: the frame → cache case read
// 3.1–3.3× after the decoding case (both before and after a change), 1.6–1.8× on its own.
if (only.length === 0 && !process.env.BENCH_CHILD) {
  const { spawnSync } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const runSection = (name: string, capture: boolean) => {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name], { stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'], env: { ...process.env, BENCH_CHILD: '1' }, encoding: 'utf8' })
    if (child.status !== 0) throw new Error(`bench: section "${name}" failed (exit ${child.status})`)
    return child.stdout ?? ''
  }
  let memoryLine = ''
  for (const name of ['decode', 'cache', 'commits', 'envelopes', 'operations', 'loopback', 'sse', 'memory']) {
    const line = runSection(name, true).split('\n').find((text) => text.startsWith(CHILD_ROWS))
    if (!line) throw new Error(`bench: section "${name}" reported nothing`)
    const reported = JSON.parse(line.slice(CHILD_ROWS.length)) as { rows: string[][]; memory: string }
    rows.push(...reported.rows)
    memoryLine ||= reported.memory
  }
  console.log(title())
  console.log('')
  printTable(HEADER, rows)
  if (memoryLine) console.log(`\n${memoryLine}`)
  for (const name of ['browser', 'server', 'redis']) runSection(name, false)
  process.exit(0)
}

/** Runs `ours` and `peer` alternately `runs` times after a warm-up; medians. */
async function alternate(ours: () => number | Promise<number>, peer: () => number | Promise<number>, runs = RUNS) {
  const times = { ours: [] as number[], peer: [] as number[] }
  for (let i = 0; i < runs * 2 + 6; i++) {
    const mine = i % 2 === 0
    const t = await (mine ? ours() : peer())
    if (i >= 6) times[mine ? 'ours' : 'peer'].push(t)
  }
  return { ours: median(times.ours), peer: median(times.peer) }
}

// ---- fixtures -----------------------------------------------------------------------------------

const N = 1000
const frameFor = (i: number, op = 'op1') =>
  JSON.stringify({ type: 'file_completed', operation_id: op, processed_files: i, total_files: N, current_file: `doc-${i}.pdf`, seq: i })
const frames = Array.from({ length: N }, (_, i) => frameFor(i + 1))

/** A socket the bench feeds by hand. */
class HandSocket implements WebSocketLike {
  static all: HandSocket[] = []
  readyState = 0
  onopen: WebSocketLike['onopen'] = null
  onmessage: WebSocketLike['onmessage'] = null
  onerror: WebSocketLike['onerror'] = null
  onclose: WebSocketLike['onclose'] = null
  constructor() {
    HandSocket.all.push(this)
    queueMicrotask(() => {
      this.readyState = 1
      this.onopen?.({})
    })
  }
  send() {}
  close() {
    this.readyState = 3
  }
}

// What react-query does: each observer's listener goes through `notifyManager.batchCalls`, and every
// batch that reaches listeners is one React commit (one call of the batch notify function, or one
// notification scheduled outside any batch).
let commits = 0
let inBatch = false
notifyManager.setBatchNotifyFunction((callback) => {
  commits++
  inBatch = true
  try {
    callback()
  } finally {
    inBatch = false
  }
})
notifyManager.setNotifyFunction((callback) => {
  if (!inBatch) commits++
  callback()
})
const componentListener = () => notifyManager.batchCalls(() => {})

function makeClient(scheduleFlush?: (flush: () => void) => () => void) {
  return new LiveStatusClient({
    apiUrl: 'http://bench',
    accessToken: 't',
    WebSocket: HandSocket as unknown as WebSocketConstructor,
    heartbeat: false,
    quietCheckMs: false,
    ...(scheduleFlush ? { scheduleFlush } : {}),
  })
}
/** Flushes only when told: the bench measures the work, not the frame timer. */
const manual = () => {
  let pending: (() => void) | undefined
  return {
    schedule: (flush: () => void) => {
      pending = flush
      return () => (pending = undefined)
    },
    run: () => {
      const flush = pending
      pending = undefined
      flush?.()
    },
  }
}

// ---- 1. decoding -------------------------------------------------------------------------------

if (section('decode')) {
  const decoder = new FrameDecoder(
    { maxPayloadBytes: 1 << 20, discriminator: 'type', controlTypes: ['pong'], onEventError: undefined, onCallbackError: () => {} },
    'ws://bench',
    () => null,
  )
  const sink: unknown[] = []
  const subscribers = [{ schema: operationEventValidator, onEvents: (events: unknown[]) => void sink.push(events.length) }]
  const r = await alternate(
    () => {
      const t = performance.now()
      for (const frame of frames) decoder.dispatch(frame, subscribers)
      return performance.now() - t
    },
    () => {
      const t = performance.now()
      for (const frame of frames) {
        try {
          const result = validate(JSON.parse(frame))
          if (!result.issues) sink.push(1)
        } catch {
          // dropped
        }
      }
      return performance.now() - t
    },
  )
  report('decode + validate 1,000 frames', ms(r.ours), ms(r.peer), `${(r.ours / r.peer).toFixed(2)}×`, '—')
}

// ---- 2. frame → cache against the parse + validate floor ---------------------------------------

async function liveQuery(client: LiveStatusClient, operationIds: string[]) {
  const queryClient = new QueryClient()
  const observers = operationIds.map((id) => {
    const observer = new QueryObserver(queryClient, { queryKey: liveStatusKeys.operation(id), enabled: false })
    return observer.subscribe(componentListener())
  })
  const releases = operationIds.map((operationId) => client.live(queryClient, operationProgressChannel, { operationId, projectId: 'p1' }))
  await nextMacrotask()
  const socket = HandSocket.all[HandSocket.all.length - 1]!
  return {
    queryClient,
    socket,
    dispose() {
      for (const release of releases) release()
      for (const off of observers) off()
      queryClient.clear()
    },
  }
}

if (section('cache')) {
  const flusher = manual()
  const client = makeClient(flusher.schedule)
  const sink: unknown[] = []
  const r = await alternate(
    async () => {
      const live = await liveQuery(client, ['op1'])
      const t = performance.now()
      for (const data of frames) live.socket.onmessage?.({ data })
      flusher.run()
      const elapsed = performance.now() - t
      live.dispose()
      return elapsed
    },
    () => {
      const t = performance.now()
      for (const frame of frames) {
        const result = validate(JSON.parse(frame))
        if (!result.issues) sink.push(result.value)
      }
      const elapsed = performance.now() - t
      sink.length = 0
      return elapsed
    },
  )
  report('frame → cache, per event', `${((r.ours / N) * 1000).toFixed(2)} µs`, `${((r.peer / N) * 1000).toFixed(2)} µs (JSON.parse + the channel's validator)`, `${(r.ours / r.peer).toFixed(2)}×`, '≤ 2×')
  client.dispose()
}

// ---- 3. commits per 1,000 events ---------------------------------------------------------------

type Delivery = 'one tick' | 'macrotasks' | 'paced 1/ms'
/** 1,000 events in each mode: the issue's figure is per 1,000 events at one per ms. */
const countFor = (_mode: Delivery) => N
const pacedFrames = Array.from({ length: N }, (_, i) => frameFor(i + 1))
/** The issue's bound for events paced one per ms (1,000 ms: about 60 frames of 16.7 ms). */
const PACED_COMMITS_MAX = 72
async function deliver(mode: Delivery, send: (i: number) => void) {
  if (mode === 'paced 1/ms') return pacePerMs(N, (i) => send(i + 1))
  for (let i = 1; i <= N; i++) {
    send(i)
    if (mode === 'macrotasks') await nextMacrotask()
  }
}
async function settle() {
  await new Promise((r) => setTimeout(r, 40))
}

for (const mode of ['one tick', 'macrotasks', 'paced 1/ms'] as Delivery[]) {
  if (!section('commits')) break
  const runs = mode === 'paced 1/ms' ? 3 : 7
  const ours: number[] = []
  const peer: number[] = []
  const elapsedFrames: number[] = []
  for (let run = 0; run < runs; run++) {
    // live-status, default scheduler (a 16 ms timer in Node, the animation frame in a browser).
    const client = makeClient()
    const live = await liveQuery(client, ['op1'])
    await settle()
    commits = 0
    const t = performance.now()
    await deliver(mode, (i) => live.socket.onmessage?.({ data: pacedFrames[i - 1]! }))
    await settle()
    ours.push(commits)
    // A frame here is the 16 ms flush timer (a browser's is the 16.7 ms animation frame).
    elapsedFrames.push((performance.now() - t - 40) / 16)
    live.dispose()
    client.dispose()

    // The peer: a hand-written socket handler, one setQueryData per event.
    const queryClient = new QueryClient()
    const key = liveStatusKeys.operation('op1')
    const off = new QueryObserver(queryClient, { queryKey: key, enabled: false }).subscribe(componentListener())
    const scratch = {}
    await settle()
    commits = 0
    await deliver(mode, (i) => {
      const event = (validate(JSON.parse(pacedFrames[i - 1]!)) as { value: OperationEvent }).value
      queryClient.setQueryData<OperationProgress>(key, (prev) => reduceOperation(prev, event, { params: { operationId: 'op1' }, now: Date.now(), scratch }))
    })
    await settle()
    peer.push(commits)
    off()
    queryClient.clear()
  }
  const target = mode === 'paced 1/ms' ? `≤ ${PACED_COMMITS_MAX} and ≤ frames elapsed (${Math.round(median(elapsedFrames))})` : '1'
  report(`commits per ${countFor(mode).toLocaleString('en')} events, ${mode}`, String(median(ours)), String(median(peer)), `${(median(ours) / median(peer)).toFixed(3)}×`, target)
}

// ---- 3b. commits per 1,000 events where every task gets an animation frame ----------------------
// A browser delivers each socket message in a task of its own, and not every requestAnimationFrame
// is a display's: happy-dom runs its callbacks after the current task (as setTimeout(0) polyfills
// do). Here requestAnimationFrame is that, and the events come as an app builder sends them: a
// channel of its own, `batch-update` envelopes (unpacked with the `batches` option), one per task.

const buildUpdate = z.looseObject({ type: z.string(), data: z.unknown().optional(), sessionId: z.string().optional() })
type Build = { updates: number; last?: unknown }
const benchBuildChannel = defineChannel<{ projectId: string }, z.infer<typeof buildUpdate>, Build>({
  name: 'bench-build',
  queryKey: ({ projectId }) => ['bench-build', projectId],
  socket: (_client, { projectId }) => `/ws?projectId=${projectId}`,
  schema: buildUpdate,
  reduce: (data, update) => ({ updates: (data?.updates ?? 0) + 1, last: update.data }),
  fetch: async ({ previous }) => previous ?? { updates: 0 },
  isActive: () => true,
})
const envelope = (i: number) => JSON.stringify({ type: 'batch-update', projectId: 'app1', sessionId: 's1', updates: [{ type: 'build-progress', data: { step: i } }] })
/** 1,000 envelopes of one update each: in one tick, or one per task, one per ms by the clock. */
async function deliverEnvelopes(mode: Delivery, send: (i: number) => void) {
  if (mode === 'paced 1/ms') return pacePerMs(N, (i) => send(i + 1))
  for (let i = 1; i <= N; i++) send(i)
}

for (const mode of ['one tick', 'paced 1/ms'] as Delivery[]) {
  if (!section('envelopes')) break
  const runs = mode === 'paced 1/ms' ? 3 : 7
  const ours: number[] = []
  const peer: number[] = []
  const elapsedFrames: number[] = []
  const timers = new Map<number, ReturnType<typeof setImmediate>>()
  let nextFrame = 0
  Object.assign(globalThis, {
    requestAnimationFrame: (callback: (time: number) => void) => {
      const id = ++nextFrame
      timers.set(id, setImmediate(() => (timers.delete(id), callback(performance.now()))))
      return id
    },
    cancelAnimationFrame: (id: number) => {
      clearImmediate(timers.get(id))
      timers.delete(id)
    },
  })
  for (let run = 0; run < runs; run++) {
    const client = new LiveStatusClient({
      apiUrl: 'http://bench',
      accessToken: 't',
      WebSocket: HandSocket as unknown as WebSocketConstructor,
      heartbeat: false,
      quietCheckMs: false,
      batches: { 'batch-update': 'updates' },
    })
    const queryClient = new QueryClient()
    const key = benchBuildChannel.queryKey({ projectId: 'app1' })
    const off = new QueryObserver(queryClient, { queryKey: key, enabled: false }).subscribe(componentListener())
    const release = client.live(queryClient, benchBuildChannel, { projectId: 'app1' })
    await nextMacrotask()
    const socket = HandSocket.all[HandSocket.all.length - 1]!
    await settle()
    commits = 0
    const t = performance.now()
    await deliverEnvelopes(mode, (i) => socket.onmessage?.({ data: envelope(i) }))
    await settle()
    if (queryClient.getQueryData<Build>(key)?.updates !== N) throw new Error('bench: the build channel missed updates')
    ours.push(commits)
    elapsedFrames.push((performance.now() - t - 40) / 16)
    release()
    off()
    client.dispose()

    // The peer: the same envelopes unpacked by hand, one setQueryData per update.
    const peerClient = new QueryClient()
    const offPeer = new QueryObserver(peerClient, { queryKey: key, enabled: false }).subscribe(componentListener())
    await settle()
    commits = 0
    await deliverEnvelopes(mode, (i) => {
      for (const update of (JSON.parse(envelope(i)) as { updates: unknown[] }).updates) {
        const parsed = buildUpdate.parse(update)
        peerClient.setQueryData<Build>(key, (prev) => ({ updates: (prev?.updates ?? 0) + 1, last: parsed.data }))
      }
    })
    await settle()
    peer.push(commits)
    offPeer()
    peerClient.clear()
  }
  Reflect.deleteProperty(globalThis, 'requestAnimationFrame')
  Reflect.deleteProperty(globalThis, 'cancelAnimationFrame')
  const target = mode === 'paced 1/ms' ? `≤ ${PACED_COMMITS_MAX} and ≤ frames elapsed (${Math.round(median(elapsedFrames))})` : '1'
  const how = mode === 'paced 1/ms' ? 'one per task, 1/ms' : 'in one tick'
  report(`commits per 1,000 batch envelopes ${how}, rAF after each task`, String(median(ours)), String(median(peer)), `${(median(ours) / median(peer)).toFixed(3)}×`, target)
}

// ---- 4. 50 operations on one socket vs one ------------------------------------------------------

if (section('operations')) {
  const flusher = manual()
  const client = makeClient(flusher.schedule)
  const ids = Array.from({ length: 50 }, (_, i) => `op${i}`)
  const spread = Array.from({ length: N }, (_, i) => frameFor(Math.floor(i / 50) + 1, ids[i % 50]))
  const one = Array.from({ length: N }, (_, i) => frameFor(i + 1, 'op0'))
  const run = async (operationIds: string[], input: string[]) => {
    const live = await liveQuery(client, operationIds)
    const t = performance.now()
    for (const data of input) live.socket.onmessage?.({ data })
    flusher.run()
    const elapsed = performance.now() - t
    live.dispose()
    return elapsed
  }
  const r = await alternate(() => run(ids, spread), () => run(['op0'], one))
  report('50 operations on one socket, per event', `${((r.ours / N) * 1000).toFixed(2)} µs`, `${((r.peer / N) * 1000).toFixed(2)} µs (1 operation)`, `${(r.ours / r.peer).toFixed(2)}×`, '≤ 1.5×')
  client.dispose()
}

// ---- 5. events per second from a loopback ws server ----------------------------------------------

const rate = (x: number) => `${Math.round(x).toLocaleString('en')} /s`
if (section('loopback')) {
  // The server is another process and both sides' figures are steady-state rates: see bench/loopback.ts.
  const total = 100_000
  const r = await benchLoopback({ total, frameFor: (i) => frameFor(i), runs: Math.min(RUNS, 11) })
  report('events/s into the cache from loopback ws (wall)', rate(r.wall.ours), `${rate(r.wall.peer)} (bare ws, parse only)`, `${(r.wall.ours / r.wall.peer).toFixed(2)}×`, '≥ 0.5×')
  report('events/s into the cache from loopback ws (client CPU)', rate(r.cpu.ours), rate(r.cpu.peer), `${(r.cpu.ours / r.cpu.peer).toFixed(2)}×`, '≥ 0.5×')
}

// ---- 5b. the same over Server-Sent Events ----------------------------------------------------------

if (section('sse')) {
  // Events/s: the server is another process, the peer a bare fetch + hand parse + JSON.parse (bench/sseLoopback.ts).
  const total = 100_000
  const r = await benchSseLoopback({ total, frameFor: (i) => frameFor(i), runs: Math.min(RUNS, 11) })
  report('events/s into the cache from loopback SSE (wall)', rate(r.wall.ours), `${rate(r.wall.peer)} (bare fetch, parse only)`, `${(r.wall.ours / r.wall.peer).toFixed(2)}×`, '≥ 0.5×')
  report('events/s into the cache from loopback SSE (client CPU)', rate(r.cpu.ours), rate(r.cpu.peer), `${(r.cpu.ours / r.cpu.peer).toFixed(2)}×`, '≥ 0.5×')

  // Commits, as section 3 counts them, with the events coming over a real stream: 1,000 in one write
  // (the same-tick burst), or 1,000 paced one per ms by the server's clock (bench/pace.ts). The server starts once the
  // stream is open and the counter reset; frames elapsed are from that word to the server's last write.
  const server = await startSseLoopback({ stream: [], burst: frames, paced: pacedFrames })
  const key = liveStatusKeys.operation('op1')
  const until = async (what: string, done: () => boolean) => {
    for (const t = performance.now(); !done(); await new Promise((r) => setTimeout(r, 2)))
      if (performance.now() - t > 10_000) throw new Error(`bench: SSE commits: waited 10 s for ${what}`)
  }
  for (const mode of ['burst', 'paced'] as const) {
    const runs = mode === 'paced' ? 3 : 7
    const count = mode === 'paced' ? pacedFrames.length : N
    const ours: number[] = []
    const peer: number[] = []
    const elapsedFrames: number[] = []
    for (let run = 0; run < runs; run++) {
      // live-status over SSE, default scheduler (a 16 ms timer in Node).
      const client = sseClient(server.apiUrl)
      const queryClient = new QueryClient()
      const off = new QueryObserver(queryClient, { queryKey: key, enabled: false }).subscribe(componentListener())
      const release = client.live(queryClient, operationProgressChannel, { operationId: 'op1', projectId: mode })
      await until('the stream to open', () => client.socketStatus(client.socketUrl(`/sse/projects/${mode}`))?.state === 'open')
      await settle()
      commits = 0
      const t = performance.now()
      await server.go(mode)
      elapsedFrames.push((performance.now() - t) / 16)
      await until('the last event in the cache', () => queryClient.getQueryData<OperationProgress>(key)?.processedFiles === count)
      await settle()
      ours.push(commits)
      release()
      off()
      client.dispose()
      queryClient.clear()

      // The peer: a bare fetch stream, one setQueryData per event.
      const peerClient = new QueryClient()
      const offPeer = new QueryObserver(peerClient, { queryKey: key, enabled: false }).subscribe(componentListener())
      const scratch = {}
      const abort = new AbortController()
      await bareSse(
        server.url(mode),
        (data) => {
          const event = (validate(JSON.parse(data)) as { value: OperationEvent }).value
          peerClient.setQueryData<OperationProgress>(key, (prev) => reduceOperation(prev, event, { params: { operationId: 'op1' }, now: Date.now(), scratch }))
        },
        abort.signal,
      )
      await settle()
      commits = 0
      await server.go(mode)
      await until("the peer's last event", () => peerClient.getQueryData<OperationProgress>(key)?.processedFiles === count)
      await settle()
      peer.push(commits)
      abort.abort()
      offPeer()
      peerClient.clear()
    }
    const target = mode === 'paced' ? `≤ ${PACED_COMMITS_MAX} and ≤ frames elapsed (${Math.round(median(elapsedFrames))})` : '1'
    const how = mode === 'paced' ? `${count.toLocaleString('en')} events over SSE, paced 1/ms` : `${count.toLocaleString('en')} events over SSE, in one write`
    report(`commits per ${how}`, String(median(ours)), String(median(peer)), `${(median(ours) / median(peer)).toFixed(3)}×`, target)
  }
  await server.close()
}

// ---- 6. memory ----------------------------------------------------------------------------------

const gc = (globalThis as { gc?: () => void }).gc
let memory = ''
if (section('memory')) {
  const memoryClient = makeClient()
  let cycle = 0
  const cycles = (count: number) => {
    for (let i = 0; i < count; i++) memoryClient.live(new QueryClient(), operationProgressChannel, { operationId: `op${cycle++}` })()
    // The bench's sockets list keeps every socket (an operation without a project has a socket of
    // its own): about 216 B a cycle that was the bench's, not the client's.
    HandSocket.all.length = 0
  }
  /**
   * The heap once every idle timer (1 s) has fired and the collector has run a few times, between
   * turns: one `gc()` right after the cycles left 296–557 KiB in six runs of the same code.
   */
  const settledHeap = async () => {
    await new Promise((r) => setTimeout(r, 1100))
    for (let i = 0; i < 5; i++) {
      gc?.()
      await nextMacrotask()
    }
    return process.memoryUsage().heapUsed
  }
  // Warmed first: in a process of its own, the first cycles also allocate what any first use does
  // (compiled code, shapes), which is not what is left behind per cycle.
  cycles(100)
  const heapBefore = await settledHeap()
  cycles(1000)
  const heapAfter = await settledHeap()
  // What a leak would show: the heap growing with the cycles. 20,000 more: what stays per cycle,
  // apart from what the first 1,000 left (code and shapes that warm-up did not reach), with the
  // collector's noise (a few hundred KiB) spread over enough cycles to read in bytes.
  cycles(20_000)
  const heapLater = await settledHeap()
  memoryClient.dispose()
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`
  memory = `heap after 1,000 subscribe/release cycles: ${kib(heapAfter - heapBefore)}; after 21,000: ${kib(heapLater - heapBefore)} (${((heapLater - heapAfter) / 20_000).toFixed(0)} B a cycle after the first 1,000)${gc ? '' : ' (run with --expose-gc for a settled figure)'}; connections left: ${memoryClient.hub.size}`
}

if (process.env.BENCH_CHILD) {
  if (rows.length > 0 || memory) console.log(`${CHILD_ROWS}${JSON.stringify({ rows, memory })}`)
} else {
  console.log(title())
  console.log('')
  printTable(HEADER, rows)
  if (memory) console.log(`\n${memory}`)
}
// 7. Commits and cross-tab sharing in Chromium (BENCH_SKIP_BROWSER=1 leaves it out).
if (section('browser') && !process.env.BENCH_SKIP_BROWSER) {
  const { benchCommitsChromium } = await import('./commitsChromium')
  console.log('')
  printTable(['commits in Chromium (headless, display frames)', 'live-status', '', '', 'target'], await benchCommitsChromium())
  const { benchCrossTab } = await import('./crossTab')
  console.log('')
  printTable(['cross-tab (Chromium, headless)', 'shared', 'not shared', 'ratio', 'target'], await benchCrossTab())
}

// 8. The reference server: 10,000 clients, a 1,000-event burst, vs a bare ws broadcast (BENCH_SKIP_SERVER=1 leaves it out).
if (section('server') && !process.env.BENCH_SKIP_SERVER) await runServerBench()
// 9. Several instances on Redis Streams vs one instance in memory (BENCH_SKIP_REDIS=1 leaves it out).
if (section('redis') && !process.env.BENCH_SKIP_REDIS) {
  const { runRedisBench } = await import('./redis')
  console.log('')
  printTable(['several instances (Redis Streams)', 'A → B', 'one instance, in-memory bus', 'ratio', 'target'], await runRedisBench())
}

process.exit(0)
