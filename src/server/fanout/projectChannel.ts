import type { EventBus, RetainedState, SequencedEvent } from '../eventBus'
import { ProjectState, type OperationChannel } from '../projectState'
import { withTimeout } from '../withTimeout'
import { encodeFrames } from './frames'

/** Frames encoded once per flush: every member is sent the same bytes, not a string to re-encode. */
interface Encoded {
  frames: Buffer[]
  lastSeqs: number[]
  events: number
}

/** A client (socket or SSE stream) as the fan-out sees it. */
export interface ChannelMember {
  /** Every event at or below this seq has been sent (or was covered by the snapshot or replay). */
  sentSeq: number
  /** Live events that arrived while the member was joining; `undefined` once it has joined. */
  pending: SequencedEvent[] | undefined
  /**
   * Sends the frames (UTF-8 JSON text), `lastSeqs[i]` being the highest `seq` in `frames[i]`; false
   * when the member could not take them (closed, too slow).
   */
  sendFrames(frames: readonly Buffer[], events: number, lastSeqs: readonly number[]): boolean
}

export interface ChannelConfig {
  batchIntervalMs: number
  batchMaxEvents: number
  maxFrameBytes: number
  onEventIn: () => void
  onDropped: (reason: 'event_too_large' | 'unserialisable_event') => void
  /** Reading or writing the shared bus's retained state failed. */
  onBusError: (what: 'rebuild' | 'checkpoint', error: unknown) => void
  /** A rebuild from the shared bus that has not finished by then has failed. */
  rebuildTimeoutMs: number
  /** The vocabulary operation events are folded with. @default the reference protocol's */
  operationChannel?: OperationChannel
}

/** What a member got on joining: the events of its replay or snapshot and the frames they took. */
export interface JoinResult {
  kind: 'replay' | 'snapshot'
  events: number
  frames: number
}

/**
 * One project's fan-out: subscribed to the bus for as long as it exists, it folds every event into
 * the project's state and sends it, batched, to the members. A member joining gets a replay or a
 * snapshot, and the live events that came meanwhile, each event exactly once (by `seq`).
 */
export class ProjectChannel {
  readonly projectId: string
  readonly state: ProjectState
  readonly members = new Set<ChannelMember>()
  /** Members still joining (they collect live events in `pending`): a subset, so `receive` does not walk every member per event. */
  #joining = new Set<ChannelMember>()
  /** The highest seq folded into `state`. */
  appliedSeq = 0
  #buffer: SequencedEvent[] = []
  #timer: ReturnType<typeof setTimeout> | undefined
  #unsubscribe: () => void
  #config: ChannelConfig
  #bus: EventBus
  /** Live events held while the state is rebuilt from the shared bus, folded after it. */
  #held: SequencedEvent[] | undefined
  #checkpointedSeq = 0
  /**
   * True once the state holds what the shared bus retains (at once without a shared bus); false
   * when that could not be read in time: the channel then serves nothing (no snapshot, no REST
   * answer, no checkpoint: a partial state must not pass for the project's) and the registry drops
   * it, so the next socket or request tries again.
   */
  readonly rebuilt: Promise<boolean>

  constructor(projectId: string, bus: EventBus, config: ChannelConfig) {
    this.projectId = projectId
    this.state = new ProjectState(projectId, config.operationChannel)
    this.#bus = bus
    this.#config = config
    // Subscribed first, read second: an event published during the read is held, not missed.
    this.#unsubscribe = bus.subscribe(projectId, (event) => (this.#held ? this.#held.push(event) : this.receive(event)))
    this.rebuilt = bus.retained ? this.#rebuild(bus.retained.bind(bus)) : Promise.resolve(true)
  }

