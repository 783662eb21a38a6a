/** An event as the bus stores and delivers it: the app's event plus its per-project `seq`. */
export type SequencedEvent = Record<string, unknown> & { type: string; seq: number }

/** What a shared bus holds of a project: see `EventBus.retained`. */
export interface RetainedState {
  /** The newest checkpoint's events (its `seq` on each), or none. */
  checkpoint: SequencedEvent[]
  /** The events after the checkpoint (or all the bus holds), oldest first. */
  events: SequencedEvent[]
}

/**
 * Fan-out and short history of project events. The in-memory bus serves one process; a shared bus
 * (Redis streams) lets several server instances serve the same projects.
 */
export interface EventBus {
  /** Stores `event` with the project's next `seq` and delivers it to every subscriber of the project. */
  publish(projectId: string, event: Record<string, unknown> & { type: string }): Promise<SequencedEvent>
  /** Live events of one project, from now on. */
  subscribe(projectId: string, listener: (event: SequencedEvent) => void): () => void
  /**
   * The events after `sinceSeq`, oldest first; `null` when the history no longer reaches back that
   * far (the caller then sends a snapshot instead).
   */
  history(projectId: string, sinceSeq: number): Promise<SequencedEvent[] | null>
  /** The latest `seq` of a project, 0 before its first event. */
  head(projectId: string): Promise<number>
  /**
   * Whether the bus can serve now (connected, not closed): `/readyz` asks it.
   * @default none: a bus without it counts as ready
   */
  ready?(): Promise<boolean>
  /**
   * Shared buses: the project an operation was published in, so any instance answers
   * `GET /api/operations/{id}` for operations published on another.
   * @default none: only operations published on this instance are found
   */
  locate?(operationId: string): Promise<string | null>
  /**
   * Shared buses: what an instance folds into a project's state the first time it serves a project
   * it did not follow (its events were published on another instance): the newest checkpoint, then
   * the events after it, oldest first.
   * @default none: state comes from this instance's own subscription only
   */
  retained?(projectId: string): Promise<RetainedState>
  /**
   * Shared buses: stores `events` (a project's state as snapshot events, each with `seq`) as the
   * project's checkpoint, unless a newer one is stored. The server writes one every
   * `checkpointIntervalMs` for each project it follows, so `retained` rebuilds state the stream
   * no longer holds (trimmed entries).
   * @default none: `retained` has only what the bus still holds
   */
  checkpoint?(projectId: string, seq: number, events: SequencedEvent[]): Promise<void>
  /**
   * Entries of a shared store its reader dropped because they are not events (written by something
   * else: no event field, not JSON, no `type`): `drops.unreadable_entry` in the server's metrics.
   * @default undefined (none)
   */
  readonly unreadableEntries?: number
  close(): Promise<void>
}

import { performance } from 'node:perf_hooks'

/**
 * Sequence numbers that keep increasing across restarts of an in-memory server: microseconds of
 * the wall clock, or one more than the last, whichever is larger. A client that reconnects to a
 * restarted server therefore never sees `seq` go backwards (which it would drop as stale).
 * (Microseconds since 1970 stay below 2^53 until the year 2255.)
 */
export function nextSeq(last: number, nowMicros = Math.floor((performance.timeOrigin + performance.now()) * 1000)): number {
  return Math.max(last + 1, nowMicros)
}

/** Options of the in-memory event bus (one server instance; `RedisStreamsBus` for several). */
export interface InMemoryEventBusOptions {
  /** Events kept per project for `?since=` replay. @default 1000 */
  historySize?: number
}

/** The default bus: one process, history in memory. */
export class InMemoryEventBus implements EventBus {
  #historySize: number
  /**
   * `floor`: the history holds every event after this seq. It starts at the bus's creation time,
   * so a client resuming from before a restart is told there is a gap.
   */
  #projects = new Map<string, { history: SequencedEvent[]; head: number; floor: number; listeners: Set<(event: SequencedEvent) => void> }>()
  #createdAt = nextSeq(0)
  #closed = false

  constructor({ historySize = 1000 }: InMemoryEventBusOptions = {}) {
    this.#historySize = historySize
  }

  #project(projectId: string) {
    let project = this.#projects.get(projectId)
    if (!project) this.#projects.set(projectId, (project = { history: [], head: 0, floor: this.#createdAt, listeners: new Set() }))
    return project
  }

  async publish(projectId: string, event: Record<string, unknown> & { type: string }): Promise<SequencedEvent> {
    const project = this.#project(projectId)
    project.head = nextSeq(project.head)
    const sequenced = { ...event, seq: project.head } as SequencedEvent
    project.history.push(sequenced)
    if (project.history.length > this.#historySize) {
      const evicted = project.history.splice(0, project.history.length - this.#historySize)
      project.floor = evicted[evicted.length - 1]!.seq
    }
    for (const listener of [...project.listeners]) listener(sequenced)
    return sequenced
  }

  subscribe(projectId: string, listener: (event: SequencedEvent) => void): () => void {
    const project = this.#project(projectId)
    project.listeners.add(listener)
    return () => {
      project.listeners.delete(listener)
      // A project nobody published to or listens to is not kept: ids a client only asked about
      // must not accumulate.
      if (project.listeners.size === 0 && project.history.length === 0 && this.#projects.get(projectId) === project) this.#projects.delete(projectId)
    }
  }

  async history(projectId: string, sinceSeq: number): Promise<SequencedEvent[] | null> {
    const project = this.#projects.get(projectId)
    const floor = project?.floor ?? this.#createdAt
    if (sinceSeq < floor) return null
    return project ? project.history.filter((e) => e.seq > sinceSeq) : []
  }

  /** Projects held (with history or listeners). */
  get size(): number {
    return this.#projects.size
  }

  async ready(): Promise<boolean> {
    return !this.#closed
  }

  async head(projectId: string): Promise<number> {
    return this.#projects.get(projectId)?.head ?? 0
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#projects.clear()
  }
}
