/**
 * `live-status/devtools`: an "under the hood" panel for live-status, in the spirit of TanStack
 * Query's devtools. A separate entry: nothing of it reaches a bundle that does not import it.
 */
export {}