  async #rebuild(retained: (projectId: string) => Promise<RetainedState>): Promise<boolean> {
    this.#held = []
    try {
      const timeoutMs = this.#config.rebuildTimeoutMs
      const { checkpoint, events } = await withTimeout(retained(this.projectId), timeoutMs, () => {
        throw new Error(`the bus did not answer within ${timeoutMs} ms`)
      })
      // Checkpoint events share one seq: folded as a whole, not through the per-event dedupe.
      for (const event of checkpoint) this.state.apply(event)
      const checkpointSeq = checkpoint[0]?.seq ?? 0
      this.appliedSeq = Math.max(this.appliedSeq, checkpointSeq)
      this.#checkpointedSeq = checkpointSeq
      for (const event of events) this.receive(event)
      const held = this.#held
      this.#held = undefined
      for (const event of held) this.receive(event)
      return true
    } catch (error) {
      this.#config.onBusError('rebuild', error)
      return false
    }
  }

  /**
   * Folds what the bus holds beyond `appliedSeq` now, ahead of this instance's own reader (which
   * may lag a moment behind another instance's publish): a REST answer must not be a 404 for an
   * operation another instance has just published. The reader's copies are then dropped by `seq`.
   */
  async catchUp(): Promise<void> {
    if (!this.#bus.retained || this.#held) return
    // null: the stream cannot prove it holds all after appliedSeq (made anew: expired, Redis lost
    // its data). What it holds is still newer than this state, and what the reader will deliver.
    const events = (await this.#bus.history(this.projectId, this.appliedSeq)) ?? (await this.#bus.retained(this.projectId)).events
    for (const event of events) this.receive(event)
  }

  /** Writes the state as the project's checkpoint on a shared bus, if it changed since the last. */
  async checkpoint(): Promise<void> {
    const seq = this.appliedSeq
    if (!this.#bus.checkpoint || this.#held || seq <= this.#checkpointedSeq) return
    this.#checkpointedSeq = seq
    try {
      await this.#bus.checkpoint(this.projectId, seq, this.state.snapshot(seq, { withTimestamps: true }))
    } catch (error) {
      // Written again at the next interval.
      if (this.#checkpointedSeq === seq) this.#checkpointedSeq = 0
      this.#config.onBusError('checkpoint', error)
    }
  }

  /** Nothing to keep: no members and no job the REST routes or a snapshot would report. */
  get idle(): boolean {
    return this.members.size === 0 && this.state.isEmpty && this.#held === undefined
  }

  /** Folds an event (from the bus, or retained ones when rebuilding) and sends it to members. */
  receive(event: SequencedEvent): void {
    // A bus may deliver an event twice (a reconnecting subscriber): fold and send it once.
    if (typeof event?.seq !== 'number' || event.seq <= this.appliedSeq) return
    this.#config.onEventIn()
    this.appliedSeq = event.seq
    this.state.apply(event)
    if (this.members.size === 0) return
    for (const member of this.#joining) member.pending?.push(event)
    this.#buffer.push(event)
    if (this.#buffer.length >= this.#config.batchMaxEvents) this.flush()
    else this.#timer ??= setTimeout(() => this.flush(), this.#config.batchIntervalMs)
  }

  #encode(events: readonly SequencedEvent[]): Encoded {
    const encoded = encodeFrames(events, this.#config.maxFrameBytes, (reason) => this.#config.onDropped(reason))
    return { frames: encoded.frames.map((frame) => Buffer.from(frame)), lastSeqs: encoded.lastSeqs, events: encoded.events }
  }

  /** Sends the waiting events to every joined member. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    const events = this.#buffer
    this.#buffer = []
    if (events.length === 0) return
    const firstSeq = events[0]!.seq
    const lastSeq = events[events.length - 1]!.seq
    let all: Encoded | undefined
    for (const member of this.members) {
      if (member.pending) continue
      if (member.sentSeq < firstSeq) {
        all ??= this.#encode(events)
        member.sendFrames(all.frames, all.events, all.lastSeqs)
      } else {
        // Joined mid-batch: part of it was in its snapshot or replay.
        const newer = events.filter((e) => e.seq > member.sentSeq)
        if (newer.length > 0) {
          const own = this.#encode(newer)
          member.sendFrames(own.frames, own.events, own.lastSeqs)
        }
      }
      if (lastSeq > member.sentSeq) member.sentSeq = lastSeq
    }
  }

  /**
   * Adds `member` and sends it what it missed since `sinceSeq` (or the current state), then the
   * live events that arrived meanwhile. Subscribed first, read second: an event published while a
   * slow bus reads history is in the history or in `pending`, and sent once either way.
   */
  async join(member: ChannelMember, sinceSeq: number | null, isCurrent: () => boolean): Promise<JoinResult | 'unavailable' | null> {
    // A member from the start, so the channel is not idle (and not released) while it rebuilds.
    member.pending = []
    this.members.add(member)
    this.#joining.add(member)
    if (!(await this.rebuilt)) {
      this.leave(member)
      return 'unavailable'
    }
    let replay: SequencedEvent[] | null = null
    if (sinceSeq !== null) {
      // One round trip, not two: a history read above the head is empty and cheap.
      const [head, history] = await Promise.all([this.#bus.head(this.projectId), this.#bus.history(this.projectId, sinceSeq)])
      // A `since` above the head (another process's clock, a forged value) gets a snapshot.
      // No history that far back, but the client is exactly where this state is: nothing to send.
      if (sinceSeq <= Math.max(head, this.appliedSeq)) replay = history ?? (sinceSeq === this.appliedSeq ? [] : null)
    }
    if (!isCurrent() || !this.members.has(member)) return null
    let first: SequencedEvent[]
    let kind: JoinResult['kind']
    if (replay) {
      kind = 'replay'
      first = []
      let last = sinceSeq!
      for (const event of replay) {
        if (typeof event?.seq !== 'number' || event.seq <= last) continue
        first.push(event)
        last = event.seq
      }
      member.sentSeq = last
    } else {
      kind = 'snapshot'
      // The state holds every event up to appliedSeq, so everything pending is in it already.
      first = this.state.snapshot(this.appliedSeq)
      member.sentSeq = this.appliedSeq
    }
    const pending = member.pending.filter((e) => e.seq > member.sentSeq)
    member.pending = undefined
    this.#joining.delete(member)
    const encoded = this.#encode(first)
    if (encoded.frames.length > 0) member.sendFrames(encoded.frames, encoded.events, encoded.lastSeqs)
    if (pending.length > 0) {
      const live = this.#encode(pending)
      member.sendFrames(live.frames, live.events, live.lastSeqs)
      member.sentSeq = pending[pending.length - 1]!.seq
    }
    return { kind, events: encoded.events, frames: encoded.frames.length }
  }

  leave(member: ChannelMember): void {
    this.members.delete(member)
    this.#joining.delete(member)
    if (this.members.size === 0) {
      if (this.#timer) clearTimeout(this.#timer)
      this.#timer = undefined
      this.#buffer = []
    }
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#buffer = []
    this.members.clear()
    this.#joining.clear()
    this.#unsubscribe()
  }
}
