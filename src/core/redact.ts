const MASK = '***'

/**
 * Removes every occurrence of `token` (raw and URL-encoded) from `text`. Everything that may reach a
 * log line or an error message goes through here.
 */
export function redact(text: string, token: string | null | undefined): string {
  if (!token) return text
  let out = text.split(token).join(MASK)
  const encoded = encodeURIComponent(token)
  if (encoded !== token) out = out.split(encoded).join(MASK)
  return out
}

/** Shortens `text` to `maxChars`, marking the cut, for copies of bad frames in error reports. */
export function shorten(text: string, maxChars = 200): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}… (${text.length} chars)`
}
