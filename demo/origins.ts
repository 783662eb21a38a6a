/**
 * The page origins the demo server answers (REST with CORS headers, sockets past the `Origin`
 * check): its own page on `port`, the Next.js example as its README runs it (port 3000), under
 * both loopback names, plus any listed in `LIVE_STATUS_ALLOWED_ORIGINS` (comma-separated).
 */
export function demoOrigins(port: number, extra = process.env.LIVE_STATUS_ALLOWED_ORIGINS ?? ''): string[] {
  const pages = [port, 3000].flatMap((p) => [`http://127.0.0.1:${p}`, `http://localhost:${p}`])
  const listed = extra
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean)
  return [...new Set([...pages, ...listed])]
}
