const MASK = '***'

/**
 * Pieces of the token this long or longer are masked too: a server that echoes part of a token, or
 * a copy cut at some length, must not leak it piecemeal. Shorter tokens are only masked whole.
 */
const FRAGMENT_CHARS = 8

/**
 * Masks `token` in `text`: every occurrence, raw or URL-encoded (escapes in either case), and every run of
 * `FRAGMENT_CHARS` or more characters copied from it. Everything that may reach a log line, an
 * error or a status goes through here, before any truncation. O(text × token): callers pass short
 * texts (close reasons, messages, samples cut to a window first).
 */
export function redact(text: string, token: string | null | undefined): string {
  if (!token) return text
  const encoded = encodeURIComponent(token)
  // Percent-escapes come in both cases (`%2F`, `%2f`): the same bytes.
  for (const secret of new Set([token, encoded, encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())])) {
    if (secret.length < FRAGMENT_CHARS) {
      text = text.split(secret).join(MASK)
      continue
    }
    let out = ''
    let copiedTo = 0
    let runEnd = -1
    for (let i = 0; i + FRAGMENT_CHARS <= text.length; i++) {
      if (!secret.includes(text.slice(i, i + FRAGMENT_CHARS))) continue
      // A piece that overlaps or touches the run being masked extends it: one mask per run.
      if (i > runEnd) out += text.slice(copiedTo, i) + MASK
      runEnd = copiedTo = i + FRAGMENT_CHARS
    }
    text = out + text.slice(copiedTo)
  }
  return text
}

/**
 * `text` without the token, shortened to `maxChars` (marking the cut): redaction first, so a cut
 * never leaves a piece of the token too short to be recognised. Only a window of the text is
 * redacted, so a 1 MiB frame costs no more than a short one.
 */
export function redactShort(text: string, token: string | null | undefined, maxChars = 200): string {
  if (text.length <= maxChars) return redact(text, token)
  // A token (even URL-encoded) that starts before the cut ends inside this window.
  const window = text.slice(0, maxChars + 3 * (token?.length ?? 0))
  return `${redact(window, token).slice(0, maxChars)}… (${text.length} chars)`
}

/**
 * `error` with the token masked in its text: an app's error (a reducer's, a validator's) may quote
 * a server message that echoed the token. The same error when its text has none, else a new one
 * with the masked text (the original's stack holds the token too).
 */
export function maskError(error: unknown, token: string | null | undefined): unknown {
  const text = typeof error === 'string' ? error : (error as Error | null)?.message
  if (typeof text !== 'string') return error
  const masked = redact(text, token)
  return masked === text ? error : typeof error === 'string' ? masked : new Error(masked)
}
