/**
 * The events/s harness of the loopback benches (bench/loopback.ts over `ws`, bench/sseLoopback.ts
 * over SSE): live-status and a bare peer timed side by side, runs alternating after a warm-up,
 * medians per side.
 */
import { QueryClient, QueryObserver } from '@tanstack/query-core'
import { performance } from 'node:perf_hooks'
import { operationProgressChannel, type OperationProgress } from '../src/channels/operationProgress'
import type { ChannelDefinition } from '../src/sync/defineChannel'
import type { LiveStatusClient } from '../src/sync/liveStatusClient'
import { liveStatusKeys } from '../src/sync/queryKeys'

export interface Rates {
  /** Events per second of wall time. */
  wall: number
  /** Events per second of this process's CPU time (user + system, GC threads included). */
  cpu: number
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const cpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/** Times `run`, which handles `total` events. */
export async function timed(total: number, run: () => Promise<void>): Promise<Rates> {
  const cpu = cpuMs()
  const t = performance.now()
  await run()
  return { wall: total / ((performance.now() - t) / 1000), cpu: total / ((cpuMs() - cpu) / 1000) }
}

/**
 * live-status's side: `client` follows operation `op1` through `channel` (the operation channel
 * pointed at the bench's stream) with a `QueryObserver` subscribed as a mounted component's would
 * be, timed from `live()` to the moment the cache holds the last of `total` events.
 */
export function intoCache(client: LiveStatusClient, total: number, channel: ChannelDefinition<any, any, any> = operationProgressChannel, params: Record<string, unknown> = { operationId: 'op1' }): Promise<Rates> {
  const queryClient = new QueryClient()
  const key = liveStatusKeys.operation('op1')
  const off = new QueryObserver(queryClient, { queryKey: key, enabled: false }).subscribe(() => {})
  let release = () => {}
  let unsubscribeCache = () => {}
  return timed(total, async () => {
    await new Promise<void>((done) => {
      unsubscribeCache = queryClient.getQueryCache().subscribe(() => {
        if (queryClient.getQueryData<OperationProgress>(key)?.processedFiles === total) done()
      })
      release = client.live(queryClient, channel, params)
    })
  }).finally(() => {
    release()
    unsubscribeCache()
    off()
    client.dispose()
  })
}

/** Runs `ours` and `peer` alternately, `warmup` pairs first (not counted); then `close`. */
export async function sideBySide(runs: number, warmup: number, ours: () => Promise<Rates>, peer: () => Promise<Rates>, close: () => Promise<unknown>) {
  const results = { ours: [] as Rates[], peer: [] as Rates[] }
  try {
    for (let i = 0; i < (runs + warmup) * 2; i++) {
      const mine = i % 2 === 0
      const rates = await (mine ? ours() : peer())
      if (i >= warmup * 2) results[mine ? 'ours' : 'peer'].push(rates)
    }
  } finally {
    await close()
  }
  const of = (side: Rates[], unit: keyof Rates) => median(side.map((rates) => rates[unit]))
  const best = (side: Rates[], unit: keyof Rates) => Math.max(...side.map((rates) => rates[unit]))
  return {
    wall: { ours: of(results.ours, 'wall'), peer: of(results.peer, 'wall') },
    cpu: { ours: of(results.ours, 'cpu'), peer: of(results.peer, 'cpu') },
    /** The fastest run of each side: what a quiet machine gives. */
    best: { ours: best(results.ours, 'cpu'), peer: best(results.peer, 'cpu') },
  }
}
