import { ReadyState, type WebSocketConstructor, type WebSocketLike } from '../types'
import { isTabMessage, type RelayedFrame, type TabMessage } from './tabMessages'
import type { VirtualSocket, VirtualSocketHost } from './virtualSocket'

/** The parts of the Web Locks API used here (the browser's `navigator.locks`). */
export interface LockManagerLike {
  request(name: string, options: { signal?: AbortSignal }, callback: (lock: unknown) => Promise<void>): Promise<unknown>
  query(): Promise<{ pending?: { name?: string }[]; held?: { name?: string }[] }>
}

/** The parts of `BroadcastChannel` used here. */
export interface BroadcastChannelLike {
  postMessage(message: unknown): void
  close(): void
  onmessage: ((event: { data: unknown }) => void) | null
}

/** `BroadcastChannel`, or a stand-in with the same constructor (tests, older runtimes). */
export type BroadcastChannelConstructor = new (name: string) => BroadcastChannelLike

/** What the leader needs to open the real socket: the request of this tab's connection. */
export interface SocketRequest {
  url: string
  protocols: string[] | undefined
  /** Sent once right after the real socket opens (the `message` auth transport). */
  firstMessage: string | undefined
}

/**
 * Past this much unsent on the real socket, this tab's and followers' sends are dropped: a server
 * that stops reading must not grow the leader's memory by every tab's pongs and commands (the
 * default `maxPayloadBytes`, which bounds a connection's own sends the same way).
 */
const MAX_BUFFERED_BYTES = 1 << 20

export interface TabGroupOptions {
  /** The lock's and the channel's name: a hash of the socket's identity, never the token. */
  name: string
  tabId: string
  locks: LockManagerLike
  BroadcastChannel: BroadcastChannelConstructor
  WebSocket: WebSocketConstructor
  /** While leading, how often to check which other tabs want the socket. */
  stillWantedCheckMs: number
  /** A visible leader relays the frames of this many ms in one message (a hidden one at once). */
  relayBatchMs: number
  /** Told when this tab starts or stops leading. */
  onRoleChange: () => void
  /** The group has no local socket and no role: the registry forgets it. */
  onIdle: () => void
}

/** Close code and reason a follower sees when the leader changed and its stream has a gap. */
export const LEADER_CHANGED = { code: 1006, reason: 'cross-tab leader changed' } as const

/**
 * One socket identity shared by the tabs of one browser profile. Every tab that wants the socket
 * waits for the group's Web Lock; the holder is the leader and keeps the one real socket, relays its
 * frames over a `BroadcastChannel` and sends what followers ask it to. The leader keeps serving as
 * long as any tab wants the socket (its own queries may have gone). A new leader (the old one
 * closed, crashed or navigated away: the browser frees its lock) announces itself, and followers
 * whose stream it interrupted close their virtual sockets: their connections reconnect and resync
 * as after any socket loss.
 */
export class TabGroup implements VirtualSocketHost {
  readonly name: string
  #options: TabGroupOptions
  #channel: BroadcastChannelLike
  #local = new Set<VirtualSocket>()
  #request: SocketRequest | null = null
  #role: 'none' | 'waiting' | 'leader' = 'none'
  #abortWait: AbortController | null = null
  #stepDown: (() => void) | null = null
  #epochCounter = 0
  // As leader:
  /** This tab's leadership: set exactly while it leads (`#lead` to `#resign`), so `#epoch` tests for "leading". */
  #epoch: string | null = null
  #real: WebSocketLike | null = null
  #realOpen = false
  #protocol = ''
  #wantedTimer: ReturnType<typeof setInterval> | undefined
  /** Whether another tab follows: nothing is relayed to nobody. True until a check says otherwise. */
  #hasFollowers = true
  /** Until when a leader that closed its own sockets to resync waits for them to come back. */
  #resyncUntil = 0
  #followersTimer: ReturnType<typeof setInterval> | undefined
  /** `hello`s heard: one that arrives while the locks are asked who waits makes the answer stale. */
  #hellos = 0
  /** When the socket last received anything: a follower's report of it dead is taken only if nothing since its own last send. */
  #heardAt = 0
  #outbox: RelayedFrame[] = []
  #outboxTimer: ReturnType<typeof setTimeout> | undefined
  // As follower: when this tab last sent to the leader's socket, asked for it, or heard from it.
  #sentAt = 0
  // As follower: the leader epoch this tab's sockets follow or wait for.
  #leaderEpoch: string | null = null
  #following = false
  /**
   * The least wait before reconnecting that the followed stream's server asked for (an SSE `retry:`,
   * relayed with the frames): it holds when that stream is lost with its leader, as it would for a
   * stream of this tab's own. Also covers a lock granted before the old leader's `close` arrived.
   */
  #leaderRetryMs: number | undefined

