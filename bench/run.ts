/**
 * `npm run bench`: medians over repeated runs, each against a peer measured in the same run.
 * 1. Decoding: live-status's FrameDecoder vs the hand-written "JSON.parse + schema.parse per frame".
 * 2. Cache writes: LiveQuerySync's one-write-per-tick vs one setQueryData per event, with an
 *    observer attached (what a component would be).
 */
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { performance } from 'node:perf_hooks'
import { FrameDecoder } from '../src/core/frameDecoder'
import { LiveStatusClient } from '../src/core/liveStatusClient'
import { operationEventSchema, operationProgressChannel, reduceOperation, type OperationProgress } from '../src/core/channels/operationProgress'
import { liveStatusKeys } from '../src/core/queryKeys'
import type { WebSocketConstructor, WebSocketLike } from '../src/core/types'

const RUNS = Number(process.env.BENCH_RUNS ?? 50)
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}
const rows: string[][] = []
const report = (name: string, ours: number, peer: number, unit = 'ms') =>
  rows.push([name, `${ours.toFixed(3)} ${unit}`, `${peer.toFixed(3)} ${unit}`, `${(ours / peer).toFixed(2)}×`])

// 1. Decoding 1,000 frames of one progress event each.
const frames = Array.from({ length: 1000 }, (_, i) =>
  JSON.stringify({ type: 'file_completed', operation_id: 'op1', processed_files: i, total_files: 1000, seq: i }),
)
const decoder = new FrameDecoder(
  { maxPayloadBytes: 1 << 20, discriminator: 'type', controlTypes: ['pong'], onEventError: undefined, onCallbackError: () => {} },
  'ws://bench',
  () => null,
)
const sink: unknown[] = []
const subscribers = [{ schema: operationEventSchema, onEvents: (events: unknown[]) => void sink.push(events.length) }]
const oursDecode = () => {
  for (const frame of frames) decoder.dispatch(frame, subscribers)
}
const peerDecode = () => {
  for (const frame of frames) {
    try {
      const result = operationEventSchema.safeParse(JSON.parse(frame))
      if (result.success) sink.push(1)
    } catch {
      // dropped
    }
  }
}
// Alternate the two so neither gets the warmer JIT or the quieter moment.
const decodeTimes = { ours: [] as number[], peer: [] as number[] }
for (let i = 0; i < RUNS * 2 + 6; i++) {
  const [name, fn] = i % 2 === 0 ? (['ours', oursDecode] as const) : (['peer', peerDecode] as const)
  const t = performance.now()
  fn()
  if (i >= 6) decodeTimes[name].push(performance.now() - t)
}
report('decode + validate 1,000 frames', median(decodeTimes.ours), median(decodeTimes.peer))

// 2. 1,000 events arriving in one tick, into a query with an observer.
class SilentSocket implements WebSocketLike {
  readyState = 0
  onopen: WebSocketLike['onopen'] = null
  onmessage: WebSocketLike['onmessage'] = null
  onerror: WebSocketLike['onerror'] = null
  onclose: WebSocketLike['onclose'] = null
  static last: SilentSocket | undefined
  constructor() {
    SilentSocket.last = this
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
const client = new LiveStatusClient({ apiUrl: 'http://bench', accessToken: 't', WebSocket: SilentSocket as unknown as WebSocketConstructor, heartbeat: false })
const events = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ type: 'file_completed', operation_id: 'op1', processed_files: i + 1, total_files: 1000 }))

let notifications = 0
async function oursWrites() {
  const queryClient = new QueryClient()
  const observer = new QueryObserver(queryClient, { queryKey: liveStatusKeys.operation('op1'), enabled: false })
  const off = observer.subscribe(() => notifications++)
  const release = client.live(queryClient, operationProgressChannel, { operationId: 'op1' })
  await new Promise((r) => setTimeout(r, 0))
  const socket = SilentSocket.last!
  const t = performance.now()
  for (const data of events) socket.onmessage?.({ data })
  await new Promise<void>((r) => queueMicrotask(r))
  const elapsed = performance.now() - t
  release()
  off()
  queryClient.clear()
  return elapsed
}
async function peerWrites() {
  const queryClient = new QueryClient()
  const observer = new QueryObserver(queryClient, { queryKey: liveStatusKeys.operation('op1'), enabled: false })
  const off = observer.subscribe(() => notifications++)
  const key = liveStatusKeys.operation('op1')
  const scratch = {}
  const t = performance.now()
  for (const data of events) {
    const event = operationEventSchema.parse(JSON.parse(data))
    queryClient.setQueryData<OperationProgress>(key, (prev) => reduceOperation(prev, event, { params: { operationId: 'op1' }, now: Date.now(), scratch }))
  }
  await new Promise<void>((r) => queueMicrotask(r))
  const elapsed = performance.now() - t
  off()
  queryClient.clear()
  return elapsed
}
const oursTimes: number[] = []
const peerTimes: number[] = []
for (let i = 0; i < RUNS; i++) {
  oursTimes.push(await oursWrites())
  peerTimes.push(await peerWrites())
}
report('1,000 events in one tick → cache', median(oursTimes), median(peerTimes))

// 3. Memory: 1,000 subscribe/release cycles of the same key.
const gc = (globalThis as { gc?: () => void }).gc
gc?.()
const heapBefore = process.memoryUsage().heapUsed
for (let i = 0; i < 1000; i++) client.live(new QueryClient(), operationProgressChannel, { operationId: `op${i}` })()
await new Promise((r) => setTimeout(r, 1100))
gc?.()
const heapAfter = process.memoryUsage().heapUsed
client.dispose()

console.log(`live-status bench (node ${process.version}, ${RUNS} runs each, medians; ratio < 1 means live-status is faster)`)
const widths = [36, 14, 14, 8]
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' ')
console.log(line(['case', 'live-status', 'peer', 'ratio']))
for (const row of rows) console.log(line(row))
console.log(`heap after 1,000 subscribe/release cycles: ${((heapAfter - heapBefore) / 1024).toFixed(0)} KiB${gc ? '' : ' (run with --expose-gc for a settled figure)'}; connections left: ${client.hub.size}`)
