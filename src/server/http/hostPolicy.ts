/**
 * Which `Host` headers the server answers: a list of host names (`['api.example.com']`), or a
 * predicate over the name, such as `isLoopbackHost`. Names only, without a port: the port a client
 * reached is the server's own.
 */
export type AllowedHosts = readonly string[] | ((hostname: string) => boolean)

/**
 * Whether `hostname` is one of this machine's loopback names: `localhost`, `127.0.0.1`, `[::1]` (the
 * same three `isLocalDevOrigin` takes). A page served from any other name that reaches a loopback
 * server got there by DNS rebinding (or through a proxy the server should then be told about with
 * `allowedHosts`).
 */
export function isLoopbackHost(hostname: string): boolean {
  return typeof hostname === 'string' && LOOPBACK_NAMES.has(hostname.toLowerCase())
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Whether a listening address (`LIVE_STATUS_HOST`, `listen(port, host)`) is loopback only. */
export function isLoopbackInterface(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/i.test(address)
}

/** Any host: what `*` says. */
export const anyHost = (): boolean => true

/**
 * `LIVE_STATUS_ALLOWED_HOSTS` read the way both the standalone server and the demo read it: `*` for
 * any host, else comma-separated host names (no scheme, no port, no wildcard) allowed besides the
 * loopback names (local health checks and `curl` keep working). Throws, naming `variable`, on a
 * value that would allow nothing or not what it says.
 */
export function allowedHostsFromList(text: string, variable = 'LIVE_STATUS_ALLOWED_HOSTS'): AllowedHosts {
  if (text.trim() === '*') return anyHost
  const names = text.split(',').map((name) => name.trim().toLowerCase())
  for (const name of names) {
    if (name === '' || name.includes('*') || hostnameOf(name) !== name)
      throw new Error(`[live-status/server] ${variable}: ${JSON.stringify(name)} is not a host name (no scheme, no port, no wildcard; * alone allows any host)`)
  }
  const listed = new Set(names)
  return (hostname) => isLoopbackHost(hostname) || listed.has(hostname)
}

/**
 * The host name a `Host` header names, lower case and without its port; null when the header is
 * missing or is not a host (a path, user info, a bad port: `evil.example@127.0.0.1` is not
 * `127.0.0.1`).
 */
export function hostnameOf(header: string | undefined): string | null {
  // The longest DNS name is 253 characters; a port adds at most 6.
  if (typeof header !== 'string' || header.length === 0 || header.length > 260) return null
  let url: URL
  try {
    url = new URL(`http://${header}`)
  } catch {
    return null
  }
  // `new URL` reads user info, paths and queries out of what follows `http://`: a Host header has none.
  // It also drops a default port (`:80`), so the comparison is on what it kept.
  const host = header.toLowerCase()
  return url.host === host || `${url.host}:80` === host ? url.hostname : null
}

/**
 * Whether `allowed` lets a request with this `Host` header in. No header, or a predicate that throws:
 * no. A list's entries are lower case (`resolveOptions` makes them so once, not per request).
 */
export function isHostAllowed(allowed: AllowedHosts, header: string | undefined): boolean {
  const hostname = hostnameOf(header)
  if (hostname === null) return false
  if (typeof allowed !== 'function') return allowed.includes(hostname)
  try {
    return allowed(hostname) === true
  } catch {
    return false
  }
}
