import { useState, useSyncExternalStore, type CSSProperties } from 'react'
import { useLiveStatusClient } from '../react/context'
import { devtoolsMonitor } from './devtoolsMonitor'
import { font, PanelBody } from './PanelBody'

/** Props of `<LiveStatusDevtools />`, the floating "under the hood" panel. */
export interface LiveStatusDevtoolsProps {
  /** Open the panel on first render. @default false */
  initialIsOpen?: boolean
  /**
   * Where the panel sits: a corner of the viewport (fixed, above the page), or `'inline'` in the
   * page's flow (for a dashboard or a demo page).
   * @default 'bottom-right'
   */
  position?: 'bottom-right' | 'bottom-left' | 'top-right' | 'top-left' | 'inline'
  /** How often the figures refresh. Only the first panel of a client sets it. @default 1000 */
  sampleIntervalMs?: number
  /** Log lines kept. Only the first panel of a client sets it. @default 50 */
  logSize?: number
}

const corner: Record<Exclude<LiveStatusDevtoolsProps['position'], undefined>, CSSProperties> = {
  'bottom-right': { position: 'fixed', right: 12, bottom: 12 },
  'bottom-left': { position: 'fixed', left: 12, bottom: 12 },
  'top-right': { position: 'fixed', right: 12, top: 12 },
  'top-left': { position: 'fixed', left: 12, top: 12 },
  inline: { position: 'relative' },
}
const frame: CSSProperties = {
  border: '1px solid #2c3137',
  borderRadius: 8,
  padding: 12,
  width: 'min(560px, calc(100vw - 24px))',
  maxHeight: '70vh',
  overflow: 'auto',
  boxShadow: '0 8px 24px rgba(0,0,0,0.25)',
  marginTop: 6,
}
const toggle: CSSProperties = {
  fontFamily: font,
  fontSize: 12,
  color: '#e6e8eb',
  background: '#16191d',
  border: '1px solid #2c3137',
  borderRadius: 999,
  padding: '4px 10px',
  cursor: 'pointer',
}

const serverSnapshot = () => null

/**
 * An "under the hood" panel for live-status, in the spirit of TanStack Query's devtools: the
 * sockets open and how many queries share each, frames and events per second, cache writes, fetches
 * and React commits per second (under a `<LiveStatusProfiler>`), polling, drops by reason, and a
 * live log of writes, fetches and connection transitions. Import it from `live-status/devtools`: an
 * app that does not import it ships none of it. Renders nothing on the server. In TanStack
 * Devtools, use `liveStatusDevtoolsPlugin()` instead: the same panel, as a tab beside the Query one.
 */
export function LiveStatusDevtools({ initialIsOpen = false, position = 'bottom-right', sampleIntervalMs, logSize }: LiveStatusDevtoolsProps) {
  const client = useLiveStatusClient()
  const monitor = devtoolsMonitor(client, { sampleIntervalMs, logSize })
  const [open, setOpen] = useState(initialIsOpen)
  const snapshot = useSyncExternalStore(monitor.subscribe, monitor.getSnapshot, serverSnapshot)
  if (!snapshot) return null
  const openSockets = snapshot.sockets.filter((socket) => socket.state === 'open').length
  return (
    <div style={{ ...corner[position], zIndex: 2147483000 }}>
      <button type="button" style={toggle} aria-expanded={open} onClick={() => setOpen(!open)}>
        live-status · {openSockets}/{snapshot.sockets.length} socket{snapshot.sockets.length === 1 ? '' : 's'} {open ? '▾' : '▸'}
      </button>
      {open && <PanelBody snapshot={snapshot} style={frame} />}
    </div>
  )
}

