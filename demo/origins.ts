import { isLocalDevOrigin } from '../src/server'

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
