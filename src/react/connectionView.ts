import type { ConnectionSnapshot } from '../transport/types'

/** What `<ConnectionStatus>` shows; `connected` covers open, idle and a first connect; `signed-out` waits for a token. */
export type ConnectionDisplayState = 'connected' | 'signed-out' | 'reconnecting' | 'polling' | 'offline' | 'closed' | 'unauthorized'

/** A connection's status as words and numbers to show (what `connectionView` computes for `<ConnectionStatus>`). */
export interface ConnectionView {
  state: ConnectionDisplayState
  /** The sentence to show; empty when connected. */
  text: string
  attempt: number
  /** Whole seconds until the next attempt, while one is scheduled. */
  secondsToRetry: number | null
  pollIntervalMs: number
  /** Whether a Retry button makes sense (after giving up). */
  canRetry: boolean
}

/** Turns a connection status into what an indicator says. Pure, so apps can reuse it. */
export function connectionView(status: ConnectionSnapshot, pollIntervalMs: number, now: number): ConnectionView {
  const secondsToRetry = status.nextRetryAt === null ? null : Math.max(0, Math.ceil((status.nextRetryAt - now) / 1000))
  const shown = status.state
  const [state, text]: [ConnectionDisplayState, string] =
    shown === 'unauthorized'
      ? [shown, 'Sign-in required']
      : shown === 'signed-out'
        ? [shown, 'Waiting for sign-in']
        : shown === 'closed'
          ? [shown, 'Disconnected']
          : shown !== 'reconnecting' && shown !== 'offline'
            ? ['connected', '']
            : status.polling
              ? // A number: divided twice, the same seconds.
                ['polling', `Offline — updating every ${Number.isInteger(pollIntervalMs / 1000) ? pollIntervalMs / 1000 : (pollIntervalMs / 1000).toFixed(1)} s`]
              : shown === 'offline'
                ? [shown, 'Offline']
                : [shown, `Reconnecting… (attempt ${status.attempt}${secondsToRetry === null ? '' : `, next in ${secondsToRetry} s`})`]
  return { attempt: status.attempt, secondsToRetry, pollIntervalMs, canRetry: state === 'closed', state, text }
}
