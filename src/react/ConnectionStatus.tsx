import { useEffect, useState, type CSSProperties, type ReactNode } from 'react'
import { useLiveStatusClient } from './context'
import { connectionView, type ConnectionDisplayState, type ConnectionView } from './connectionView'
import { useConnectionStatus, type ConnectionTarget } from './useConnectionStatus'

export interface ConnectionStatusProps {
  /** The connection to show: a socket path or URL, `{ projectId }` or `{ operationId }`. */
  target: ConnectionTarget
  /** Class of the status element. @default undefined */
  className?: string
  /** Apply a small built-in style (a pill, coloured by state). @default false */
  styled?: boolean
  /** Draw your own: gets the view and `reconnect`, rendered inside the live region. @default undefined */
  children?: (view: ConnectionView & { reconnect: () => void }) => ReactNode
}

const pill: CSSProperties = {
  display: 'inline-flex',
  alignItems: 'center',
  gap: '0.5em',
  padding: '0.25em 0.75em',
  borderRadius: '999px',
  fontSize: '0.875rem',
  lineHeight: 1.4,
}
const colours: Record<ConnectionDisplayState, CSSProperties> = {
  connected: { display: 'none' },
  'signed-out': { background: '#eef0f3', color: '#3d4451' },
  reconnecting: { background: '#fff4d6', color: '#7a5200' },
  polling: { background: '#eef0f3', color: '#3d4451' },
  offline: { background: '#eef0f3', color: '#3d4451' },
  closed: { background: '#e4e6ea', color: '#3d4451' },
  unauthorized: { background: '#fde7e7', color: '#9b1c1c' },
}

/**
 * Connection indicator: nothing while connected; "Reconnecting… (attempt n, next in 4 s)";
 * "Offline — updating every 5 s" while polling covers for the socket; "Disconnected" with a Retry
 * button after giving up; "Sign-in required" when the token was refused. A polite live region
 * with `data-state`, unstyled unless `styled`.
 */
export function ConnectionStatus({ target, className, styled = false, children }: ConnectionStatusProps) {
  const client = useLiveStatusClient()
  const status = useConnectionStatus(target)
  const [now, setNow] = useState(() => Date.now())

  // Tick once a second only while a countdown is on screen.
  const counting = status.state === 'reconnecting' && status.nextRetryAt !== null
  useEffect(() => {
    if (!counting) return
    setNow(Date.now())
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [counting, status.nextRetryAt])

  const view = connectionView(status, client.pollIntervalMs, now)
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
      style={styled ? { ...pill, ...colours[view.state] } : undefined}
    >
      {content}
    </div>
  )
}
