/**
 * What tabs of one group say to each other over their `BroadcastChannel`. No message carries a
 * token: the group's name is a hash of the socket's identity (URL, subprotocols, first message), so
 * tabs with different tokens are in different groups and never talk.
 *
 * `epoch` names one real socket of one leader: a follower listens to the epoch it joined and
 * ignores the rest, so late messages of a previous leader cannot reach a newer stream.
 */
/** A frame as relayed: text, or a binary frame's bytes (copied by the structured clone). */
export type RelayedFrame = string | ArrayBuffer | ArrayBufferView

export type TabMessage =
  /** A follower wants the current state (answered by `state`). */
  | { t: 'hello'; from: string }
  /** The leader's answer to `hello`: whether its socket is open now. */
  | { t: 'state'; to: string; epoch: string; open: boolean; protocol: string }
  /** The leader's socket opened. */
  | { t: 'open'; epoch: string; protocol: string }
  /**
   * Frames the leader's socket received, in order (batched: one message per few ms), with the
   * least wait before reconnecting its server asked for once it did (an SSE `retry:`).
   */
  | { t: 'frames'; epoch: string; data: RelayedFrame[]; retryMs?: number }
  /**
   * The leader's socket closed (or the leader left): followers' sockets close the same way, and wait
   * at least `retryMs` before their next attempt when the server asked for it (an SSE `retry:`).
   */
  | { t: 'close'; epoch: string; code: number; reason: string; retryMs?: number }
  /** A follower's message for the server, sent by the leader on its socket. */
  | { t: 'send'; epoch: string; data: string }
  /** A follower's keep-alive found the leader's socket (`epoch`) dead, having heard nothing since `sentAt`: the leader closes it unless it heard something since. */
  | { t: 'dead'; epoch: string; sentAt: number }
  /** A tab no longer wants the socket: the leader checks whether anyone still does. */
  | { t: 'bye' }
  /** A new leader took over: followers of another epoch resynchronise. */
  | { t: 'leader'; epoch: string }

/**
 * The version of these messages, in every group's name. Bump it with any change to `TabMessage`:
 * a tab left open over a deploy then forms its own groups with tabs of its build, instead of
 * misreading the new tabs' messages (an `open` without an epoch cut a follower off for good).
 */
export const TAB_PROTOCOL = 3

export function isTabMessage(value: unknown): value is TabMessage {
  // No epoch is null: a tab that knows no leader yet has `null` for one, and must not take a stray
  // message with `epoch: null` (another script's) for its leader's `open` or `close`.
  return typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'string' && (value as { epoch?: unknown }).epoch !== null
}
