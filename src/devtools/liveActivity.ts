import type { LiveActivity, LiveStatusClient } from '../sync/liveStatusClient'

/** A socket live queries hold, with how many queries and components share it. */
export interface LiveSocket {
  readonly url: string
  /** Live queries (one per query key and `QueryClient`) on this socket. */
  readonly queries: number
  /** Components (hook instances) showing those queries. */
  readonly components: number
}

const watchers = new WeakMap<LiveStatusClient, Set<(activity: LiveActivity) => void>>()

/**
 * Tells `listener` of every cache write and REST fetch of the client's live queries, from now on;
 * returns the function that stops it. The client builds no report while nothing watches: an app
 * pays for this only when it imports it (devtools, tests that count writes).
 */
export function watchActivity(client: LiveStatusClient, listener: (activity: LiveActivity) => void): () => void {
  let listeners = watchers.get(client)
  if (!listeners) {
    const all = (listeners = new Set())
    watchers.set(client, all)
    client.observe = (activity) => {
      for (const each of [...all]) each(activity)
    }
  }
  listeners.add(listener)
  const all = listeners
  return () => {
    if (!all.delete(listener) || all.size > 0) return
    watchers.delete(client)
    delete client.observe
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
