import type { ChannelDefinition } from './defineChannel'
import type { EventError } from '../transport/types'
import type { Connection } from '../transport/connection'
import type { Lease, SocketHub } from '../transport/socketHub'

/** What a router hands events and socket news to: one live query's writer. */
export interface RoutedQuery<TEvent> {
  readonly holders?: number
  /** The id this query listens for (see `ChannelDefinition.route`), if the channel routes. */
  readonly routeKey: string | undefined
  accept(event: TEvent): void
  /** The socket opened, or this query came to the socket already open (`joined`), whose past it did not hear. */
  opened(reconnected: boolean, send: (message: unknown) => boolean, joined?: Connection): void
  /** This query stops listening to the socket. */
  left(connection: Connection): void
  /** A frame on this socket was dropped before it could be read: it may have concerned this query. */
  lost(error: EventError): void
  /** An event that may have been this query's could not be taken (a channel function threw on it): read REST again. */
  missed(): void
}

/**
 * One subscription per socket and channel, shared by every live query of that channel on the
 * socket: events are validated once and handed only to the queries whose id they carry, instead of
 * every query looking at every event.
 */
export class ChannelRouter<TEvent> {
  /** @internal The live queries on this socket and channel (`liveSockets` in `live-status/devtools` counts them). */
  readonly queries = new Set<RoutedQuery<TEvent>>()
  #byKey = new Map<string, Set<RoutedQuery<TEvent>>>()
  #lease: Lease
  #route: ((event: TEvent) => string | undefined) | undefined
  #onEmpty: () => void
  #hub: SocketHub

  constructor(hub: SocketHub, url: string, channel: ChannelDefinition<any, TEvent, any>, onEmpty: () => void) {
    this.#hub = hub
    this.#route = channel.route?.event
    this.#onEmpty = onEmpty
    const decodeBinary = channel.decodeBinary
    this.#lease = hub.acquire<TEvent>(url, {
      schema: channel.schema,
      discriminator: channel.discriminator,
      knownTypes: channel.knownTypes,
      onEvents: (events) => this.#deliver(events),
      onBinary: decodeBinary && ((data) => {
        const decoded = decodeBinary(data)
        if (decoded !== undefined) this.#deliver(Array.isArray(decoded) ? decoded : [decoded as TEvent])
      }),
      onOpen: ({ reconnected }) => {
        for (const query of [...this.queries]) query.opened(reconnected, this.#send)
      },
    })
  }

  add(query: RoutedQuery<TEvent>): void {
    this.queries.add(query)
    const key = query.routeKey
    if (key !== undefined) {
      let set = this.#byKey.get(key)
      if (!set) this.#byKey.set(key, (set = new Set()))
      set.add(query)
    }
    // A socket that is already open greets newcomers too (a subscribe or start message).
    const connection = this.#lease.connection
    if (connection.getStatus().state === 'open') query.opened(false, this.#send, connection)
  }

  remove(query: RoutedQuery<TEvent>): void {
    if (!this.queries.delete(query)) return
    query.left(this.#lease.connection)
    const key = query.routeKey
    if (key !== undefined) {
      const set = this.#byKey.get(key)
      // A set is kept only while it holds a query.
      if (set?.delete(query) && set.size === 0) this.#byKey.delete(key)
    }
    if (this.queries.size === 0) {
      this.#lease.release()
      this.#onEmpty()
    }
  }

  /** A frame on this socket was dropped before it could be read: it may have been about any of us. */
  lost(error: EventError): void {
    for (const query of [...this.queries]) query.lost(error)
  }

  #send = (message: unknown): boolean => this.#lease.connection.send(message)

  #deliver(events: readonly TEvent[]): void {
    const route = this.#route
    if (route === undefined || this.queries.size === 1) {
      for (const query of this.queries) for (const event of events) this.#accept(query, event)
      return
    }
    for (const event of events) {
      let key: string | undefined
      try {
        key = route(event)
      } catch (error) {
        // One event the channel cannot read (a schema's odd output its route throws on) is
        // reported, and costs no other event of the frame; whichever query it was for reads REST.
        this.#hub.options.onCallbackError(error)
        for (const query of this.queries) query.missed()
        continue
      }
      const targets = key === undefined ? this.queries : this.#byKey.get(key)
      if (targets) for (const query of targets) this.#accept(query, event)
    }
  }

  /**
   * One query's event: what its `matches` or `seq` throws costs neither its other events nor the
   * other queries', and the query reads REST for the one it could not take.
   */
  #accept(query: RoutedQuery<TEvent>, event: TEvent): void {
    try {
      query.accept(event)
    } catch (error) {
      this.#hub.options.onCallbackError(error)
      query.missed()
    }
  }
}
