import { backoffDelayMs } from './backoff'
import type { ReconnectOptions } from './options'

/** What a close code means. */
export type CloseAction =
  /** Nothing: we asked for this close. */
  | 'stop'
  /** The server refused the credentials: wait for a new token. */
  | 'unauthorized'
  /** Retrying cannot help (payload errors): give up until something changes. */
  | 'give-up'
  /**
   * The server saw a protocol error (1002). Often one component's bad message on a shared socket,
   * not the socket itself: retry with backoff, and give up only when it repeats on every attempt.
   */
  | 'retry-unless-repeated'
  /** Transient: server restart, network loss, going away. Back off and retry. */
  | 'reconnect'

/** The close codes `closeAction` and `reconnectDecision` judge by: the hub's `authCloseCodes` and `fatalCloseCodes`. */
export interface CloseCodePolicy {
  authCloseCodes: readonly number[]
  fatalCloseCodes: readonly number[]
}

/**
 * The longest wait a server's `retry:` can impose beyond `maxDelayMs`: ten minutes (a maintenance
 * window). `retry: 2147483647` parked a client for 24.8 days, where only going offline and back
 * woke it.
 */
const MAX_SERVER_RETRY_MS = 600_000

/** 1002 closes in a row, with no stable socket between, after which retrying stops. */
export const PROTOCOL_ERROR_REPEATS = 3

/**
 * The close-code table.
 *
 * | close                                   | action         |
 * | --------------------------------------- | -------------- |
 * | requested by us (release, sign-out)     | `stop`         |
 * | in `authCloseCodes` (1008, 4401, 4403)  | `unauthorized` |
 * | in `fatalCloseCodes` (1003, 1007, 1009, 1010) | `give-up` |
 * | 1002 (protocol error), unless in `fatalCloseCodes` | `retry-unless-repeated`: backoff; `closed` after `PROTOCOL_ERROR_REPEATS` (3) in a row |
 * | anything else: 1000 from the server, 1001, 1006 (also a failed handshake), 1011, 1012, 1013, 4000–4999 | `reconnect` |
 *
 * Why 1002 is retried: on a socket shared by every component of a project, one component that
 * sends something the server does not support must not end live updates for all the others. The
 * reference server answers such a message with a `client_error` frame and closes 1002 only a
 * socket that floods; a server that closes 1002 at once is retried, and a socket refused 1002 on
 * every attempt stops there.
 *
 * A failed handshake is a bare 1006 in browsers, so a token the server rejects before the upgrade
 * looks like a network failure here: `onHandshakeError` (the client's `authCheckPath`) asks REST and
 * calls `markUnauthorized()`.
 */
export function closeAction(code: number, requested: boolean, policy: CloseCodePolicy): CloseAction {
  return requested ? 'stop' : lossAction(code, policy)
}

/** The table's answer for a close we did not ask for. */
function lossAction(code: number, policy: CloseCodePolicy): Exclude<CloseAction, 'stop'> {
  if (policy.authCloseCodes.includes(code)) return 'unauthorized'
  if (policy.fatalCloseCodes.includes(code)) return 'give-up'
  return code === 1002 ? 'retry-unless-repeated' : 'reconnect'
}

/** A socket that was lost (not closed by us), as the reconnect decision sees it. */
export interface Loss {
  /** The close code; 1006 for a failed handshake or a network loss, 4000 for our own timeouts. */
  code: number
  /** Retries made since the budget was last reset. */
  attempt: number
  online: boolean
  /** The refused token is no longer the current one (rotated while its socket was being refused). */
  tokenReplaced?: boolean
  /** Losses in a row with this same code, this one included, with no stable socket between. @default 1 */
  repeats?: number
  /** The least wait the server asked for (an SSE stream's `retry:`): a floor under the backoff (also past `maxDelayMs`, up to ten minutes or `maxDelayMs`). @default 0 */
  serverRetryMs?: number
}

/** What a connection does after a loss: retry (after `delayMs`), or stay in `state`. */
export type ReconnectDecision =
  | { state: 'reconnecting'; attempt: number; delayMs: number }
  | { state: 'unauthorized' | 'closed' | 'offline' }

/**
 * The one place that decides, after a socket was lost, whether to retry and after how long. The
 * budget (`maxAttempts`) is reset elsewhere only by what may change the outcome: a socket that stayed
 * open `stableAfterMs`, online again, tab visible, a new token, a new subscriber after giving up,
 * `reconnect()`.
 */
export function reconnectDecision(
  { code, attempt, online, tokenReplaced, repeats = 1, serverRetryMs = 0 }: Loss,
  policy: CloseCodePolicy & { reconnect: Required<ReconnectOptions>; random: () => number },
): ReconnectDecision {
  // The close-code table above, read for a close we did not ask for.
  const action = lossAction(code, policy)
  if (action === 'unauthorized' && !tokenReplaced) return { state: 'unauthorized' }
  const { maxAttempts, initialDelayMs, maxDelayMs } = policy.reconnect
  if (action === 'give-up' || attempt >= maxAttempts || (action === 'retry-unless-repeated' && repeats >= PROTOCOL_ERROR_REPEATS)) return { state: 'closed' }
  if (!online) return { state: 'offline' }
  const next = attempt + 1
  // A refusal of a replaced token says nothing of the current one: try it at once. A server that
  // asked for a wait gets at least that.
  // The server's wait is honoured past `maxDelayMs` (it knows its load), but not past what a timer
  // holds: 2^31 ms or more (Infinity from 400 digits) would overflow and fire at once.
  return { state: 'reconnecting', attempt: next, delayMs: action === 'unauthorized' ? 0 : Math.max(Math.min(serverRetryMs, Math.max(maxDelayMs, MAX_SERVER_RETRY_MS)), backoffDelayMs(next, initialDelayMs, maxDelayMs, policy.random)) }
}
