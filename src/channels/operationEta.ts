import { isTerminalStatus, type OperationProgress } from './operationProgress'

/**
 * Estimates an operation's time left, in milliseconds, from the progress it is shown, call after
 * call; `nowMs` is when this progress is seen (default `Date.now()`).
 */
export type OperationEtaSampler = (progress: OperationProgress | undefined, nowMs?: number) => number | undefined

/**
 * An estimator of time left, in milliseconds, from the rate it has observed since it first saw the
 * operation progress (or since the counts first changed, when that came within a second: a cached
 * count caught up is not progress): `undefined` until two items and one second of progress have been seen (a
 * single burst does not promise a wild figure), and once the operation ends. Timed by this
 * machine's clock when the counts change, as they arrive (socket or polling): never the server's
 * stamps, which may be old (`started_at`) or on another clock. One per view: what `useOperationEta`
 * keeps per component, for code without React.
 *
 * @example
 * ```ts
 * const eta = createOperationEta()
 * observer.subscribe(({ data }) => render(data, eta(data)))
 * ```
 */
export function createOperationEta(): OperationEtaSampler {
  let id: string | undefined
  let firstAt = 0
  let first = 0
  let lastAt = 0
  let last = 0
  return (progress, nowMs = Date.now()) => {
    if (!progress || progress.totalFiles <= 0 || isTerminalStatus(progress.status)) return undefined
    const done = progress.processedFiles + progress.failedFiles
    // A new operation, or counts that went back (a reset query): sampled anew. A call with the same
    // counts again (a re-render, StrictMode) keeps the samples as they are.
    if (id !== progress.operationId || done < last) {
      id = progress.operationId
      firstAt = lastAt = nowMs
      first = last = done
    } else if (done !== last) {
      // The first change within a second of the first sight is a count caught up (a cached value a
      // remount showed, then REST's or the socket's news), not progress made in that time: counting
      // starts from it.
      if (last === first && nowMs - firstAt < 1000) {
        firstAt = nowMs
        first = done
      }
      lastAt = nowMs
      last = done
    }
    const elapsedMs = lastAt - firstAt
    const progressed = last - first
    if (progressed < 2 || elapsedMs < 1000) return undefined
    return Math.round((Math.max(0, progress.totalFiles - done) * elapsedMs) / progressed)
  }
}
