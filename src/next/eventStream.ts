import type { SourceEvent } from './source'
import { PING_FRAME, retryFrame, sseFrame } from './sseFrame'

/** How one response body is written. */
export interface EventStreamOptions {
  /** A comment line goes out after this long without an event. */
  heartbeatMs: number
  /** Sent first, as the `retry:` line. */
  retryMs: number
  /**
   * Aborted by the caller when the client goes away; aborted here when the stream ends for any
   * other reason. The source holds its signal, so either way it stops reading.
   */
  abort: AbortController
  /** An event that could not be written (skipped), or the source failing (the stream ends). */
  onFailure: (what: 'event' | 'source', error: unknown) => void
}

const encoder = new TextEncoder()
const PING = encoder.encode(PING_FRAME)
/** Heartbeats in a row with the client taking nothing, after which the stream ends (one minute at the default 15 s). */
export const STALLED_TICKS = 4

/**
 * A response body in the event-stream format, read from `events` one at a time as the client
 * takes them (`pull`: a slow client slows the source instead of filling memory). Web APIs only
 * (`ReadableStream`, `TextEncoder`, timers), so it runs on the Node and the edge runtime alike.
 *
 * It ends when the source ends or throws (the client reconnects with `Last-Event-ID`), and when
 * the client goes away: then the source's signal is aborted and its iterator returned.
 */
export function eventStream(events: AsyncIterable<SourceEvent>, options: EventStreamOptions): ReadableStream<Uint8Array> {
  const { heartbeatMs, retryMs, abort, onFailure } = options
  const iterator = events[Symbol.asyncIterator]()
  let heartbeat: ReturnType<typeof setTimeout> | undefined
  /** When the last event or ping was written. */
  let wroteAt = Date.now()
  let stalledTicks = 0
  let pulledSinceTick = false
  let ended = false
  let controller!: ReadableStreamDefaultController<Uint8Array>

  const end = () => {
    if (ended) return
    ended = true
    clearTimeout(heartbeat)
    abort.abort()
    // A generator waiting on its own await finishes that first; its signal is already aborted.
    // What the source throws while it finishes (its own cleanup failing) is reported, not lost.
    void Promise.resolve()
      .then(() => iterator.return?.())
      .catch((error: unknown) => onFailure('source', error))
    try {
      controller.close()
    } catch {
      // Already cancelled by the client: nothing to close.
    }
  }

  /**
   * The heartbeat: a ping once nothing was written for a whole `heartbeatMs`, never later (a tick
   * on a fixed clock that skipped its ping after any event let an event just after a tick hold the
   * next ping off, for up to twice `heartbeatMs` of silence, past a proxy's idle timeout). Events
   * only note when they went (one `Date.now()`, not a timer re-armed per event). Only to a client
   * that reads: pings queued behind one that stopped would grow this server by one a tick.
   */
  const tick = () => {
    const quietMs = Date.now() - wroteAt
    // A wall clock stepped back (NTP, a resumed VM) makes `quietMs` negative: due now, not after the step.
    if (quietMs >= 0 && quietMs < heartbeatMs) {
      heartbeat = setTimeout(tick, heartbeatMs - quietMs)
      return
    }
    const reading = controller.desiredSize! > 0
    // A client that has taken nothing for STALLED_TICKS heartbeats is gone without a word (a
    // half-open connection, a runtime that never aborts the request): the stream ends, so its
    // source and its user's `maxStreamsPerUser` slot are not held for good. A live client
    // reconnects with `Last-Event-ID`. (A pull is the client taking what was queued.)
    stalledTicks = reading || pulledSinceTick ? 0 : stalledTicks + 1
    pulledSinceTick = false
    if (stalledTicks >= STALLED_TICKS) return end()
    if (reading) {
      controller.enqueue(PING)
      wroteAt = Date.now()
    }
    heartbeat = setTimeout(tick, heartbeatMs)
  }

  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c
      if (abort.signal.aborted) return end()
      abort.signal.addEventListener('abort', end, { once: true })
      controller.enqueue(encoder.encode(retryFrame(retryMs)))
      heartbeat = setTimeout(tick, heartbeatMs)
    },
    async pull() {
      pulledSinceTick = true
      // Until one frame is out: a pull that enqueues nothing is not called again by itself.
      for (;;) {
        let next: IteratorResult<SourceEvent>
        try {
          next = await iterator.next()
        } catch (error) {
          // After the end (the client left, the signal aborted the source's read) a throw is expected.
          if (!ended) onFailure('source', error)
          return end()
        }
        if (ended) return
        if (next.done) return end()
        let frame: string
        try {
          frame = sseFrame(next.value)
        } catch (error) {
          onFailure('event', error)
          continue
        }
        controller.enqueue(encoder.encode(frame))
        // Events are traffic enough: the next ping is due a whole `heartbeatMs` after this one.
        wroteAt = Date.now()
        return
      }
    },
    cancel() {
      end()
    },
  })
}
