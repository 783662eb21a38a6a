import type { ReactElement } from 'react'
import { LiveStatusDevtoolsPanel, type LiveStatusDevtoolsPanelProps } from './LiveStatusDevtoolsPanel'

/** Options of `liveStatusDevtoolsPlugin()`, the tab in TanStack Devtools. */
export interface LiveStatusDevtoolsPluginOptions extends Pick<LiveStatusDevtoolsPanelProps, 'client' | 'sampleIntervalMs' | 'logSize'> {
  /** The tab's title in TanStack Devtools. @default 'live-status' */
  name?: string
  /** The plugin's id (TanStack Devtools keeps which tabs are open by id). @default 'live-status' */
  id?: string
  /** Open this tab when no other plugin is open. @default false */
  defaultOpen?: boolean
}

/**
 * What TanStack Devtools passes a plugin's `render`: `{ theme, devtoolsOpen }` from
 * `@tanstack/react-devtools` 0.10, the theme alone before. Typed loosely on purpose, so the plugin
 * type-checks against both.
 */
export type DevtoolsPluginRenderProps = { readonly theme?: string; readonly devtoolsOpen?: boolean } | string

/** A plugin for `<TanStackDevtools plugins={[…]}>` (`@tanstack/react-devtools`). */
export interface LiveStatusDevtoolsPlugin {
  readonly id: string
  readonly name: string
  readonly defaultOpen: boolean
  readonly render: (el: HTMLElement, props?: DevtoolsPluginRenderProps) => ReactElement
}

/**
 * The live-status panel as a TanStack Devtools plugin: a tab beside the Query devtools showing the
 * sockets, their sharers, frames, cache writes, commits and the log (see `LiveStatusDevtoolsPanel`).
 * A plain object that `<TanStackDevtools>` renders: live-status never imports
 * `@tanstack/react-devtools`, and an app that does not import `live-status/devtools` ships none of it.
 *
 * TanStack Devtools mounts plugins through React portals, so the panel finds the client of a
 * `<LiveStatusProvider>` above `<TanStackDevtools>`; mounted elsewhere, pass `client`.
 *
 * @example
 * ```tsx
 * <QueryClientProvider client={queryClient}>
 *   <LiveStatusProvider apiUrl="https://api.example.com" accessToken={token}>
 *     <App />
 *     <TanStackDevtools plugins={[{ name: 'TanStack Query', render: <ReactQueryDevtoolsPanel /> }, liveStatusDevtoolsPlugin()]} />
 *   </LiveStatusProvider>
 * </QueryClientProvider>
 * ```
 */
export function liveStatusDevtoolsPlugin({ name = 'live-status', id = 'live-status', defaultOpen = false, ...panel }: LiveStatusDevtoolsPluginOptions = {}): LiveStatusDevtoolsPlugin {
  return {
    id,
    name,
    defaultOpen,
    render: (_el, props) => {
      const shell: { theme?: string; devtoolsOpen?: boolean } = typeof props === 'string' ? { theme: props } : (props ?? {})
      return <LiveStatusDevtoolsPanel {...panel} theme={shell.theme === 'light' ? 'light' : 'dark'} devtoolsOpen={shell.devtoolsOpen ?? true} />
    },
  }
}
