import { hashKey, type QueryKey } from '@tanstack/query-core'
import type { LiveActivity, LiveStatusClient } from '../sync/liveStatusClient'
import type { Connection } from '../transport/connection'
import type { ConnectionState } from '../transport/types'
import { Listeners } from '../transport/subscribable'
import { liveSockets, watchActivity } from './liveActivity'

/** One socket as the devtools show it. */
export interface DevtoolsSocket {
  readonly url: string
  readonly state: ConnectionState
  /** Reconnect attempt under way or waited for; 0 while connected. */
  readonly attempt: number
  /** Live queries (deduplicated by query key) sharing this socket. */
  readonly queries: number
  /** Components (hook instances) using those queries. */
  readonly components: number
  /** Subscribers of the socket itself (channel routes and other users of the hub). */
  readonly subscribers: number
  readonly framesPerSecond: number
  readonly eventsPerSecond: number
  /** Frames and messages dropped since the socket was created, by reason. */
  readonly dropped: Readonly<Record<string, number>>
  /** REST polling covers for this socket while it is down. */
  readonly polling: boolean
  readonly lastCloseCode: number | null
}

/** A line of the devtools log. */
export interface DevtoolsLogEntry {
  readonly id: number
  /** Epoch ms. */
  readonly at: number
  readonly kind: 'write' | 'fetch' | 'connection' | 'drop'
  readonly text: string
}

/** What the devtools show, sampled every `sampleIntervalMs`. */
export interface DevtoolsSnapshot {
  /** Epoch ms of the sample. */
  readonly sampledAt: number
  readonly sockets: readonly DevtoolsSocket[]
  readonly cacheWritesPerSecond: number
  readonly eventsWrittenPerSecond: number
  readonly fetchesPerSecond: number
  /** React commits per second under a `<LiveStatusProfiler>`; `null` when none is mounted. */
  readonly commitsPerSecond: number | null
  /** Running totals since the monitor started. */
  readonly totals: {
    readonly cacheWrites: number
    readonly eventsWritten: number
    readonly fetches: number
    readonly commits: number
    readonly dropped: Readonly<Record<string, number>>
  }
  /** The last `logSize` entries, newest first. */
  readonly log: readonly DevtoolsLogEntry[]
  /** With `crossTab`: how many shared sockets this tab is part of, and how many it leads. */
  readonly crossTab: { readonly groups: number; readonly leading: number } | null
}

/** Options of `devtoolsMonitor(client, options)`. */
export interface DevtoolsMonitorOptions {
  /** How often rates are computed and listeners told. @default 1000 */
  sampleIntervalMs?: number
  /** Log entries kept. @default 50 */
  logSize?: number
  /** Clock, for tests. @default Date.now */
  now?: () => number
}

/**
 * Watches one `LiveStatusClient` for the devtools: sockets and how many queries share each, frames
 * and events per second, cache writes, fetches and React commits per second, drops by reason, and a
 * log of writes, fetches and connection transitions. Nothing runs while no one subscribes, so a
 * mounted-but-closed panel costs the app nothing.
 */
/** Listeners that start the sampling with the first and stop it after the last. */
class SamplingListeners extends Listeners {
  #start: () => void
  #stop: () => void
  constructor(start: () => void, stop: () => void) {
    super()
    this.#start = start
    this.#stop = stop
  }
  protected override onSubscribe(): void {
    this.#start()
  }
  protected override onUnsubscribe(): void {
    this.#stop()
  }
}

/** What the panel shows of a client, sampled: sockets, rates and recent events. One per client, shared by every panel. */
export class DevtoolsMonitor {
  readonly #client: LiveStatusClient
  readonly #sampleIntervalMs: number
  readonly #logSize: number
  readonly #now: () => number
  /** Sampling runs only while someone listens. */
  #listeners = new SamplingListeners(() => this.#start(), () => this.#stop())
  #snapshot: DevtoolsSnapshot
  #timer: ReturnType<typeof setInterval> | undefined
  #offActivity: (() => void) | undefined
  #log: DevtoolsLogEntry[] = []
  #nextLogId = 1
  #lastSampleAt: number
  #totals = { cacheWrites: 0, eventsWritten: 0, fetches: 0, commits: 0 }
  #sampled = { cacheWrites: 0, eventsWritten: 0, fetches: 0, commits: 0 }
  /** Per connection object: a URL's replacement connection starts its counters from zero. */
  #lastStats = new WeakMap<Connection, { frames: number; events: number; dropped: Record<string, number> }>()
  #droppedTotals: Record<string, number> = {}
  #profilers = 0
  /** Status watches per URL, for the transition log. */
  #watched = new Map<string, { off: () => void; state: ConnectionState }>()

