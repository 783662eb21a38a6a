/**
 * The longest delay a timer waits as asked: browsers and Node run one set past it after 1 ms (Node
 * with a warning each time). Options that set timers are held under it (server, route handler).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Delay before reconnect attempt `attempt` (1-based): exponential from `initialDelayMs`, capped at
 * `maxDelayMs`, with "equal jitter": uniformly between half and all of the un-jittered value. The
 * floor keeps a fleet of clients from retrying at once after a server restart without ever
 * collapsing a delay towards zero.
 *
 * @param random - source in [0, 1); injectable so tests can pin it.
 */
export function backoffDelayMs(
  attempt: number,
  initialDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30))
  const base = Math.min(maxDelayMs, initialDelayMs * 2 ** exponent)
  const half = base / 2
  return Math.round(half + random() * half)
}
