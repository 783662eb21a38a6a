export { LiveStatusProvider, type LiveStatusProviderProps } from './LiveStatusProvider'
export { useLiveStatusClient } from './context'
export { useLiveQuery, useLiveSubscription, type LiveExtras, type LiveQueryOptions, type LiveQueryResult } from './useLiveQuery'
export { useReindex, type ReindexContext, type ReindexVariables } from './useReindex'
export { useIndexStatus, type UseIndexStatusOptions, type UseIndexStatusResult } from './useIndexStatus'
export { useOperationProgress, type UseOperationProgressOptions } from './useOperationProgress'
export { useDirectoryScan, type UseDirectoryScanResult } from './useDirectoryScan'
export { useLiveInvalidation, type UseLiveInvalidationOptions } from './useLiveInvalidation'
export {
  useConnectionStatus,
  resolveTarget,
  type ConnectionStatusResult,
  type ConnectionTarget,
} from './useConnectionStatus'
export { ConnectionStatus, type ConnectionStatusProps } from './ConnectionStatus'
export { connectionView, type ConnectionDisplayState, type ConnectionView } from './connectionView'
