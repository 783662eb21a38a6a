/**
 * `live-status`: React hooks that keep long-running server jobs live in the TanStack Query cache.
 * The framework-free core is re-exported, so one import serves most apps.
 */
export * from './react'
export * from './core'
