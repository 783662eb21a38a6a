const BASE = 'http://localhost'

/**
 * The parsed target of a request, or `null` when it is not an origin-form path (`/a/b?c`). Never
 * throws: `new URL('//a:99999/', base)` does, and a throw in a request or upgrade listener takes
 * the process down. The target is appended to a fixed origin, so `//host:port/` stays a path.
 */
export function requestTarget(target: string | undefined): URL | null {
  if (typeof target !== 'string' || target.length === 0 || target[0] !== '/' || target.length > 16_384) return null
  try {
    return new URL(BASE + target)
  } catch {
    return null
  }
}
