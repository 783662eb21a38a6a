import type { ConnectionSnapshot } from '../transport/types'

/** What `<ConnectionStatus>` shows; `connected` covers open, idle and a first connect; `signed-out` waits for a token. */
export type ConnectionDisplayState = 'connected' | 'signed-out' | 'reconnecting' | 'polling' | 'offline' | 'closed' | 'unauthorized'

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
  const base = { attempt: status.attempt, secondsToRetry, pollIntervalMs, canRetry: false }
  switch (status.state) {
    case 'unauthorized':
      return { ...base, state: 'unauthorized', text: 'Sign-in required' }
    case 'signed-out':
      return { ...base, state: 'signed-out', text: 'Waiting for sign-in' }
    case 'closed':
      return { ...base, state: 'closed', text: 'Disconnected', canRetry: true }
    case 'reconnecting':
    case 'offline':
      if (status.polling) {
        return { ...base, state: 'polling', text: `Offline — updating every ${formatSeconds(pollIntervalMs)}` }
      }
      if (status.state === 'offline') return { ...base, state: 'offline', text: 'Offline' }
      return {
        ...base,
        state: 'reconnecting',
        text: `Reconnecting… (attempt ${status.attempt}${secondsToRetry === null ? '' : `, next in ${secondsToRetry} s`})`,
      }
    default:
      return { ...base, state: 'connected', text: '' }
  }
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`
}
