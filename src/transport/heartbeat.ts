export interface HeartbeatCallbacks {
  intervalMs: number
  timeoutMs: number
  /** `idle`: ping after `intervalMs` of silence; `fixed`: every `intervalMs` whatever the traffic. */
  schedule?: 'idle' | 'fixed'
  sendPing: () => void
  onTimeout: () => void
  now?: () => number
}

export interface Heartbeat {
  /** Any inbound frame: the peer is alive. Cheap: called per frame, it touches no timer. */
  activity(): void
  stop(): void
}

/**
 * Pings (after `intervalMs` of silence, or every `intervalMs`) and declares the socket dead when
 * nothing at all arrives within `timeoutMs` of a ping. A half-open connection never closes by
 * itself; this finds it. One timer, set to the next thing due rather than reset per frame.
 */
export function startHeartbeat({ intervalMs, timeoutMs, schedule, sendPing, onTimeout, now = Date.now }: HeartbeatCallbacks): Heartbeat {
  const fixed = schedule === 'fixed'
  let lastActivity = now()
  let lastPingAt = lastActivity
  /** The oldest ping nothing has arrived since. */
  let pingSentAt: number | null = null
  let timer: ReturnType<typeof setTimeout> | undefined

  function check() {
    const t = now()
    if (pingSentAt !== null && lastActivity >= pingSentAt) pingSentAt = null
    if (pingSentAt !== null && t >= pingSentAt + timeoutMs) return onTimeout()
    // Idle: one ping at a time, after silence. Fixed: on the clock, whatever the traffic.
    const mayPing = fixed || pingSentAt === null
    let due = (fixed ? lastPingAt : Math.max(lastActivity, lastPingAt)) + intervalMs
    if (mayPing && t >= due) {
      sendPing()
      lastPingAt = t
      pingSentAt ??= t
      due = t + intervalMs
    }
    const wake = Math.min(pingSentAt === null ? Infinity : pingSentAt + timeoutMs, fixed || pingSentAt === null ? due : Infinity)
    timer = setTimeout(check, wake - t)
  }

  timer = setTimeout(check, intervalMs)
  return {
    activity() {
      lastActivity = now()
    },
    stop() {
      clearTimeout(timer)
    },
  }
}
