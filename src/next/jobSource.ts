import type { ProjectEventSource, SourceContext, SourceEvent } from './source'

/** What a push-style subscription is handed for one client stream. */
export interface JobSourceContext extends SourceContext {
  /**
   * Hands one event to the stream. Answers `false` once the stream is over (stop pushing; the
   * returned cleanup runs anyway).
   */
  push(item: SourceEvent): boolean
  /**
   * Ends the stream: with no argument when there is nothing more to send, with an error when the
   * job source failed (reported through the handler's `onError`). The client reconnects either way.
   */
  end(error?: unknown): void
}

/**
 * Subscribes one client stream to a project's events, pushing them with `context.push`; returns
 * the cleanup (unsubscribe, close the connection), called exactly once when the stream ends.
 * A throw (or rejection) here is answered before the stream (see `SourceError`).
 */
export type JobSubscribe = (projectId: string, context: JobSourceContext) => void | (() => void) | Promise<void | (() => void)>

/** What `jobSource` takes besides the subscription. */
export interface JobSourceOptions {
  /**
   * Events pushed but not yet taken by the client. Past this the stream ends (reported through
   * `onError`) rather than growing without bound behind a slow client; the client reconnects with
   * `Last-Event-ID`, so a source that can replay from `since` loses nothing.
   * @default 10000
   */
  maxQueuedEvents?: number
}

/**
 * A source from a push-style job feed: an `EventEmitter`, a Redis pub/sub or stream consumer, a
 * database's change notifications. The pushes are queued and written as the client takes them.
 *
 * @example An in-process emitter
 * ```ts
 * source: jobSource((projectId, { since, push }) => {
 *   for (const event of jobs.history(projectId, since)) push({ seq: event.seq, event })
 *   const listener = (event) => push({ seq: event.seq, event })
 *   jobs.on(projectId, listener)
 *   return () => jobs.off(projectId, listener)
 * })
 * ```
 */
export function jobSource(subscribe: JobSubscribe, options: JobSourceOptions = {}): ProjectEventSource {
  const { maxQueuedEvents = 10_000 } = options
  return async (projectId, { since, signal }) => {
    const queue: SourceEvent[] = []
    let ended = false
    let failure: unknown
    let wake: (() => void) | null = null
    let cleanup: (() => void) | void = undefined
    let cleaned = false
    /** What the app's cleanup threw: reported when the stream is read to its end (an abort listener must not throw). */
    let cleanupError: unknown
    const release = () => {
      if (cleaned || !cleanup) return
      cleaned = true
      try {
        cleanup()
      } catch (error) {
        cleanupError ??= error
      }
    }
    const end = (error?: unknown) => {
      if (ended) return
      ended = true
      failure = error
      wake?.()
    }
    const push = (item: SourceEvent) => {
      if (ended) return false
      if (queue.length >= maxQueuedEvents) {
        end(new Error(`jobSource: more than ${maxQueuedEvents} events waiting for a slow client (maxQueuedEvents); the stream ends, the client resumes from its Last-Event-ID`))
        return false
      }
      queue.push(item)
      wake?.()
      return true
    }
    // The client leaving ends the stream and releases the subscription, even before it is read.
    const onAbort = () => {
      end()
      release()
    }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      cleanup = await subscribe(projectId, { since, signal, push, end })
    } catch (error) {
      signal.removeEventListener('abort', onAbort)
      throw error
    }
    if (signal.aborted) release()

    async function* drain(): AsyncGenerator<SourceEvent> {
      try {
        for (;;) {
          if (queue.length > 0) {
            yield queue.shift()!
            continue
          }
          if (ended) {
            if (failure !== undefined) throw failure
            return
          }
          await new Promise<void>((resolve) => (wake = resolve))
          wake = null
        }
      } finally {
        signal.removeEventListener('abort', onAbort)
        release()
        // Reaches the handler's `onError` through the stream, which reports what its source throws.
        if (cleanupError !== undefined) throw cleanupError
      }
    }
    return drain()
  }
}
