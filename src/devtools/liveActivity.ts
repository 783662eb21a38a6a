import type { LiveActivity, LiveStatusClient } from '../sync/liveStatusClient'
import { Listeners } from '../transport/subscribable'

export type { LiveActivity }

/** A socket live queries hold, with how many queries and components share it. */
export interface LiveSocket {
  /** The socket's URL (without any token). */
  readonly url: string
  /** Live queries (one per query key and `QueryClient`) on this socket. */
  readonly queries: number
  /** Components (hook instances) showing those queries. */
  readonly components: number
}

/** The client's `observe` as installed here: its listeners ride on it, so a second copy of this module (HMR, two installs) finds them. */
type Installed = ((activity: LiveActivity) => void) & { listeners: Listeners<[activity: LiveActivity]> }

/**
 * Tells `listener` of every cache write and REST fetch of the client's live queries, from now on;
 * returns the function that stops it. The client builds no report while nothing watches: an app
 * pays for this only when it imports it (devtools, tests that count writes). What a listener
 * throws goes to the client's `onCallbackError`, never into the writer.
 */
export function watchActivity(client: LiveStatusClient, listener: (activity: LiveActivity) => void): () => void {
  let installed = client.observe as Installed | undefined
  if (!installed?.listeners) {
    const listeners = new Listeners<[activity: LiveActivity]>()
    installed = Object.assign((activity: LiveActivity) => listeners.emit(client.hub.options.onCallbackError, activity), { listeners })
    client.observe = installed
  }
  const mine = installed
  // A wrapper per call: the same function watched twice (two panels) is stopped once per watch.
  const off = mine.listeners.subscribe((activity) => listener(activity))
  return () => {
    off()
    if (mine.listeners.size === 0 && client.observe === mine) delete client.observe
  }
}

/** The sockets the client's live queries hold now, with how many queries and components share each. */
export function liveSockets(client: LiveStatusClient): LiveSocket[] {
  const sockets: LiveSocket[] = []
  for (const [url, routers] of client.registry.routers) {
    let queries = 0
    let components = 0
    for (const router of routers.values()) {
      queries += router.queries.size
      for (const query of router.queries) components += query.holders ?? 0
    }
    sockets.push({ url, queries, components })
  }
  return sockets
}
