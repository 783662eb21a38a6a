import { useEffect, useState, type CSSProperties, type ReactNode } from 'react'
import { warnOnce } from '../transport/devWarnings'
import { useLiveStatusClient } from './context'
import { connectionView, type ConnectionDisplayState, type ConnectionView } from './connectionView'
import { useConnectionStatus, type ConnectionTarget } from './useConnectionStatus'

/** Props of `<ConnectionStatus>`. */
export interface ConnectionStatusProps {
  /** The connection to show: a socket path or URL, `{ projectId }` or `{ operationId }`. */
  target: ConnectionTarget
  /** Class of the status element. @default undefined */
  className?: string
  /**
   * Inline style of the status element, or a function of the state shown: `connectionStatusStyle`
   * is the package's built-in look (a pill, coloured by state), opt-in by import.
   * @default undefined (unstyled)
   */
  style?: CSSProperties | ((state: ConnectionDisplayState) => CSSProperties | undefined)
  /** Draw your own: gets the view and `reconnect`, rendered inside the live region. @default undefined */
  children?: (view: ConnectionView & { reconnect: () => void }) => ReactNode
}

/**
 * Connection indicator: nothing while connected; "Reconnecting… (attempt n, next in 4 s)";
 * "Offline — updating every 5 s" while polling covers for the socket; "Disconnected" with a Retry
 * button after giving up; "Sign-in required" when the token was refused. A polite live region
 * with `data-state`, unstyled unless given a `style` (`connectionStatusStyle` is the built-in one).
 */
export function ConnectionStatus(props: ConnectionStatusProps) {
  const { target, className, style, children } = props
  // 0.3 renamed `styled`: JavaScript (and spread props) pass it on without a type error.
  if (process.env.NODE_ENV !== 'production' && (props as { styled?: unknown }).styled !== undefined) {
    warnOnce('styled', () => "<ConnectionStatus styled> is gone: pass `style={connectionStatusStyle}` (import { connectionStatusStyle } from 'live-status') for the built-in look.")
  }
  const client = useLiveStatusClient()
  const status = useConnectionStatus(target)
  const [, tick] = useState(0)

  // Re-render once a second only while a countdown is on screen. The clock is read while
  // rendering: a time kept in state was a minute old on the first render after a drop. Only a
  // `reconnecting` status has a `nextRetryAt`.
  const retryAt = status.nextRetryAt
  useEffect(() => {
    if (retryAt === null) return
    const timer = setInterval(() => tick((n) => n + 1), 1000)
    return () => clearInterval(timer)
  }, [retryAt])

  const view = connectionView(status, client.pollIntervalMs, Date.now())
  const content = children ? (
    children({ ...view, reconnect: status.reconnect })
  ) : view.state === 'connected' ? null : (
    <>
      <span>{view.text}</span>
      {view.canRetry ? (
        <button type="button" onClick={status.reconnect}>
          Retry
        </button>
      ) : null}
    </>
  )
  return (
    <div
      role="status"
      aria-live="polite"
      data-state={view.state}
      className={className}
      style={typeof style === 'function' ? style(view.state) : style}
    >
      {content}
    </div>
  )
}
