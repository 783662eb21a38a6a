import { isLocalDevOrigin, isLoopbackHost, type AllowedHosts } from '../src/server'
import { allowedHostsFromList } from '../src/server/http/hostPolicy'

/**
 * The page origins the demo server answers (REST with CORS headers, sockets past the `Origin`
 * check): any page on this machine over http (`isLocalDevOrigin`: any port on `localhost`,
 * `127.0.0.1`, `[::1]`), so a second app's dev server works whatever its port, plus any listed in
 * `LIVE_STATUS_ALLOWED_ORIGINS` (comma-separated). A development server only: the reference
 * server in production takes an explicit list.
 */
export function demoOrigins(extra = process.env.LIVE_STATUS_ALLOWED_ORIGINS ?? ''): (origin: string) => boolean {
  const listed = new Set(
    extra
      .split(',')
      .map((origin) => origin.trim().replace(/\/+$/, ''))
      .filter(Boolean),
  )
  return (origin) => isLocalDevOrigin(origin) || listed.has(origin)
}

/**
 * The host names the demo answers (every request and upgrade, the page included): this machine's
 * loopback names, plus any listed in `LIVE_STATUS_ALLOWED_HOSTS` (comma-separated; `*` for any), read
 * as the standalone server reads it. A page under another name that reaches the demo came by DNS
 * rebinding, and the demo's fixed token would let it start jobs.
 */
export function demoHosts(extra = process.env.LIVE_STATUS_ALLOWED_HOSTS ?? ''): AllowedHosts {
  return extra.trim() === '' ? isLoopbackHost : allowedHostsFromList(extra)
}
