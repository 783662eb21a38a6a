import { transports, type Transport } from '../connection/sink'

/** Why a socket, a frame or an event was refused or dropped: the `reason` label of the drop counter. */
export const dropReasons = [
  'bad_request',
  'closing',
  'origin',
  'host',
  'auth_timeout',
  'token_in_url',
  'unauthenticated',
  'forbidden',
  'too_many_connections',
  'pre_auth_overflow',
  'too_many_invalid_frames',
  'event_too_large',
  'unserialisable_event',
  'unreadable_entry',
  'slow_consumer',
  'idle',
  'socket_error',
  'internal_error',
] as const
/** Why the server dropped a connection, a frame or a request: the keys of `MetricsSnapshot.drops`. */
export type DropReason = (typeof dropReasons)[number]

/** Upper bounds of the replay-size histogram (events per snapshot or replay). */
const replayBuckets = [0, 1, 10, 100, 1000, 10_000] as const

/** Gauges the server reads at the moment of asking. */
export interface MetricsGauges {
  /** Admitted connections, sockets and SSE streams together. */
  connections: number
  /** `connections` by transport. */
  connectionsByTransport: Record<Transport, number>
  authenticating: number
  projects: number
}

/** What `server.metrics()` and `GET /metrics` answer: the gauges now and the counters since start. */
export interface MetricsSnapshot extends MetricsGauges {
  eventsIn: number
  eventsOut: number
  framesOut: number
  eventsInPerSecond: number
  eventsOutPerSecond: number
  connectionsAccepted: number
  /** `connectionsAccepted` by transport. */
  connectionsAcceptedByTransport: Record<Transport, number>
  /** Client messages the server does not support or cannot read, each answered with a `client_error` frame. */
  clientErrors: number
  drops: Record<DropReason, number>
  replays: { count: number; events: number; frames: number; buckets: Record<string, number> }
}

/**
 * Counters of what the server did. Rates are measured between the two latest samples (taken by the
 * server's sweep), so reading metrics never changes them.
 */
export class ServerMetrics {
  eventsIn = 0
  eventsOut = 0
  framesOut = 0
  connectionsAccepted = 0
  readonly connectionsAcceptedByTransport = Object.fromEntries(transports.map((t) => [t, 0])) as Record<Transport, number>
  clientErrors = 0
  readonly drops = Object.fromEntries(dropReasons.map((r) => [r, 0])) as Record<DropReason, number>
  readonly replays = { count: 0, events: 0, frames: 0, buckets: replayBuckets.map(() => 0), overflow: 0 }
  #samples: { at: number; in: number; out: number }[] = []

  drop(reason: DropReason, count = 1): void {
    this.drops[reason] += count
  }

  accepted(transport: Transport): void {
    this.connectionsAccepted++
    this.connectionsAcceptedByTransport[transport]++
  }

  replay(events: number, frames: number): void {
    this.replays.count++
    this.replays.events += events
    this.replays.frames += frames
    const bucket = replayBuckets.findIndex((bound) => events <= bound)
    if (bucket === -1) this.replays.overflow++
    else this.replays.buckets[bucket]!++
  }

  /** Records the counters now; rates use the two latest samples. */
  sample(now = Date.now()): void {
    this.#samples.push({ at: now, in: this.eventsIn, out: this.eventsOut })
    if (this.#samples.length > 2) this.#samples.shift()
  }

  #rate(key: 'in' | 'out'): number {
    const [a, b] = this.#samples
    if (!a || !b || b.at <= a.at) return 0
    return Math.round(((b[key] - a[key]) / (b.at - a.at)) * 1000 * 10) / 10
  }

  snapshot(gauges: MetricsGauges): MetricsSnapshot {
    let cumulative = 0
    const buckets: Record<string, number> = {}
    replayBuckets.forEach((bound, i) => (buckets[String(bound)] = cumulative += this.replays.buckets[i]!))
    buckets['+Inf'] = cumulative + this.replays.overflow
    return {
      ...gauges,
      eventsIn: this.eventsIn,
      eventsOut: this.eventsOut,
      framesOut: this.framesOut,
      eventsInPerSecond: this.#rate('in'),
      eventsOutPerSecond: this.#rate('out'),
      connectionsAccepted: this.connectionsAccepted,
      connectionsAcceptedByTransport: { ...this.connectionsAcceptedByTransport },
      clientErrors: this.clientErrors,
      drops: { ...this.drops },
      replays: { count: this.replays.count, events: this.replays.events, frames: this.replays.frames, buckets },
    }
  }
}

/** The Prometheus text exposition format (version 0.0.4) of a snapshot. */
export function prometheusText(m: MetricsSnapshot): string {
  const lines: string[] = []
  const metric = (name: string, type: 'gauge' | 'counter' | 'histogram', help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`)
  }
  const byTransport = (counts: Record<Transport, number>) => transports.map((t): [string, number] => [`{transport="${t}"}`, counts[t]])
  metric('live_status_connections', 'gauge', 'Open, admitted project connections (sockets and SSE streams).', [['', m.connections]])
  metric('live_status_connections_by_transport', 'gauge', 'Open, admitted project connections by transport.', byTransport(m.connectionsByTransport))
  metric('live_status_authenticating', 'gauge', 'Sockets upgraded and SSE requests received, not yet admitted.', [['', m.authenticating]])
  metric('live_status_projects', 'gauge', 'Projects with state or clients held in memory.', [['', m.projects]])
  metric('live_status_connections_accepted_total', 'counter', 'Connections (sockets and SSE streams) authenticated and admitted.', [['', m.connectionsAccepted]])
  metric('live_status_connections_accepted_by_transport_total', 'counter', 'Connections authenticated and admitted, by transport.', byTransport(m.connectionsAcceptedByTransport))
  metric('live_status_events_in_total', 'counter', 'Events received from the bus.', [['', m.eventsIn]])
  metric('live_status_events_out_total', 'counter', 'Events sent to clients (one per socket or SSE stream).', [['', m.eventsOut]])
  metric('live_status_frames_out_total', 'counter', 'Frames sent to clients (an SSE event carries one frame).', [['', m.framesOut]])
  metric('live_status_client_errors_total', 'counter', 'Client messages of an unsupported type or not a JSON object, each answered with a client_error frame.', [['', m.clientErrors]])
  metric('live_status_events_in_per_second', 'gauge', 'Events received per second, over the last sweep interval.', [['', m.eventsInPerSecond]])
  metric('live_status_events_out_per_second', 'gauge', 'Events sent per second, over the last sweep interval.', [['', m.eventsOutPerSecond]])
  metric('live_status_drops_total', 'counter', 'Sockets, SSE requests and streams, frames and events refused or dropped, by reason.', Object.entries(m.drops).map(([reason, n]) => [`{reason="${reason}"}`, n]))
  metric('live_status_replay_events', 'histogram', 'Events per snapshot or replay sent on connect.', [
    ...Object.entries(m.replays.buckets).map(([le, n]): [string, number] => [`_bucket{le="${le}"}`, n]),
    ['_sum', m.replays.events],
    ['_count', m.replays.count],
  ])
  metric('live_status_replay_frames_total', 'counter', 'Frames used by snapshots and replays.', [['', m.replays.frames]])
  return lines.join('\n') + '\n'
}
