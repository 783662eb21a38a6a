import type { QueryClient, QueryKey } from '@tanstack/query-core'
import type { ChannelRouter, RoutedQuery } from './channelRouter'
import type { ChannelClient, ChannelDefinition, ReduceContext } from './defineChannel'
import type { FlushQueue } from './flushScheduler'
import { backoffDelayMs } from '../transport/backoff'
import type { ConnectionSnapshot, EventError } from '../transport/types'
import type { Connection } from '../transport/connection'

/**
 * `setQueryData` for a write that is no fetch's answer (a socket's events, an optimistic state, its
 * undo), which keeps TanStack's invalidated mark on the query of `hash` (`false`: the mark goes): a
 * read asked while nothing observed the query was only marked (or, before the query existed, not
 * even that), and the write would clear the mark, so a view mounting within its `staleTime` would
 * read nothing. A fetch's answer, whoever made it, clears the mark for good. `hash` is the query's
 * hash as the client makes it (`defaultQueryOptions`, its `queryKeyHashFn` included): no scan of the cache.
 */
export function setKeepingMark<TData>(queryClient: QueryClient, queryKey: QueryKey, update: TData | ((data: TData | undefined) => TData | undefined), hash: string | false): void {
  const cache = queryClient.getQueryCache()
  const marked = hash && (cache.get(hash)?.state.isInvalidated ?? true)
  queryClient.setQueryData<TData>(queryKey, update)
  if (marked) cache.get(hash as string)?.invalidate()
}

/** What a live query's writer did, for devtools (`watchActivity` in `live-status/devtools`). */
export type LiveActivity =
  | { type: 'write'; queryKey: QueryKey; events: number }
  | { type: 'fetch'; queryKey: QueryKey; ok: boolean }

/** What a writer needs of the client that made it (`LiveStatusClient` implements it). */
export interface SyncHost extends ChannelClient {
  readonly flushQueue: Pick<FlushQueue, 'add' | 'delete' | 'onError'>
  readonly quietCheckMs: number | false
  /** Told of every cache write and REST fetch: set by `watchActivity` (`live-status/devtools`), and only then is a report built. */
  readonly observe?: ((activity: LiveActivity) => void) | undefined
  /** The status of the connection for `url`, if there is one. */
  socketStatus(url: string): ConnectionSnapshot | undefined
}

/** One write while a fetch is out: a flush's events, or a local update (an optimistic state). */
type JournalEntry<TEvent, TData> = { events: TEvent[]; update?: undefined } | { events?: undefined; update: (data: TData | undefined) => TData | undefined }

/**
 * What is written while fetches are out, for their answers. Past `MAX_JOURNAL_EVENTS` it is let go
 * (`overflowed`): a REST call that hangs while a stream runs must not keep every event; the
 * answers it was kept for are then not taken, and REST is read again.
 */
interface Journal<TEvent, TData> {
  entries: JournalEntry<TEvent, TData>[]
  events: number
  overflowed: boolean
}

/** A fetch the writer keeps a journal for: its answer with what was written since, and its end. */
export interface TrackedFetch<TData> {
  apply(fetched: TData): TData
  close(): void
}

/**
 * Events kept for the answers of fetches that are out, at most: thousands a frame for the length
 * of a slow REST call (100,000 events a second for half a second), not a stream for as long as a
 * hung call lasts.
 */
export const MAX_JOURNAL_EVENTS = 50_000

/**
 * When the socket ends a job before REST knows it (a backend that publishes before it writes its
 * history), the refetch at the end reads the old answer. REST is then asked again until its own
 * answer shows the end: first after REST_AGREE_FIRST_DELAY_MS, doubling up to
 * REST_AGREE_MAX_DELAY_MS, at most REST_AGREE_MAX_TRIES more times (1 + 2 + 4 + 8 + 8 + 8 s).
 */
export const REST_AGREE_FIRST_DELAY_MS = 1000
export const REST_AGREE_MAX_DELAY_MS = 8000
export const REST_AGREE_MAX_TRIES = 6