  constructor(client: LiveStatusClient, options: DevtoolsMonitorOptions = {}) {
    this.#client = client
    this.#sampleIntervalMs = options.sampleIntervalMs ?? 1000
    this.#logSize = options.logSize ?? 50
    this.#now = options.now ?? Date.now
    this.#lastSampleAt = this.#now()
    this.#snapshot = this.#build(0)
  }

  // Bound, so React's useSyncExternalStore sees the same functions on every render.
  readonly subscribe = (listener: () => void): (() => void) => this.#listeners.subscribe(listener)

  readonly getSnapshot = (): DevtoolsSnapshot => this.#snapshot

  /** Computes a sample now (the timer does this every `sampleIntervalMs`). */
  sample(): void {
    const now = this.#now()
    const elapsedMs = Math.max(1, now - this.#lastSampleAt)
    this.#lastSampleAt = now
    this.#snapshot = this.#build(elapsedMs)
    this.#sampled = { ...this.#totals }
    this.#listeners.emit(undefined)
  }

  /** @internal A `<LiveStatusProfiler>` mounted (commits are counted from then on). */
  addProfiler(): () => void {
    this.#profilers++
    return () => {
      this.#profilers--
    }
  }

  /** @internal Called by `<LiveStatusProfiler>` on every React commit below it. */
  noteCommit(): void {
    this.#totals.commits++
  }

  #start(): void {
    this.#lastSampleAt = this.#now()
    this.#sampled = { ...this.#totals }
    this.#offActivity = watchActivity(this.#client, (activity) => this.#onActivity(activity))
    const offRoles = this.#client.hub.options.crossTab?.onRoleChange(() => {
      const roles = this.#client.hub.options.crossTab?.roles() ?? []
      this.#append('connection', `cross-tab: this tab leads ${roles.filter((role) => role.leading).length} of ${roles.length} shared socket(s)`)
      this.sample()
    })
    const offActivity = this.#offActivity
    this.#offActivity = () => {
      offActivity()
      offRoles?.()
    }
    this.#timer = setInterval(() => this.sample(), this.#sampleIntervalMs)
    // What is there now, without waiting a tick (rates start at the next one).
    this.#snapshot = this.#build(0)
  }

  #stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#offActivity?.()
    this.#offActivity = undefined
    for (const watch of this.#watched.values()) watch.off()
    this.#watched.clear()
  }

  #onActivity(activity: LiveActivity): void {
    if (activity.type === 'write') {
      this.#totals.cacheWrites++
      this.#totals.eventsWritten += activity.events
      this.#append('write', `${describeKey(activity.queryKey)} ← ${activity.events} event${activity.events === 1 ? '' : 's'}`)
    } else {
      this.#totals.fetches++
      this.#append('fetch', `${describeKey(activity.queryKey)} ${activity.ok ? 'fetched' : 'fetch failed'}`)
    }
  }

  #append(kind: DevtoolsLogEntry['kind'], text: string): void {
    this.#log.unshift({ id: this.#nextLogId++, at: this.#now(), kind, text })
    if (this.#log.length > this.#logSize) this.#log.length = this.#logSize
  }

  #watch(url: string): void {
    if (this.#watched.has(url)) return
    const source = this.#client.liveStatus(url)
    const entry = { off: () => {}, state: source.getSnapshot().state }
    entry.off = source.subscribe(() => {
      const status = source.getSnapshot()
      if (status.state === entry.state) return
      const code = status.lastCloseCode !== null && status.state !== 'open' ? ` (${status.lastCloseCode})` : ''
      this.#append('connection', `${shortUrl(url)}: ${entry.state} → ${status.state}${code}`)
      entry.state = status.state
      // Transitions are rare and what a reader watches for: show them without waiting for a tick.
      this.sample()
    })
    this.#watched.set(url, entry)
  }

  #build(elapsedMs: number): DevtoolsSnapshot {
    const perSecond = (delta: number) => (elapsedMs === 0 ? 0 : Math.round((delta * 1000) / elapsedMs))
    const sockets: DevtoolsSocket[] = []
    const seen = new Set<string>()
    for (const { url, queries, components } of liveSockets(this.#client)) {
      seen.add(url)
      const connection = this.#client.hub.get(url)
      const status = this.#client.liveStatus(url).getSnapshot()
      let framesPerSecond = 0
      let eventsPerSecond = 0
      let dropped: Record<string, number> = {}
      if (connection) {
        const stats = connection.stats
        const last = this.#lastStats.get(connection) ?? { frames: 0, events: 0, dropped: {} }
        framesPerSecond = perSecond(stats.framesReceived - last.frames)
        eventsPerSecond = perSecond(stats.eventsDelivered - last.events)
        dropped = { ...stats.dropped }
        for (const [reason, count] of Object.entries(dropped)) {
          const delta = count - (last.dropped[reason] ?? 0)
          if (delta <= 0) continue
          this.#droppedTotals[reason] = (this.#droppedTotals[reason] ?? 0) + delta
          if (elapsedMs > 0) this.#append('drop', `${shortUrl(url)}: dropped ${delta} (${reason})`)
        }
        this.#lastStats.set(connection, { frames: stats.framesReceived, events: stats.eventsDelivered, dropped })
      }
      if (this.#listeners.size > 0) this.#watch(url)
      sockets.push({
        url,
        state: status.state,
        attempt: status.attempt,
        queries,
        components,
        subscribers: connection?.subscriberCount ?? 0,
        framesPerSecond,
        eventsPerSecond,
        dropped: Object.fromEntries(Object.entries(dropped).filter(([, count]) => count > 0)),
        polling: status.polling,
        lastCloseCode: status.lastCloseCode,
      })
    }
    for (const [url, watch] of this.#watched) {
      if (seen.has(url)) continue
      watch.off()
      this.#watched.delete(url)
    }
    return {
      sampledAt: this.#now(),
      sockets,
      cacheWritesPerSecond: perSecond(this.#totals.cacheWrites - this.#sampled.cacheWrites),
      eventsWrittenPerSecond: perSecond(this.#totals.eventsWritten - this.#sampled.eventsWritten),
      fetchesPerSecond: perSecond(this.#totals.fetches - this.#sampled.fetches),
      commitsPerSecond: this.#profilers > 0 ? perSecond(this.#totals.commits - this.#sampled.commits) : null,
      totals: { ...this.#totals, dropped: { ...this.#droppedTotals } },
      log: [...this.#log],
      crossTab: this.#crossTab(),
    }
  }

  #crossTab(): DevtoolsSnapshot['crossTab'] {
    const crossTab = this.#client.hub.options.crossTab
    if (!crossTab) return null
    const roles = crossTab.roles()
    return { groups: roles.length, leading: roles.filter((role) => role.leading).length }
  }
}

const monitors = new WeakMap<LiveStatusClient, DevtoolsMonitor>()

/** The one monitor of `client` (the panel and the profiler share it). */
export function devtoolsMonitor(client: LiveStatusClient, options?: DevtoolsMonitorOptions): DevtoolsMonitor {
  let monitor = monitors.get(client)
  if (!monitor) {
    monitor = new DevtoolsMonitor(client, options)
    monitors.set(client, monitor)
  }
  return monitor
}

function describeKey(queryKey: QueryKey): string {
  const text = hashKey(queryKey)
  return text.length > 80 ? `${text.slice(0, 77)}…` : text
}

function shortUrl(url: string): string {
  try {
    const parsed = new URL(url)
    return parsed.pathname + parsed.search
  } catch {
    return url
  }
}
