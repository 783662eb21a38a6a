/**
 * The page as its own load balancer when `npm run demo:cluster` serves it (two instances over one
 * Redis): each (re)connect of a socket goes to the next instance, REST calls take turns, and an
 * instance known to be stopped is skipped, as a balancer's health check would. Served by one
 * instance (`npm start`) the page never builds one and talks to its own origin.
 */
export interface ClusterInstance {
  name: string
  /** `http://host:port` of the instance. */
  url: string
  up: boolean
}

export interface ClusterStatus {
  /** The instance that answered. */
  self: string | null
  instances: ClusterInstance[]
}

/** Where the page's project socket and its last REST call went, for the header. */
export interface RouteView {
  socket: { instance: string; state: 'connecting' | 'open' | 'closed' } | null
  rest: string | null
  instances: ClusterInstance[]
}

type SocketClass = new (url: string | URL, protocols?: string | string[]) => WebSocket

export class Cluster {
  #instances: ClusterInstance[]
  /** The next turn per kind of connection (a socket path, REST): each kind alternates on its own. */
  readonly #turns = new Map<string, number>()
  readonly #first: number
  #view: RouteView
  readonly #listeners = new Set<() => void>()

  constructor(status: ClusterStatus) {
    this.#instances = status.instances
    // The first connection goes to the instance that served the page.
    this.#first = Math.max(0, status.instances.findIndex((instance) => instance.name === status.self))
    this.#view = { socket: null, rest: null, instances: status.instances }
  }

  subscribe = (listener: () => void) => {
    this.#listeners.add(listener)
    return () => void this.#listeners.delete(listener)
  }

  view = (): RouteView => this.#view

  #set(change: Partial<RouteView>) {
    this.#view = { ...this.#view, ...change }
    this.#listeners.forEach((listener) => listener())
  }

  /** The next instance in turn for `kind`, skipping stopped ones (all stopped: the next anyway). */
  #next(kind: string): ClusterInstance {
    const list = this.#instances
    const turn = this.#turns.get(kind) ?? this.#first
    for (let offset = 0; offset < list.length; offset++) {
      const candidate = list[(turn + offset) % list.length]!
      if (candidate.up) {
        this.#turns.set(kind, turn + offset + 1)
        return candidate
      }
    }
    this.#turns.set(kind, turn + 1)
    return list[turn % list.length]!
  }

  /**
   * `Base` (the browser's WebSocket or a subclass) aimed at the next instance on each construction:
   * live-status builds one socket per connect, so every reconnect takes the next turn.
   */
  webSocket(Base: SocketClass): SocketClass {
    const cluster = this
    return class BalancedWebSocket extends Base {
      constructor(url: string | URL, protocols?: string | string[]) {
        const target = new URL(String(url))
        const instance = cluster.#next(`ws ${target.pathname}`)
        super(`${instance.url.replace(/^http/, 'ws')}${target.pathname}${target.search}`, protocols)
        if (!target.pathname.startsWith('/ws/projects/')) return
        cluster.#set({ socket: { instance: instance.name, state: 'connecting' } })
        const mine = () => cluster.#view.socket?.instance === instance.name
        this.addEventListener('open', () => mine() && cluster.#set({ socket: { instance: instance.name, state: 'open' } }))
        this.addEventListener('close', () => mine() && cluster.#set({ socket: { instance: instance.name, state: 'closed' } }))
      }
    }
  }

  /** `fetch` of a same-origin path, sent to the next instance; one that cannot be reached passes to the next. */
  fetch = async (input: string, init?: RequestInit): Promise<Response> => {
    const target = new URL(input, window.location.href)
    let failure: unknown
    for (let attempt = 0; attempt < this.#instances.length; attempt++) {
      const instance = this.#next('rest')
      try {
        const response = await fetch(`${instance.url}${target.pathname}${target.search}`, init)
        this.#set({ rest: instance.name })
        return response
      } catch (error) {
        if (init?.signal?.aborted) throw error
        failure = error
      }
    }
    throw failure
  }

  /** Which instances are up, as the cluster says (asked of any instance that answers). */
  async refresh(): Promise<void> {
    const response = await this.fetch('/api/demo/cluster')
    if (response.ok) this.#apply((await response.json()) as ClusterStatus)
  }

  /** Stops an instance (its sockets are cut, its port closed) or brings it back. */
  async setUp(name: string, up: boolean): Promise<string | null> {
    const response = await this.fetch(`/api/demo/cluster/instances/${encodeURIComponent(name)}/${up ? 'start' : 'stop'}`, { method: 'POST' })
    const body = (await response.json()) as ClusterStatus & { detail?: string }
    if (!response.ok) return body.detail ?? `HTTP ${response.status}`
    this.#apply(body)
    return null
  }

  #apply(status: ClusterStatus) {
    this.#instances = this.#instances.map((instance) => ({ ...instance, up: status.instances.find((entry) => entry.name === instance.name)?.up ?? instance.up }))
    this.#set({ instances: this.#instances })
  }
}

let active: Cluster | null = null

/** The cluster serving this page, or null when one instance does (asked once, before the first render). */
export async function loadCluster(): Promise<Cluster | null> {
  try {
    const response = await fetch('/api/demo/cluster')
    const status = response.ok ? ((await response.json()) as ClusterStatus) : null
    active = status && status.instances.length > 1 ? new Cluster(status) : null
  } catch {
    active = null
  }
  return active
}

/** `fetch` for the demo's own routes: through the cluster when there is one, else to this origin. */
export function demoFetch(path: string, init?: RequestInit): Promise<Response> {
  return active ? active.fetch(path, init) : fetch(path, init)
}