/**
 * Waiting events are folded ahead of the flush in runs of this many: a fast stream (thousands of
 * events a frame) then keeps a few hundred events alive until the flush, not all of them, and the
 * garbage collector stops copying them (that copying cost a quarter of the client's time).
 */
const FOLD_AHEAD_EVENTS = 256

/**
 * Where the socket was when the last writer of a query left, by the data it left in the cache: its
 * status (a new one on every open, retry and close, and per connection) and the frames it had
 * received, with the query's key (two queries may hold one object: a shared `initialData`). A writer
 * of that query that joins the socket with both the same, on the same data, missed nothing.
 */
const leftAt = new WeakMap<object, [ConnectionSnapshot, string]>()

/** The socket's status and frames received, with the query's hash: what `leftAt` notes and compares. */
const mark = (connection: Connection, hash: string) => `${connection.stats.framesReceived} ${hash}`

/**
 * A sequence number that orders: past 2^53, JSON.parse already gave neighbours the same value
 * (64-bit ids), and comparing them would drop every event after the first as a repeat.
 */
const orderable = (seq: unknown): number | undefined => (typeof seq === 'number' && Math.abs(seq) <= Number.MAX_SAFE_INTEGER ? seq : undefined)

/**
 * The one place that writes events into the query cache, for one live query:
 * - buffers the events routed to it and writes them once per frame, folded in one pass (runs of
 *   `FOLD_AHEAD_EVENTS` on a fast stream);
 * - drops repeated or old `seq` within one socket's life;
 * - applies the events that arrive while a REST fetch is in flight on top of its answer, so a slow
 *   answer never erases what the socket said meanwhile;
 * - invalidates when the job ends (again, with backoff, while REST's own answer still shows it
 *   running), refetches after a reconnect or a dropped frame, and checks REST when an active
 *   job's open socket has said nothing about it for `quietCheckMs`.
 */
export class LiveQuerySync<TParams, TEvent, TData> implements RoutedQuery<TEvent> {
  /** Components (hook instances) showing this query; the writer stops when the last one leaves. */
  holders = 0
  /**
   * @internal The router of its socket and channel, set by the registry (`liveRegistry.ts`); none
   * without a socket, or off it after a definitive REST answer (403, 404): retrying cannot help.
   */
  declare router: ChannelRouter<unknown> | undefined
  declare readonly routeKey: string | undefined
  declare readonly queryKey: QueryKey
  declare readonly url: string | null
  #queryClient: QueryClient
  #client: SyncHost
  #channel: ChannelDefinition<TParams, TEvent, TData>
  #params: TParams
  #pending: TEvent[] = []
  /** Waiting events already folded (`FOLD_AHEAD_EVENTS`): onto `base`, the cache's data then. */
  #ahead: { base: TData | undefined; data: TData | undefined; events: number } | undefined
  #lastSeq = -Infinity
  /** What was written while at least one fetch is in flight (events, local updates); undefined when none is. */
  #journal: Journal<TEvent, TData> | undefined
  /** A refetch was asked for while a fetch that began earlier (and that TanStack joins) was out. */
  #refetchAfter = false
  /**
   * The refetch owed on a timer (after a joined fetch's answer, after an overflow): the data is not
   * whole until it runs. One timer: a reason that comes while it waits is covered by its read.
   */
  #refetchTimer: ReturnType<typeof setTimeout> | undefined
  /** A refetch was asked for in this turn (made at the turn's end: `refetch`), or a fetch joined in it is the refetch (`join`). */
  #refetchQueued = false
  #fetchesInFlight = 0
  /** Answers in a row not taken because the journal overflowed (`MAX_JOURNAL_EVENTS`). */
  #overflows = 0
  #context: ReduceContext<TParams>
  /** Whether this query's socket exists for it alone (its URL names the query's id). */
  declare readonly dedicated: boolean
  #quietTimer: ReturnType<typeof setTimeout> | undefined
  #confirmTimer: ReturnType<typeof setTimeout> | undefined
  /** The socket ended the job and REST has not said so yet: the re-fetches made so far. */
  #awaitingRest: { tries: number } | undefined
  #agreeTimer: ReturnType<typeof setTimeout> | undefined
  #lastNewsAt = 0
  #stopped = false
  /** The reducer threw on an event since the last write: the cache lacks it, so REST is read again. */
  #missed = false
  /** A frame was lost or the socket reconnected since the socket's last end: REST may know of a run the socket did not say. */
  #lostSinceEnd = false
  /** No socket has opened for this writer yet, and it has not fetched: its data (if any) is what the cache kept. */
  #unread = true
  /**
   * Reads asked (`refetch`), and the most of them a fetch's answer covers: more asked than answered,
   * a read is owed. TanStack's `isInvalidated` does not tell it: the mark comes at the turn's end
   * (`refetch`), and a write clears it (`#set` puts it back, for a read owed).
   */
  #asked = 0
  #answered = 0
  /** The query's hash as the client makes it, once: a write while a read is owed looks the query up by it. */
  #hash: string

