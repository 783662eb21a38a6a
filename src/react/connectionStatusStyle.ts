import type { CSSProperties } from 'react'
import type { ConnectionDisplayState } from './connectionView'

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
 * The package's small built-in look for `<ConnectionStatus>`: a pill, coloured by state, hidden
 * while connected. Opt-in by import (`style={connectionStatusStyle}`): an app that styles the
 * indicator itself does not carry it.
 */
export function connectionStatusStyle(state: ConnectionDisplayState): CSSProperties {
  return { ...pill, ...colours[state] }
}
