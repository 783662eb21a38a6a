import { Profiler, useEffect, type ReactNode } from 'react'
import { useLiveStatusClient } from '../react/context'
import { devtoolsMonitor } from './devtoolsMonitor'

/** Props of `<LiveStatusProfiler>`, which counts the React commits of what it wraps for the panel. */
export interface LiveStatusProfilerProps {
  /** The part of the app whose commits are counted. @default undefined */
  children?: ReactNode
  /** The Profiler's id (shows in React's own profiler too). @default 'live-status' */
  id?: string
}

/**
 * Counts React commits of its subtree for the devtools panel ("commits / s"). React calls a
 * Profiler's `onRender` only in development and profiling builds: in a production build alias
 * `react-dom/client` to `react-dom/profiling` to keep the count (the demo does).
 */
export function LiveStatusProfiler({ children, id = 'live-status' }: LiveStatusProfilerProps) {
  const monitor = devtoolsMonitor(useLiveStatusClient())
  useEffect(() => monitor.addProfiler(), [monitor])
  return (
    <Profiler id={id} onRender={() => monitor.noteCommit()}>
      {children}
    </Profiler>
  )
}
