import type { WebSocketConstructor, WebSocketLike } from '../types'
import { TabGroup, type BroadcastChannelConstructor, type LockManagerLike, type SocketRequest } from './tabGroup'
import { VirtualSocket } from './virtualSocket'
import { randomId, toHex } from '../ids'
import { Listeners } from '../subscribable'
import { TAB_PROTOCOL } from './tabMessages'

/** Options of `createCrossTab`: one socket per user across the tabs of an origin. */
export interface CrossTabOptions {
  /**
   * Scopes the sharing, e.g. per user or per app: tabs share a socket only within one key (and
   * only when URL, subprotocols and first message — hence the token — are the same).
   * @default 'default'
   */
  key?: string
  /**
   * A leader tab whose own connections let go of the socket keeps it while another tab wants it,
   * checking this often, and closes it as soon as no tab does. Just after taking over (its own
   * sockets closed to resync) it first waits this long for its connections to come back.
   * @default 5000
   */
  stillWantedCheckMs?: number
  /**
   * A visible leader tab relays the frames of this many ms to the other tabs in one message (a
   * hidden leader relays each at once: its timers are throttled). 0 relays each frame at once.
   * @default 16
   */
  relayBatchMs?: number
  /** Web Locks; for tests. @default navigator.locks */
  locks?: LockManagerLike
  /** For tests. @default globalThis.BroadcastChannel */
  BroadcastChannel?: BroadcastChannelConstructor
  /** Hashes a group's identity; for tests. @default SHA-256 with crypto.subtle */
  digest?: (text: string) => Promise<string>
  /** This tab's id; for tests. @default a random id */
  tabId?: string
}

/** What a connection asks for when sockets are shared across tabs. */
export interface CrossTabRequest extends SocketRequest {
  /**
   * What makes two sockets the same: the endpoint URL without per-attempt parts (a resume
   * position), the subprotocols and the first message. Hashed before it is used; never posted.
   */
  identity: string
}

/** The leader/follower state of one socket identity in this tab (devtools). */
export interface CrossTabRole {
  /** The group's name: a hash, safe to show. */
  group: string
  leading: boolean
}

/** Shares one real socket per identity among the tabs of a browser profile. */
export interface CrossTab {
  /** A socket for `request`: virtual, backed by the group leader's real socket. */
  open(request: CrossTabRequest, WebSocket: WebSocketConstructor): WebSocketLike
  /** This tab's role in each group it is part of. */
  roles(): CrossTabRole[]
  /** Told when this tab starts or stops leading a group. */
  onRoleChange(listener: () => void): () => void
}

/**
 * Cross-tab sharing for this environment, or `null` where it cannot work (no Web Locks, no
 * `BroadcastChannel`, no `crypto.subtle`, not a page): each tab then keeps its own sockets.
 */
export function createCrossTab(options: CrossTabOptions = {}): CrossTab | null {
  const g = globalThis as {
    navigator?: { locks?: LockManagerLike }
    BroadcastChannel?: BroadcastChannelConstructor
    crypto?: { subtle?: SubtleCrypto }
    document?: unknown
    addEventListener?: (type: string, listener: () => void) => void
  }
  const locks = options.locks ?? g.navigator?.locks
  const Channel = options.BroadcastChannel ?? g.BroadcastChannel
  const digest = options.digest ?? (g.crypto?.subtle ? sha256 : undefined)
  // In a worker or on a server there are no tabs to share with.
  const inPage = options.locks !== undefined || g.document !== undefined
  if (!locks || !Channel || !digest || !inPage) return null

  const key = options.key ?? 'default'
  const tabId = options.tabId ?? randomId()
  const stillWantedCheckMs = options.stillWantedCheckMs ?? 5000
  const relayBatchMs = options.relayBatchMs ?? 16
  const groups = new Map<string, TabGroup>()
  const roleListeners = new Listeners()
  const notifyRoles = () => roleListeners.emit(undefined)
  g.addEventListener?.('pagehide', () => {
    for (const group of groups.values()) group.leave()
  })

  // Not cached: identities carry tokens, and a cache would keep every token a long-lived tab has
  // used. One digest per connect attempt costs nothing that matters.
  const nameOf = (identity: string): Promise<string> => digest(`${key}\n${identity}`).then((hash) => `live-status:${TAB_PROTOCOL}:${key}:${hash}`)

  return {
    open(request, WebSocket) {
      // A follower cannot ask the leader's stream whether it sends: the constructor says (`SseSocket`s without `sendUrl` do not).
      const socket = new VirtualSocket((WebSocket as { sends?: boolean }).sends !== false)
      void nameOf(request.identity).then(
        (name) => {
          let group = groups.get(name)
          if (!group) {
            const created: TabGroup = new TabGroup({
              name,
              tabId,
              locks,
              BroadcastChannel: Channel,
              WebSocket,
              stillWantedCheckMs,
              relayBatchMs,
              onRoleChange: notifyRoles,
              onIdle: () => {
                if (groups.get(name) !== created) return
                groups.delete(name)
                created.dispose()
              },
            })
            groups.set(name, created)
            group = created
          }
          group.attach(socket, { url: request.url, protocols: request.protocols, firstMessage: request.firstMessage })
        },
        () => socket.closed(1006, 'cross-tab: could not name the socket group'),
      )
      return socket
    },
    roles() {
      return [...groups.values()].map((group) => ({ group: group.name, leading: group.leading }))
    },
    onRoleChange(listener) {
      return roleListeners.subscribe(listener)
    },
  }
}

async function sha256(text: string): Promise<string> {
  const bytes = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return toHex(new Uint8Array(bytes, 0, 16))
}


