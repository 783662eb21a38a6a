/**
 * Which `Host` headers the server answers: a list of host names (`['api.example.com']`), or a
 * predicate over the name, such as `isLoopbackHost`. Names only, without a port: the port a client
 * reached is the server's own.
 */
export type AllowedHosts = readonly string[] | ((hostname: string) => boolean)

/**
 * Whether `hostname` names this machine's loopback: `localhost` (and `*.localhost`, which browsers
 * resolve to loopback themselves), `127.0.0.1` through `127.255.255.255`, `[::1]`. A page served from
 * any other name that reaches a loopback server got there by DNS rebinding (or a proxy the server
 * should then be told about with `allowedHosts`).
 */
export function isLoopbackHost(hostname: string): boolean {
  if (typeof hostname !== 'string') return false
  const name = hostname.toLowerCase()
  return name === 'localhost' || name.endsWith('.localhost') || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name)
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

/** Whether `allowed` lets a request with this `Host` header in. No header, or a predicate that throws: no. */
export function isHostAllowed(allowed: AllowedHosts, header: string | undefined): boolean {
  const hostname = hostnameOf(header)
  if (hostname === null) return false
  if (typeof allowed !== 'function') return allowed.some((entry) => entry.toLowerCase() === hostname)
  try {
    return allowed(hostname) === true
  } catch {
    return false
  }
}
