/**
 * `live-status/devtools`: an "under the hood" panel for live-status, in the spirit of TanStack
 * Query's devtools, standalone or as a TanStack Devtools plugin. A separate entry: nothing of it
 * reaches a bundle that does not import it.
 */
export { LiveStatusDevtools, type LiveStatusDevtoolsProps } from './LiveStatusDevtools'
export { LiveStatusDevtoolsPanel, type LiveStatusDevtoolsPanelProps } from './LiveStatusDevtoolsPanel'
export {
  liveStatusDevtoolsPlugin,
  type DevtoolsPluginRenderProps,
  type LiveStatusDevtoolsPlugin,
  type LiveStatusDevtoolsPluginOptions,
} from './liveStatusDevtoolsPlugin'
export { liveSockets, watchActivity, type LiveActivity, type LiveSocket } from './liveActivity'
export { LiveStatusProfiler, type LiveStatusProfilerProps } from './LiveStatusProfiler'
export {
  DevtoolsMonitor,
  devtoolsMonitor,
  type DevtoolsLogEntry,
  type DevtoolsMonitorOptions,
  type DevtoolsSnapshot,
  type DevtoolsSocket,
} from './devtoolsMonitor'
