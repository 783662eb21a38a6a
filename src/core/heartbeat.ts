export interface HeartbeatCallbacks {
  intervalMs: number
  timeoutMs: number
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
 * Pings after `intervalMs` of silence and declares the socket dead when nothing at all arrives
 * within `timeoutMs` of the ping. A half-open connection never closes by itself; this finds it.
 */
export function startHeartbeat({ intervalMs, timeoutMs, sendPing, onTimeout, now = Date.now }: HeartbeatCallbacks): Heartbeat {
  let lastActivity = now()
  let pingSentAt: number | null = null
  let timer: ReturnType<typeof setTimeout> | undefined

  const schedule = (delayMs: number) => {
    timer = setTimeout(check, Math.max(0, delayMs))
  }

  function check() {
    const t = now()
    if (pingSentAt !== null) {
      if (lastActivity >= pingSentAt) {
        pingSentAt = null
      } else {
        const left = pingSentAt + timeoutMs - t
        if (left > 0) return schedule(left)
        timer = undefined
        return onTimeout()
      }
    }
    const silentFor = t - lastActivity
    if (silentFor < intervalMs) return schedule(intervalMs - silentFor)
    pingSentAt = t
    sendPing()
    schedule(timeoutMs)
  }

  schedule(intervalMs)
  return {
    activity() {
      lastActivity = now()
    },
    stop() {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
    },
  }
}
