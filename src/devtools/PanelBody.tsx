import type { CSSProperties } from 'react'
import type { DevtoolsSnapshot, DevtoolsSocket } from './devtoolsMonitor'

export const font = 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace'
/** What the body looks like in any frame; the frame (a floating box, a devtools pane) is the caller's. */
const base: CSSProperties = { fontFamily: font, fontSize: 12, lineHeight: 1.45, color: '#e6e8eb', background: '#16191d' }
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

/**
 * What every live-status panel shows of a snapshot: sockets and their sharers, the cache figures and
 * the log. The standalone panel frames it in a floating box, the TanStack Devtools plugin in the
 * shell's pane; both render this, so the two never show different things. Its colours are dark and
 * inline (the standalone panel's bytes): the plugin's light theme inverts them rather than carrying a
 * second palette.
 */
export function PanelBody({ snapshot, style }: { snapshot: DevtoolsSnapshot; style: CSSProperties }) {
  const dropped = Object.entries(snapshot.totals.dropped)
  return (
    <section role="region" aria-label="live-status devtools" style={{ ...base, ...style }}>
      <h2 style={{ ...heading, marginTop: 0 }}>Sockets</h2>
      {snapshot.crossTab && (
        <p style={{ margin: '0 0 6px' }}>
          cross-tab:{' '}
          {snapshot.crossTab.groups === 0
            ? 'no shared socket yet'
            : snapshot.crossTab.leading === snapshot.crossTab.groups
              ? 'this tab leads (holds the socket)'
              : snapshot.crossTab.leading === 0
                ? 'this tab follows another tab'
                : `this tab leads ${snapshot.crossTab.leading} of ${snapshot.crossTab.groups}`}
        </p>
      )}
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