  constructor(options: TabGroupOptions) {
    this.name = options.name
    this.#options = options
    this.#channel = new options.BroadcastChannel(options.name)
    this.#channel.onmessage = (event) => {
      if (isTabMessage(event.data)) this.#onMessage(event.data)
    }
  }

  get leading(): boolean {
    return this.#role === 'leader'
  }

  /** A connection of this tab wants the socket. */
  attach(socket: VirtualSocket, request: SocketRequest): void {
    this.#local.add(socket)
    this.#request = request
    socket.bind(this)
    if (!this.#local.has(socket)) {
      // Closed before its group was found.
      if (this.#local.size === 0 && this.#role === 'none') this.#options.onIdle()
      return
    }
    if (this.#epoch) {
      clearInterval(this.#wantedTimer)
      this.#wantedTimer = undefined
      if (this.#realOpen) socket.opened(this.#protocol)
      else if (!this.#real) this.#openReal()
      return
    }
    this.#sentAt = Date.now()
    this.#post({ t: 'hello', from: this.#options.tabId })
    if (this.#role === 'none') this.#wait()
  }

  detach(socket: VirtualSocket): void {
    if (!this.#local.delete(socket) || this.#local.size > 0) return
    if (this.#role === 'waiting') {
      this.#abortWait?.abort()
      this.#abortWait = null
      this.#role = 'none'
      this.#following = false
      this.#post({ t: 'bye' })
      this.#options.onIdle()
    } else if (this.#epoch) {
      // Just after taking over, this tab closed its own sockets to resync: its connection is about
      // to reconnect, so give it time. Otherwise look now (the socket stays while a tab waits).
      if (Date.now() < this.#resyncUntil) this.#wantedTimer ??= setInterval(() => void this.#checkStillWanted(), this.#options.stillWantedCheckMs)
      else void this.#checkStillWanted()
    }
  }

  send(socket: VirtualSocket, data: string): void {
    if (!this.#local.has(socket)) return
    if (this.#epoch) {
      this.#sendReal(data)
    } else if (this.#following && this.#leaderEpoch) {
      this.#sentAt = Date.now()
      this.#post({ t: 'send', epoch: this.#leaderEpoch, data })
    }
  }

  /** Sends on the real socket while it is open and the server keeps reading what it was sent. */
  #sendReal(data: string): void {
    // Open means the real socket is there.
    if (this.#realOpen && !(this.#real!.bufferedAmount! > MAX_BUFFERED_BYTES)) this.#real!.send(data)
  }

  /**
   * A connection of this tab found the socket dead (its keep-alive or connect timeout closed it with
   * 4000). As without cross-tab, the socket goes, and with it every tab's: over a shared socket one
   * tab's close alone left the dead one in place, given back to each connection that reconnected.
   */
  timedOut(): void {
    if (this.#epoch) this.#real?.onclose!({ code: 4000, reason: 'timeout' })
    // A follower's: the leader it follows or waits for (none yet: nobody takes it for theirs).
    else this.#post({ t: 'dead', epoch: this.#leaderEpoch!, sentAt: this.#sentAt })
  }

  /**
   * A token rotated in this tab: a leader's real socket sends with it from now on (an SSE stream's
   * commands, its followers' too). A follower's stays in this tab: tokens are never posted.
   */
  tokenChanged(token: string): void {
    if (this.#epoch) this.#real?.tokenChanged?.(token)
  }

  /** The tab is going away (pagehide): followers must not wait for a lock release to notice. */
  leave(): void {
    // Only a leader has an epoch.
    if (!this.#epoch) return
    this.#post({ t: 'close', epoch: this.#epoch, code: LEADER_CHANGED.code, reason: 'cross-tab leader left' })
    this.#closeReal(1001, 'leader tab left')
  }

  #wait(): void {
    this.#role = 'waiting'
    const abort = new AbortController()
    this.#abortWait = abort
    this.#options.locks
      .request(this.name, { signal: abort.signal }, () => {
        if (abort.signal.aborted) return Promise.resolve()
        this.#abortWait = null
        return new Promise<void>((release) => {
          this.#stepDown = release
          this.#lead()
        })
      })
      .catch(() => {
        // Aborted: this tab stopped wanting the socket before its turn.
      })
  }

  #lead(): void {
    this.#role = 'leader'
    this.#epoch = `${this.#options.tabId}:${++this.#epochCounter}`
    // A report whose wait began before this leadership (a connect timeout started under the previous
    // leader) says nothing of the socket this one makes.
    this.#heardAt = Date.now()
    this.#post({ t: 'leader', epoch: this.#epoch })
    // A stream followed from the previous leader has a gap now: resynchronise like after a loss.
    const tookOver = this.#following
    if (this.#following) {
      this.#resyncUntil = Date.now() + this.#options.stillWantedCheckMs
      this.#resyncFollowers()
    }
    this.#leaderEpoch = null
    this.#leaderRetryMs = undefined
    this.#hasFollowers = true
    void this.#checkFollowers()
    this.#followersTimer = setInterval(() => void this.#checkFollowers(), this.#options.stillWantedCheckMs)
    this.#options.onRoleChange()
    // Taking over a followed stream that every socket of this tab just let go to resync: nobody
    // wants it this instant. It opens when one comes back (`attach`) or another tab asks (`hello`),
    // after the wait the lost stream's server asked for, not at once.
    if (this.#local.size > 0 || !tookOver) this.#openReal()
  }

  #openReal(): void {
    const request = this.#request
    if (!request) return this.#resign()
    const epoch = this.#epoch!
    let real: WebSocketLike
    try {
      real = new this.#options.WebSocket(request.url, request.protocols)
    } catch {
      for (const socket of [...this.#local]) socket.closed(1006, 'could not create socket')
      return this.#resign()
    }
    // Binary frames as bytes, as a tab's own socket has them (`Connection`): a browser's default
    // Blob cannot be read synchronously, nor posted to the other tabs as it is.
    ;(real as { binaryType?: string }).binaryType = 'arraybuffer'
    this.#real = real
    this.#realOpen = false
    real.onopen = () => {
      if (this.#real !== real) return
      this.#realOpen = true
      this.#protocol = real.protocol ?? ''
      if (request.firstMessage !== undefined) real.send(request.firstMessage)
      this.#post({ t: 'open', epoch, protocol: this.#protocol })
      for (const socket of [...this.#local]) socket.opened(this.#protocol)
    }
    real.onmessage = (event) => {
      if (this.#real !== real) return
      this.#heardAt = Date.now()
      const data = event.data
      // Text frames (an SSE chunk's come as a list of them) and binary ones, which a structured
      // clone copies: JSON in binary frames, a channel's `decodeBinary`. Anything else reaches
      // this tab only (its decoder counts it).
      if (this.#hasFollowers && (typeof data === 'string' || Array.isArray(data) || data instanceof ArrayBuffer || ArrayBuffer.isView(data))) this.#relay(data)
      for (const socket of [...this.#local]) socket.received(data)
    }
    real.onerror = () => {}
    real.onclose = (event) => {
      if (this.#real !== real) return
      const code = typeof event.code === 'number' ? event.code : 1006
      const reason = String(event.reason ?? '')
      // The wait the server asked for (an SSE stream's `retry:`) holds for every tab's next attempt.
      const retryMs = real.retryMs
      // Closed here too when a tab's keep-alive found it dead (`timedOut`): no close event comes then.
      this.#closeReal(4000, '')
      this.#flushOutbox()
      this.#post({ t: 'close', epoch, code, reason, retryMs })
      for (const socket of [...this.#local]) socket.closed(code, reason, retryMs)
      // Every tab reconnects on its own schedule; the first to come back leads.
      this.#resign()
    }
  }

  /**
   * One message per frame costs every tab a structured clone and a task (measured: 20 tabs spent
   * 3.9× the CPU of a socket each). A visible leader batches a few ms; a hidden one posts at once,
   * since its timers are throttled to one wake-up per second or less.
   */
  #relay(data: RelayedFrame | RelayedFrame[]): void {
    if (Array.isArray(data)) for (const frame of data) this.#outbox.push(frame)
    else this.#outbox.push(data)
    const hidden = (globalThis as { document?: { visibilityState?: string } }).document?.visibilityState === 'hidden'
    if (hidden || this.#options.relayBatchMs <= 0) return this.#flushOutbox()
    this.#outboxTimer ??= setTimeout(() => this.#flushOutbox(), this.#options.relayBatchMs)
  }

  #flushOutbox(): void {
    clearTimeout(this.#outboxTimer)
    this.#outboxTimer = undefined
    if (this.#outbox.length === 0 || !this.#epoch) return
    this.#post({ t: 'frames', epoch: this.#epoch, data: this.#outbox, retryMs: this.#real?.retryMs })
    this.#outbox = []
  }

  /** Who else wants the socket: the tabs waiting for the group's lock. */
  async #checkFollowers(): Promise<void> {
    const waiting = await this.#othersWaiting()
    // Unknown (the query failed): keep relaying rather than risk starving a follower.
    if (this.#epoch) this.#hasFollowers = waiting ?? true
  }

  /** Whether another tab waits for this group's lock (wants the socket); `null` if unknown. */
  async #othersWaiting(): Promise<boolean | null> {
    const hellos = this.#hellos
    try {
      const state = await this.#options.locks.query()
      // A tab said `hello` meanwhile: it wants the socket, whatever the answer (asked before it
      // queued for the lock) says.
      return hellos !== this.#hellos || (state.pending ?? []).some((lock) => lock.name === this.name)
    } catch {
      return null
    }
  }

  /** This tab's sockets that followed another leader's stream: it has a gap now, resync. */
  #resyncFollowers(): void {
    this.#following = false
    const retryMs = this.#leaderRetryMs
    this.#leaderRetryMs = undefined
    for (const socket of [...this.#local]) if (socket.readyState === ReadyState.OPEN) socket.closed(LEADER_CHANGED.code, LEADER_CHANGED.reason, retryMs)
  }

  #closeReal(code: number, reason: string): void {
    const real = this.#real
    this.#real = null
    this.#realOpen = false
    if (!real) return
    real.onopen = real.onmessage = real.onclose = null
    try {
      real.close(code, reason)
    } catch {
      // Already closing.
    }
  }

  #resign(): void {
    clearInterval(this.#wantedTimer)
    this.#wantedTimer = undefined
    clearInterval(this.#followersTimer)
    if (!this.#epoch) return
    this.#flushOutbox()
    if (this.#real) this.#post({ t: 'close', epoch: this.#epoch!, code: 1001, reason: 'cross-tab leader stepped down' })
    this.#closeReal(1000, 'no tab needs this socket')
    this.#role = 'none'
    this.#epoch = null
    this.#stepDown?.()
    this.#stepDown = null
    this.#options.onRoleChange()
    // A local socket that still wants the group (it will reconnect) waits for the lock again.
    if (this.#local.size > 0) this.#wait()
    else this.#options.onIdle()
  }

  /** Leading with no socket of its own: keep serving while another tab waits for the lock. */
  async #checkStillWanted(): Promise<void> {
    if (!this.#epoch || this.#local.size > 0) return
    const wanted = (await this.#othersWaiting()) ?? false
    if (!this.#epoch || this.#local.size > 0) return
    if (!wanted) return this.#resign()
    // Followers that go quietly (a crash) leave no `bye`: look again now and then.
    this.#wantedTimer ??= setInterval(() => void this.#checkStillWanted(), this.#options.stillWantedCheckMs)
  }

  #onMessage(message: TabMessage): void {
    if (message.t === 'hello') this.#hellos++
    if (this.#epoch) {
      // What followers ask of the leader; what leaders say is for followers.
      switch (message.t) {
        case 'hello':
          this.#hasFollowers = true
          if (!this.#real) this.#openReal()
          // Still leading (`#openReal` may have resigned): only a leader has an epoch.
          if (this.#epoch) this.#post({ t: 'state', to: message.from, epoch: this.#epoch, open: this.#realOpen, protocol: this.#protocol })
          return
        case 'bye':
          void this.#checkStillWanted()
          return
        case 'dead':
          // Only a socket that said nothing since the follower's last send (its ping): a follower
          // whose page was frozen (its timers late, the frames waiting) times out alone, not every tab.
          if (message.epoch === this.#epoch && !(this.#heardAt > message.sentAt)) this.timedOut()
          return
        case 'send':
          if (message.epoch !== this.#epoch) return
          try {
            this.#sendReal(message.data)
          } catch {
            // A socket that cannot send this (an SSE stream without `sendUrl`): the follower's
            // `send` already answered; nothing to throw into this tab's message handler.
          }
      }
      return
    }
    switch (message.t) {
      case 'state':
        if (message.to !== this.#options.tabId) return
        if (message.epoch !== this.#leaderEpoch) this.#leaderRetryMs = undefined
        this.#leaderEpoch = message.epoch
        if (message.open) this.#follow(message.protocol)
        return
      case 'leader':
        if (this.#leaderEpoch !== message.epoch) {
          if (this.#following) this.#resyncFollowers()
          this.#leaderRetryMs = undefined
          // Sockets still opening asked an earlier leader: ask this one.
          if (this.#local.size > 0) this.#post({ t: 'hello', from: this.#options.tabId })
        }
        this.#leaderEpoch = message.epoch
        return
      case 'open':
        // Only the leader this tab knows of (from its `leader` or `state`, always posted first):
        // any other epoch (a stray or forged message) must not re-point followers at a stream that
        // never comes, open and silent, with no close to make them resync.
        if (message.epoch === this.#leaderEpoch) this.#follow(message.protocol)
        return
      case 'frames':
        if (!this.#following || message.epoch !== this.#leaderEpoch) return
        if (message.retryMs !== undefined) this.#leaderRetryMs = message.retryMs
        // Heard: a report of the socket dead is about what came after (a tab that cannot send, an SSE
        // stream without `sendUrl`, has nothing else to date it by).
        this.#sentAt = Date.now()
        // The batch as one list of frames: one decode and cache pass per tab and batch.
        for (const socket of [...this.#local]) socket.received(message.data)
        return
      case 'close':
        if (message.epoch !== this.#leaderEpoch) return
        this.#following = false
        this.#leaderEpoch = null
        this.#leaderRetryMs = undefined
        for (const socket of [...this.#local]) socket.closed(message.code, message.reason, message.retryMs)
    }
  }

  #follow(protocol: string): void {
    if (this.#local.size === 0) return
    this.#following = true
    for (const socket of [...this.#local]) socket.opened(protocol)
  }

  #post(message: TabMessage): void {
    try {
      this.#channel.postMessage(message)
    } catch {
      // A closed channel (the tab is unloading): nothing to tell.
    }
  }

  /** Forgets the group (no local socket, no role). */
  dispose(): void {
    clearInterval(this.#wantedTimer)
    clearInterval(this.#followersTimer)
    clearTimeout(this.#outboxTimer)
    this.#channel.onmessage = null
    this.#channel.close()
  }
}
