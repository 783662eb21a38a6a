import { useCallback, useContext, useRef, useSyncExternalStore, type CSSProperties } from 'react'
import { LiveStatusContext } from '../react/context'
import type { LiveStatusClient } from '../sync/liveStatusClient'
import { devtoolsMonitor } from './devtoolsMonitor'
import { PanelBody } from './PanelBody'

/** Props of `<LiveStatusDevtoolsPanel />`, the panel's body without the toggle. */
export interface LiveStatusDevtoolsPanelProps {
  /**
   * The client to show. TanStack Devtools renders plugins through React portals, so a
   * `<TanStackDevtools>` inside `<LiveStatusProvider>` needs none; pass it when the devtools are
   * mounted outside the provider (or the panel is shown for another client).
   * @default the client of the nearest `<LiveStatusProvider>`
   */
  client?: LiveStatusClient
  /** Colours; TanStack Devtools passes the theme chosen in its settings. @default 'dark' */
  theme?: 'light' | 'dark'
  /**
   * Whether the devtools showing the panel are open. While `false` the panel does not re-render;
   * it keeps watching, so the log holds what happened before the devtools are opened again (as the
   * collapsed standalone panel does). TanStack Devtools passes it.
   * @default true
   */
  devtoolsOpen?: boolean
  /** How often the figures refresh. Only the first panel of a client sets it. @default 1000 */
  sampleIntervalMs?: number
  /** Log lines kept. Only the first panel of a client sets it. @default 50 */
  logSize?: number
}

// Fills the pane it is given, as the TanStack Query panel does.
const pane: CSSProperties = { height: '100%', boxSizing: 'border-box', padding: 12, overflow: 'auto' }
// The body's colours are dark and inline (they are the standalone panel's bytes): light is their
// inversion, hue turned back so green stays green.
const light: CSSProperties = { ...pane, filter: 'invert(1) hue-rotate(180deg)' }
const serverSnapshot = () => null

/**
 * The live-status panel without a frame or a toggle, filling its container: what
 * `liveStatusDevtoolsPlugin()` shows as a TanStack Devtools tab, and what a dashboard can embed.
 * Shows the same as `<LiveStatusDevtools>`: sockets and how many components and queries share each,
 * frames and events per second, cache writes, REST fetches and React commits per second (under a
 * `<LiveStatusProfiler>`), drops by reason, and a log of writes, fetches and connection transitions.
 * Renders nothing on the server.
 */
export function LiveStatusDevtoolsPanel({ client: given, theme = 'dark', devtoolsOpen = true, sampleIntervalMs, logSize }: LiveStatusDevtoolsPanelProps) {
  const fromContext = useContext(LiveStatusContext)
  const client = given ?? fromContext
  if (!client) {
    throw new Error('[live-status] The devtools panel found no client: mount <TanStackDevtools> inside <LiveStatusProvider>, or pass one: liveStatusDevtoolsPlugin({ client }).')
  }
  const monitor = devtoolsMonitor(client, { sampleIntervalMs, logSize })
  // Read through a ref: a new subscribe function would stop and restart the monitor on every toggle.
  const open = useRef(devtoolsOpen)
  open.current = devtoolsOpen
  const subscribe = useCallback((notify: () => void) => monitor.subscribe(() => open.current && notify()), [monitor])
  const snapshot = useSyncExternalStore(subscribe, monitor.getSnapshot, serverSnapshot)
  if (!snapshot) return null
  return <PanelBody snapshot={snapshot} style={theme === 'light' ? light : pane} />
}
