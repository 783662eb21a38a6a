import { defaultHeartbeat, type Heartbeat, type HeartbeatOptions, type HeartbeatTarget, type KeepAlive } from './options'

/**
 * A keep-alive for `SocketHub`'s `heartbeat` option (or one endpoint's): `options` over
 * `defaultHeartbeat`, with the code that runs them. A hub runs none unless given one, so that an
 * app that does not want one bundles none; `LiveStatusClient` and the provider give one by default.
 *
 * @example
 * ```ts
 * new SocketHub({ token, heartbeat: keepAlive({ intervalMs: 10_000 }) })
 * ```
 */
// Only the fields given: merged over a dialect's, they change those fields alone.
export const keepAlive = (options?: HeartbeatOptions): KeepAlive => ({ ...options, start })

/**
 * Pings (after `intervalMs` of silence, or every `intervalMs`) and declares the socket dead when
 * nothing at all arrives within `timeoutMs` of a ping. A half-open connection never closes by
 * itself; this finds it. One timer, set to the next thing due rather than reset per frame.
 */
function start(this: KeepAlive, connection: HeartbeatTarget, onTimeout: () => void): Heartbeat {
  // Defaults here, where `undefined` takes them too: `{ intervalMs: props.interval }` passed through
  // as undefined never pinged and re-armed a 1 ms timer for good.
  const { intervalMs = defaultHeartbeat.intervalMs, timeoutMs = defaultHeartbeat.timeoutMs, schedule, message } = this
  const fixed = schedule === 'fixed'
  // A backend naming types by another field (`op`) pings and is pinged in that field.
  const ping = message ?? { [connection.options.discriminator]: 'ping' }
  let lastActivity = Date.now()
  let lastPingAt = lastActivity
  /** The oldest ping nothing has arrived since (`Infinity`: none), so that no comparison with it needs a check first. */
  let pingSentAt = Infinity
  let timer: ReturnType<typeof setTimeout> | undefined

  function check() {
    const t = Date.now()
    if (lastActivity >= pingSentAt) pingSentAt = Infinity
    if (t >= pingSentAt + timeoutMs) return onTimeout()
    // Idle: one ping at a time, after silence. Fixed: on the clock, whatever the traffic.
    const mayPing = fixed || pingSentAt === Infinity
    let due = (fixed ? lastPingAt : Math.max(lastActivity, lastPingAt)) + intervalMs
    if (mayPing && t >= due) {
      connection.send(ping)
      lastPingAt = t
      pingSentAt = Math.min(pingSentAt, t)
      due = t + intervalMs
    }
    timer = setTimeout(check, Math.min(pingSentAt + timeoutMs, fixed || pingSentAt === Infinity ? due : Infinity) - t)
  }

  timer = setTimeout(check, intervalMs)
  return {
    activity() {
      lastActivity = Date.now()
    },
    stop() {
      clearTimeout(timer)
    },
  }
}