  constructor(queryClient: QueryClient, client: SyncHost, channel: ChannelDefinition<TParams, TEvent, TData>, params: TParams, url: string | null, dedicated: boolean) {
    this.#queryClient = queryClient
    this.#client = client
    this.#channel = channel
    this.#params = params
    this.url = url
    this.#hash = queryClient.defaultQueryOptions({ queryKey: (this.queryKey = channel.queryKey(params)) }).queryHash
    this.routeKey = channel.route?.params(params)
    this.#context = { params, now: 0, scratch: {} }
    this.dedicated = dedicated
  }

  // ---- from the router ---------------------------------------------------------------------

  accept(event: TEvent): void {
    const channel = this.#channel
    if (this.#stopped) return
    if (channel.matches && !channel.matches(event, this.#params, { dedicatedSocket: this.dedicated })) return
    const seq = orderable(channel.seq ? channel.seq(event) : (event as { seq?: unknown } | null)?.seq)
    if (seq !== undefined) {
      if (seq <= this.#lastSeq) return
      this.#lastSeq = seq
    }
    if (this.#pending.push(event) === 1) this.#client.flushQueue.add(this)
    // Not while a fetch is out: its journal keeps each flush's events to apply on its answer.
    else if (this.#pending.length >= FOLD_AHEAD_EVENTS && this.#journal === undefined) {
      const ahead = (this.#ahead ??= { base: this.#data(), data: undefined, events: 0 })
      ahead.data = this.#fold(ahead.events > 0 ? ahead.data : ahead.base, this.#pending)
      ahead.events += this.#pending.length
      this.#pending = []
    }
  }

  opened(reconnected: boolean, send: (message: unknown) => boolean, joined?: Connection): void {
    // Sequence numbers are only comparable within one socket's life: a restarted server counts anew.
    this.#lastSeq = -Infinity
    try {
      this.#channel.onOpen?.({ params: this.#params, reconnected, send, client: this.#client, write: (update) => this.write(update), refetch: () => this.refetch() })
    } catch (error) {
      // A channel's greeting that throws: reported, and the refetch below still runs.
      this.#client.flushQueue.onError(error)
    }
    if (reconnected) this.lost()
    else if (this.#unread) {
      // A writer that starts on cached data nobody fetched for it (a remount within `staleTime`, a
      // view enabled again), or on a fetch sent before it, missed what happened while none
      // listened. Joining a socket that was already open and has said anything since this data's
      // last writer left, it may have missed news of an active job (an end will not be said
      // again) or of the job the fetch asked about: REST is read once. A socket that opens now
      // greets it (or its dialect's `onOpen` reads REST); the quiet check reads REST if the socket
      // says nothing of the job meanwhile.
      const data = this.#data()
      const left = leftAt.get(data as object)
      const missed = joined && (left?.[0] !== joined.getStatus() || left[1] !== mark(joined, this.#hash))
      if (missed && (this.#fetchesInFlight > 0 || this.#channel.isActive(data))) this.refetch()
      this.#armQuietCheck(data)
    }
    this.#unread = false
  }

  /** Called before `stop`, while what this writer still owes is known. */
  left(connection: Connection): void {
    const data = this.#data()
    if (data !== Object(data)) return
    // Only a writer whose data holds everything it heard (nothing waiting to be written, no read owed
    // or out; a refetch owed after a fetch is owed only while one is out) may vouch for it:
    // StrictMode's unmount between mount and remount stops a writer whose read is still queued. A
    // read asked while nothing observed the query was not made, only marked invalidated (the
    // writer's writes keep the mark: `setKeepingMark`): a next writer joining this socket, or a view
    // that does not refetch on mount, would keep this data for good. Keyed by the data itself:
    // anything written after is not this data.
    if (this.#pending.length > 0 || this.#ahead || this.#refetchTimer || this.#missed || this.#fetchesInFlight > 0 || this.#asked > this.#answered) leftAt.delete(data as object)
    else leftAt.set(data as object, [connection.getStatus(), mark(connection, this.#hash)])
  }

  lost(_error?: EventError): void {
    // What arrived before the loss is written first: an end it holds is not news of after it
    // (written later, it took the loss back, and REST's newer run was held off as lagging).
    this.flush()
    this.#lostSinceEnd = true
    this.refetch()
  }

  missed(): void {
    // Read at the next flush, once however many events of the frame were missed.
    this.#missed = true
    this.#client.flushQueue.add(this)
  }

  // ---- writing -----------------------------------------------------------------------------

  /** Writes the waiting events into the cache (called by the flush queue once per frame). */
  flush(): void {
    const events = this.#pending
    const ahead = this.#ahead
    // A stopped writer has nothing waiting (`accept` takes nothing after `stop`).
    if (events.length === 0 && !ahead) return this.#refetchMissed()
    this.#pending = []
    this.#ahead = undefined
    if (this.#journal) this.#record({ events }, events.length)
    this.#lastNewsAt = Date.now()
    let before: TData | undefined
    let after: TData | undefined
    let overtaken: boolean | undefined
    // Folded inside setQueryData's updater, which is handed the cache's data: one lookup of the
    // query per flush, not two. A lookup hashes the key and defaults the options (getQueryData took
    // 1.8-2.6 µs here, a fifth of a query's flush), paid per operation per frame on a shared socket:
    // 50 operations' flush went from 0.40-0.43 to 0.33-0.38 of the time their events took to arrive.
    this.#set((data) => {
      // Data written by someone else since events were folded ahead: those events are not on it (refetch).
      after = ahead && !(overtaken = ahead.base !== data) ? ahead.data : data
      if (events.length > 0) after = this.#fold(after, events)
      // Undefined writes nothing, as before: the same data written would reach every observer as new.
      return after === (before = data) ? (after = undefined) : after
    })
    if (overtaken) this.refetch()
    if (after === undefined) return this.#refetchMissed()
    this.#client.observe?.({ type: 'write', queryKey: this.queryKey, events: events.length + (ahead?.events ?? 0) })
    const isTerminal = this.#channel.isTerminal
    const ended = isTerminal?.(after) === true
    if (ended && isTerminal!(before) !== true) {
      // The job ended on the socket: REST's copy is read once more, until REST has the end too.
      this.#awaitingRest = { tries: 0 }
      this.#lostSinceEnd = false
      this.#clearAgree()
      this.refetch()
    } else if (this.#awaitingRest && !ended) {
      // A new run began (channels whose jobs repeat): that end is no longer the news.
      this.#awaitingRest = undefined
      this.#clearAgree()
    }
    this.#armQuietCheck(after)
    this.#refetchMissed()
  }

  /** REST again once written, when the reducer left an event out (one fetch at a time: a reducer that throws on every event must not start one per frame). */
  #refetchMissed(): void {
    if (!this.#missed) return
    this.#missed = false
    if (this.#fetchesInFlight > 0) this.#refetchAfter = true
    else this.refetch()
  }

  /**
   * The REST fetch, as the query's `queryFn` runs it: the channel's fetch merged with what the
   * cache held when it started, then every event written while it was in flight applied on top.
   */
  async fetch(signal: AbortSignal): Promise<TData> {
    // Events that arrived before this request left are older than its answer: write them first, so
    // they are part of what the answer is merged with rather than applied on top of it.
    if (this.#pending.length > 0 || this.#ahead) this.flush()
    // A refetch asked for until now (by that flush, say) is this fetch.
    this.#refetchQueued = false
    const asked = this.#asked
    const previous = this.#data()
    this.#unread = false
    const tracked = this.#track()
    const close = tracked.close
    // A fetch that ignores its signal must not keep the journal growing after TanStack gave up on it.
    // Cancelled with a revert (its last view left, `cancelQueries`), TanStack puts back the state of
    // the last setQueryData (from 5.85), without the mark: the read is still owed, so it is marked again.
    // Only a fetch begun on a marked query (or one with no data): one begun after an app's own read
    // answered the ask (a view that reads on every mount) owes nothing, though this writer cannot
    // tell that read was made.
    const marked = previous === undefined || this.#query()?.state.isInvalidated
    const aborted = () => {
      close()
      if (marked && this.#asked > this.#answered) this.#query()?.invalidate()
    }
    signal.addEventListener('abort', aborted, { once: true })
    // Only an answer asked for after the socket ended the job can tell whether REST has caught up.
    const awaiting = this.#awaitingRest
    let restEnded: boolean | undefined
    try {
      const fetched = await this.#channel.fetch({ client: this.#client, params: this.#params, signal, previous, reportEnded: (ended) => (restEnded = ended) })
      let lagging = false
      if (awaiting && awaiting === this.#awaitingRest) {
        if (restEnded ?? this.#channel.isTerminal?.(fetched) === true) this.#awaitingRest = undefined
        else {
          lagging = true
          this.#armAgree()
        }
      }
      let data = tracked.apply(fetched)
      // REST has not caught up with the end the socket wrote: its answer (stamped or not) does not
      // take the screen back to "running" while it is asked again. A new run's events, had any
      // come, would be in the cache too, which then is not ended; had one been lost (a dropped
      // frame, a reconnect), REST is the only one that knows of it, and is taken.
      const shown = this.#data()
      if (lagging && !this.#lostSinceEnd && this.#channel.isTerminal?.(shown) === true && this.#channel.isTerminal(data) !== true) data = shown!
      // This fetch is in flight: a reducer's miss here refetches after it.
      this.#refetchMissed()
      this.#lastNewsAt = Date.now()
      this.#armQuietCheck(data)
      // REST ended a job the socket showed running. Usually it is right (a worker that failed in
      // silence); a replica that lags behind the socket can also answer with the previous run's
      // result. Only a second look tells them apart: one more fetch a quiet period later.
      const isActive = this.#channel.isActive
      if (isActive(shown) && !isActive(data)) this.#armConfirm()
      // An older fetch answering last lowers it: one more read on a rejoin, never one less.
      if (!signal.aborted) this.#answered = asked
      return data
    } catch (error) {
      // A failed check (not one TanStack cancelled) is asked again the same way.
      if (!signal.aborted && awaiting && awaiting === this.#awaitingRest) this.#armAgree()
      throw error
    } finally {
      signal.removeEventListener('abort', aborted)
      close()
    }
  }

  /**
   * @internal A fetch of this query that began before this writer existed (a loader's prefetch, a
   * `useQuery` mounted before its subscription): what this writer writes until it answers is
   * applied on its answer (`apply`), which would otherwise erase it. `close` when it answered or failed.
   */
  join(sentThisTurn: boolean): TrackedFetch<TData> {
    if (sentThisTurn && !this.#refetchQueued) {
      // Nothing came between that request and this writer (socket news takes a task of its own):
      // its answer, with what is written from now on, is the refetch this turn may ask for.
      // Asking anyway would cancel it.
      this.#refetchQueued = true
      void Promise.resolve().then(() => (this.#refetchQueued = false))
    }
    return this.#track()
  }

  /** Keeps what is written from now on for a fetch's answer. */
  #track(): TrackedFetch<TData> {
    const journal = (this.#journal ??= { entries: [], events: 0, overflowed: false })
    const start = journal.entries.length
    this.#fetchesInFlight++
    let open = true
    return {
      apply: (fetched) => {
        if (journal.overflowed) {
          // Too much was written to keep: the cache has it all, the answer is older. REST again,
          // later each time in a row, so a stream that outruns every answer does not become a loop.
          this.#refetchLater(backoffDelayMs(++this.#overflows, REST_AGREE_FIRST_DELAY_MS, 30_000, () => 1))
          return this.#data() ?? fetched
        }
        this.#overflows = 0
        let data = fetched
        for (let i = start; i < journal.entries.length; i++) {
          const entry = journal.entries[i]!
          data = (entry.update ? entry.update(data) : this.#fold(data, entry.events)) ?? data
        }
        return data
      },
      close: () => {
        if (!open) return
        open = false
        if (--this.#fetchesInFlight > 0) return
        this.#journal = undefined
        if (!this.#refetchAfter) return
        this.#refetchAfter = false
        // After TanStack has taken this answer: a refetch now would join this very fetch.
        this.#refetchLater(0)
      },
    }
  }

  /** A refetch owed after `delayMs`: until it is asked for, `left` does not vouch for the data. */
  #refetchLater(delayMs: number): void {
    // One owed read covers every reason for it, as it starts after them all (and the one armed
    // first comes first). A stopped writer's fetch may still answer: nothing holds it after `stop`.
    if (this.#stopped || this.#refetchTimer) return
    this.#refetchTimer = setTimeout(() => {
      this.#refetchTimer = undefined
      this.refetch()
    }, delayMs)
  }

  #record(entry: JournalEntry<TEvent, TData>, events: number): void {
    const journal = this.#journal
    if (!journal) return
    journal.entries.push(entry)
    if ((journal.events += events) <= MAX_JOURNAL_EVENTS) return
    journal.overflowed = true
    journal.entries = []
    this.#journal = undefined
  }

  /**
   * A local write (an optimistic state): applied now, and again on top of the answer of any fetch
   * that is out, so that answer (asked before it) does not undo it.
   */
  write(update: (data: TData | undefined) => TData | undefined): void {
    if (this.#pending.length > 0 || this.#ahead) this.flush()
    this.#record({ update }, 1)
    this.#set(update)
  }

  /**
   * Refetches the query if something shows it, with a request that starts now. TanStack cancels a
   * fetch in flight for it, except while the query has no data yet: then it would join that fetch,
   * whose answer may predate what made us refetch, so one more follows when it is done. (No
   * `cancelQueries`: before 5.80 its revert also restored the data of before the fetch, erasing
   * what the socket wrote meanwhile.)
   */
  refetch(): void {
    // Once per turn, after the turn's writes: a loss that writes an end asks twice, and a request
    // sent at the first call would be cancelled by the second (or, kept, would not know of the end
    // written after it). A promise job, not `queueMicrotask`, which fake timers may fake.
    if (this.#stopped || this.#refetchQueued) return
    this.#refetchQueued = true
    // Asked now: a fetch that begins before the job below covers it.
    this.#asked++
    void Promise.resolve().then(() => {
      // A fetch that began meanwhile (TanStack's own) reads everything up to now: it is the refetch.
      if (!this.#refetchQueued || this.#stopped) return
      this.#refetchQueued = false
      // A fetch out that began before this ask and that TanStack keeps (it joins it while the query
      // has no data; nothing shows the query, so it is only marked): its answer clears the mark
      // without reading after the ask, so one more read follows it (only marked, if still unshown).
      if (this.#fetchesInFlight > 0 && (this.#data() === undefined || this.#query()?.isActive() === false)) this.#refetchAfter = true
      void this.#queryClient.invalidateQueries({ queryKey: this.queryKey, exact: true })
    })
  }

  stop(): void {
    this.#stopped = true
    this.#pending = []
    this.#ahead = undefined
    this.#client.flushQueue.delete(this)
    // Not reset: a stopped writer arms nothing again.
    clearTimeout(this.#quietTimer)
    clearTimeout(this.#confirmTimer)
    clearTimeout(this.#refetchTimer)
    this.#awaitingRest = undefined
    this.#clearAgree()
  }

  /**
   * The channel's reducer over `events`. An event it throws on is left out, reported to
   * `onCallbackError`, and REST read again: one bad event (or a reducer's bug) must not lose the
   * events after it, nor stop this query's later writes.
   */
  #fold(data: TData | undefined, events: readonly TEvent[]): TData | undefined {
    const channel = this.#channel
    const context = this.#context
    context.now = Date.now()
    if (channel.reduceMany) {
      try {
        return channel.reduceMany(data, events, context)
      } catch (error) {
        this.#reduceFailed(error)
        return data
      }
    }
    let next = data
    for (const event of events) {
      try {
        next = channel.reduce(next, event, context)
      } catch (error) {
        this.#reduceFailed(error)
      }
    }
    return next
  }

  /** The query, by its hash (see `setKeepingMark`). */
  #query() {
    return this.#queryClient.getQueryCache().get(this.#hash)
  }

  #data(): TData | undefined {
    return this.#queryClient.getQueryData<TData>(this.queryKey)
  }

  /** A write of this writer's, which leaves a read it asked owed (see `setKeepingMark`). */
  #set(update: (data: TData | undefined) => TData | undefined): void {
    setKeepingMark(this.#queryClient, this.queryKey, update, this.#asked > this.#answered && this.#hash)
  }

  #reduceFailed(error: unknown): void {
    this.#missed = true
    this.#client.flushQueue.onError(error)
  }

  // ---- the quiet check ---------------------------------------------------------------------

  /**
   * Some backends end a job without saying so (a worker that fails writes FAILED to its database
   * and publishes nothing): an active job whose open socket stays quiet gets a REST check. One
   * lazy timer, pushed back by news instead of being reset per event.
   */
  #armQuietCheck(data: TData | undefined): void {
    const quietMs = this.#client.quietCheckMs
    // A timer is never falsy (an object in Node, an id above 0 in a browser), as `#refetchLater` reads it too.
    if (quietMs === false || this.#quietTimer || this.#stopped) return
    if (!this.#channel.isActive(data)) return
    this.#quietTimer = setTimeout(() => this.#quietCheck(), quietMs)
  }

  #armConfirm(): void {
    const quietMs = this.#client.quietCheckMs
    if (quietMs === false || this.#confirmTimer || this.#stopped) return
    this.#confirmTimer = setTimeout(() => {
      this.#confirmTimer = undefined
      this.refetch()
    }, quietMs)
  }

  // ---- REST catching up with an end the socket reported -------------------------------------

  /**
   * The counterpart of `#armConfirm`: the socket ended the job and REST's answer still shows it
   * running. One more fetch after a delay that doubles each time, until REST agrees or the tries
   * run out. The cache keeps the end meanwhile (the channel's merge keeps it).
   */
  #armAgree(): void {
    const awaiting = this.#awaitingRest
    if (!awaiting || this.#agreeTimer || this.#stopped) return
    if (awaiting.tries >= REST_AGREE_MAX_TRIES) {
      this.#awaitingRest = undefined
      return
    }
    // The reconnect backoff's curve, without jitter: one query, not a fleet of clients.
    const delayMs = backoffDelayMs(++awaiting.tries, REST_AGREE_FIRST_DELAY_MS, REST_AGREE_MAX_DELAY_MS, () => 1)
    this.#agreeTimer = setTimeout(() => {
      this.#agreeTimer = undefined
      if (this.#awaitingRest === awaiting) this.refetch()
    }, delayMs)
  }

  #clearAgree(): void {
    clearTimeout(this.#agreeTimer)
    this.#agreeTimer = undefined
  }

  #quietCheck(): void {
    this.#quietTimer = undefined
    // Armed only while checks are on, and `stop` clears it.
    const quietMs = this.#client.quietCheckMs as number
    const data = this.#data()
    if (!this.#channel.isActive(data)) return
    const quietFor = Date.now() - this.#lastNewsAt
    if (quietFor < quietMs) {
      this.#quietTimer = setTimeout(() => this.#quietCheck(), quietMs - quietFor)
      return
    }
    // A socket that is down is covered by polling; an open one that stays quiet is what this is for
    // (no socket, no status).
    if (this.#client.socketStatus(this.url!)?.state === 'open') this.refetch()
    this.#lastNewsAt = Date.now()
    this.#armQuietCheck(data)
  }
}
