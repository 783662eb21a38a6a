/**
 * `live-status/devtools`: an "under the hood" panel for live-status, in the spirit of TanStack
 * Query's devtools. A separate entry: nothing of it reaches a bundle that does not import it.
 */
export { LiveStatusDevtools, type LiveStatusDevtoolsProps } from './LiveStatusDevtools'
export { LiveStatusProfiler, type LiveStatusProfilerProps } from './LiveStatusProfiler'
export {
  DevtoolsMonitor,
  devtoolsMonitor,
  type DevtoolsLogEntry,
  type DevtoolsMonitorOptions,
  type DevtoolsSnapshot,
  type DevtoolsSocket,
} from './devtoolsMonitor'
