import { useState, useSyncExternalStore, type CSSProperties } from 'react'
import { useLiveStatusClient } from '../react/context'
import { devtoolsMonitor, type DevtoolsSnapshot, type DevtoolsSocket } from './devtoolsMonitor'

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

const font = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace'
const corner: Record<Exclude<LiveStatusDevtoolsProps['position'], undefined>, CSSProperties> = {
  'bottom-right': { position: 'fixed', right: 12, bottom: 12 },
  'bottom-left': { position: 'fixed', left: 12, bottom: 12 },
  'top-right': { position: 'fixed', right: 12, top: 12 },
  'top-left': { position: 'fixed', left: 12, top: 12 },
  inline: { position: 'relative' },
}
const panel: CSSProperties = {
  fontFamily: font,
  fontSize: 12,
  lineHeight: 1.45,
  color: '#e6e8eb',
  background: '#16191d',
  border: '1px solid #2c3137',
  borderRadius: 8,
  padding: 12,
  width: 'min(560px, calc(100vw - 24px))',
  maxHeight: '70vh',
  overflow: 'auto',
  boxShadow: '0 8px 24px rgba(0,0,0,0.25)',
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
const heading: CSSProperties = { margin: '10px 0 4px', fontSize: 11, textTransform: 'uppercase', letterSpacing: 0.5, color: '#9aa3ad' }
const cell: CSSProperties = { padding: '2px 8px 2px 0', textAlign: 'left', verticalAlign: 'top', fontWeight: 'normal' }
const stateColour: Record<string, string> = {
  open: '#4ade80',
  connecting: '#facc15',
  reconnecting: '#facc15',
  idle: '#9aa3ad',
  offline: '#9aa3ad',
  closed: '#f87171',
  unauthorized: '#f87171',
}

const serverSnapshot = () => null

/**
 * An "under the hood" panel for live-status, in the spirit of TanStack Query's devtools: the
 * sockets open and how many queries share each, frames and events per second, cache writes, fetches
 * and React commits per second (under a `<LiveStatusProfiler>`), polling, drops by reason, and a
 * live log of writes, fetches and connection transitions. Import it from `live-status/devtools`: an
 * app that does not import it ships none of it. Renders nothing on the server.
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
      {open && <Panel snapshot={snapshot} />}
    </div>
  )
}

function Panel({ snapshot }: { snapshot: DevtoolsSnapshot }) {
  const dropped = Object.entries(snapshot.totals.dropped)
  return (
    <section role="region" aria-label="live-status devtools" style={{ ...panel, marginTop: 6 }}>
      <h2 style={{ ...heading, marginTop: 0 }}>Sockets</h2>
      {snapshot.sockets.length === 0 ? (
        <p style={{ margin: 0, color: '#9aa3ad' }}>No live query holds a socket.</p>
      ) : (
        <table style={{ borderCollapse: 'collapse', width: '100%' }}>
          <thead>
            <tr style={{ color: '#9aa3ad' }}>
              <th style={cell}>socket</th>
              <th style={cell}>state</th>
              <th style={cell}>shared by</th>
              <th style={cell}>frames/s</th>
              <th style={cell}>events/s</th>
            </tr>
          </thead>
          <tbody>
            {snapshot.sockets.map((socket) => (
              <SocketRow key={socket.url} socket={socket} />
            ))}
          </tbody>
        </table>
      )}
      <h2 style={heading}>Cache</h2>
      <dl style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '2px 12px', margin: 0 }}>
        <Figure label="cache writes / s" value={snapshot.cacheWritesPerSecond} />
        <Figure label="events written / s" value={snapshot.eventsWrittenPerSecond} />
        <Figure label="React commits / s" value={snapshot.commitsPerSecond ?? 'add <LiveStatusProfiler>'} />
        <Figure label="REST fetches / s" value={snapshot.fetchesPerSecond} />
        <Figure label="totals" value={`${snapshot.totals.cacheWrites} writes · ${snapshot.totals.eventsWritten} events · ${snapshot.totals.fetches} fetches`} />
        <Figure label="dropped" value={dropped.length === 0 ? 'none' : dropped.map(([reason, count]) => `${reason} ${count}`).join(' · ')} />
      </dl>
      <h2 style={heading}>Log</h2>
      <ol aria-label="live-status log" style={{ listStyle: 'none', margin: 0, padding: 0, maxHeight: 180, overflow: 'auto' }}>
        {snapshot.log.map((entry) => (
          <li key={entry.id} style={{ whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', padding: 0, margin: 0, border: 'none' }}>
            <span style={{ color: '#9aa3ad' }}>{new Date(entry.at).toISOString().slice(11, 23)}</span>{' '}
            <span style={{ color: entry.kind === 'connection' ? '#facc15' : entry.kind === 'drop' ? '#f87171' : '#93c5fd' }}>{entry.kind}</span> {entry.text}
          </li>
        ))}
      </ol>
    </section>
  )
}

function SocketRow({ socket }: { socket: DevtoolsSocket }) {
  const drops = Object.entries(socket.dropped)
  const state = socket.state === 'reconnecting' ? `reconnecting #${socket.attempt}` : socket.state
  return (
    <tr data-state={socket.state}>
      <td style={{ ...cell, wordBreak: 'break-all' }}>
        {socket.url}
        {drops.length > 0 && <div style={{ color: '#f87171' }}>dropped {drops.map(([reason, count]) => `${reason} ${count}`).join(' · ')}</div>}
      </td>
      <td style={{ ...cell, color: stateColour[socket.state] ?? '#e6e8eb', whiteSpace: 'nowrap' }}>
        {state}
        {socket.polling && <div style={{ color: '#9aa3ad' }}>polling</div>}
      </td>
      <td style={{ ...cell, whiteSpace: 'nowrap' }}>
        {socket.components} component{socket.components === 1 ? '' : 's'}
        <div style={{ color: '#9aa3ad' }}>
          {socket.queries} quer{socket.queries === 1 ? 'y' : 'ies'}
        </div>
      </td>
      <td style={cell}>{socket.framesPerSecond}</td>
      <td style={cell}>{socket.eventsPerSecond}</td>
    </tr>
  )
}

function Figure({ label, value }: { label: string; value: number | string }) {
  return (
    <>
      <dt style={{ color: '#9aa3ad' }}>{label}</dt>
      <dd style={{ margin: 0 }}>{value}</dd>
    </>
  )
}
