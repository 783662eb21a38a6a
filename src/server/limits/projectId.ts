/**
 * The decoded project id of a path segment, or `null` when it is malformed (%-encoding) or not
 * accepted by `pattern` (length, characters: `../`, NUL and 8 KB ids never pass the default).
 */
export function projectIdFromSegment(segment: string, pattern: RegExp): string | null {
  // Cheap refusal before decoding: the default pattern allows 128 characters, %-encoded at most 3×.
  if (segment.length > 1024) return null
  let decoded: string
  try {
    decoded = decodeURIComponent(segment)
  } catch {
    return null
  }
  return isValidId(decoded, pattern) ? decoded : null
}

export function isValidId(id: unknown, pattern: RegExp): id is string {
  if (typeof id !== 'string') return false
  // A global or sticky pattern keeps `lastIndex` between calls: reset it so one id cannot affect the next.
  pattern.lastIndex = 0
  return pattern.test(id)
}
