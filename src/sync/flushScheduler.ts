import { notifyManager } from '@tanstack/query-core'

/** Runs `flush` soon; returns a function that cancels it. */
export type ScheduleFlush = (flush: () => void) => () => void

/** A hidden tab gets no animation frames: its cache still catches up this often. */
const HIDDEN_TAB_BACKSTOP_MS = 100
const FRAME_MS = 16

/** The timestamp of the last animation frame a flush ran in (frames are the page's, not a client's). */
let lastFlushFrame = -Infinity

/**
 * The next animation frame in a browser (with a timer backstop for hidden tabs, which get none),
 * a 16 ms timer elsewhere: events are written into the cache at most once per frame. Frames less
 * than 16 ms after the last flush's are skipped: not every `requestAnimationFrame` is a display's
 * (happy-dom's runs after each task, polyfills after `setTimeout(0)`), and a socket delivers one
 * message per task.
 */
export const frameScheduler: ScheduleFlush = (flush) => {
  if (typeof requestAnimationFrame === 'function') {
    let done = false
    let wait: ReturnType<typeof setTimeout> | undefined
    const run = () => {
      if (done) return
      done = true
      cancelAnimationFrame(frame)
      clearTimeout(timer)
      clearTimeout(wait)
      flush()
    }
    const onFrame = (time?: number) => {
      if (done) return
      const at = typeof time === 'number' ? time : performance.now()
      const since = at - lastFlushFrame
      // The same frame as another client's flush (0) or a clock that went back (< 0) is fine.
      if (since > 0 && since < FRAME_MS) {
        wait = setTimeout(() => (frame = requestAnimationFrame(onFrame)), FRAME_MS - since)
        return
      }
      lastFlushFrame = at
      run()
    }
    let frame = requestAnimationFrame(onFrame)
    const timer = setTimeout(run, HIDDEN_TAB_BACKSTOP_MS)
    return () => {
      done = true
      cancelAnimationFrame(frame)
      clearTimeout(timer)
      clearTimeout(wait)
    }
  }
  const timer = setTimeout(flush, FRAME_MS)
  return () => clearTimeout(timer)
}

/** Something with events waiting to be written. */
export interface Flushable {
  flush(): void
}

/**
 * Collects the writers that have events waiting and flushes them all in one scheduled pass, inside
 * one `notifyManager.batch`: every query written in a frame reaches React as one commit.
 */
export class FlushQueue {
  #dirty = new Set<Flushable>()
  #cancel: (() => void) | undefined
  #schedule: ScheduleFlush
  /** Where a writer's failure goes (the hub's `onCallbackError`): it never stops the other writers. */
  declare readonly onError: (error: unknown) => void

  constructor(schedule: ScheduleFlush, onError: (error: unknown) => void) {
    this.#schedule = schedule
    this.onError = onError
  }

  add(item: Flushable): void {
    this.#dirty.add(item)
    this.#cancel ??= this.#schedule(() => {
      this.#cancel = undefined
      this.flushNow()
    })
  }

  delete(item: Flushable): void {
    this.#dirty.delete(item)
  }

  /** Writes everything waiting, now. */
  flushNow(): void {
    if (this.#dirty.size === 0) return
    const items = [...this.#dirty]
    this.#dirty.clear()
    notifyManager.batch(() => {
      for (const item of items) {
        try {
          item.flush()
        } catch (error) {
          this.onError(error)
        }
      }
    })
  }

  dispose(): void {
    this.#cancel?.()
    this.#cancel = undefined
    this.#dirty.clear()
  }
}
