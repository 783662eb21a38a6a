const MASK = '***'

/**
 * Pieces of the token this long or longer are masked too: a server that echoes part of a token, or
 * a copy cut at some length, must not leak it piecemeal. Shorter tokens are only masked whole.
 */
const FRAGMENT_CHARS = 8

/**
 * Masks `token` in `text`: every occurrence, raw or URL-encoded, and every run of
 * `FRAGMENT_CHARS` or more characters copied from it. Everything that may reach a log line, an
 * error or a status goes through here, before any truncation.
 */
export function redact(text: string, token: string | null | undefined): string {
  if (!token) return text
  let out = text.split(token).join(MASK)
  const encoded = encodeURIComponent(token)
  if (encoded !== token) out = out.split(encoded).join(MASK)
  if (token.length < FRAGMENT_CHARS) return out
  out = maskFragments(out, token)
  return encoded === token ? out : maskFragments(out, encoded)
}

/**
 * Masks every stretch of `text` covered by `FRAGMENT_CHARS`-long pieces of `token`. O(text × piece):
 * callers pass short texts (close reasons, samples cut to a window first).
 */
function maskFragments(text: string, token: string): string {
  if (text.length < FRAGMENT_CHARS) return text
  const pieces = new Set<string>()
  for (let i = 0; i + FRAGMENT_CHARS <= token.length; i++) pieces.add(token.slice(i, i + FRAGMENT_CHARS))
  let out = ''
  let copiedTo = 0
  let runEnd = -1
  for (let i = 0; i + FRAGMENT_CHARS <= text.length; i++) {
    if (!pieces.has(text.slice(i, i + FRAGMENT_CHARS))) continue
    // A piece that overlaps or touches the run being masked extends it: one mask per run.
    if (i > runEnd) out += text.slice(copiedTo, i) + MASK
    runEnd = copiedTo = i + FRAGMENT_CHARS
  }
  return runEnd < 0 ? text : out + text.slice(copiedTo)
}

/**
 * `text` without the token, shortened to `maxChars` (marking the cut): redaction first, so a cut
 * never leaves a piece of the token too short to be recognised. Only a window of the text is
 * redacted, so a 1 MiB frame costs no more than a short one.
 */
export function redactShort(text: string, token: string | null | undefined, maxChars = 200): string {
  const window = token ? text.slice(0, maxChars + 3 * token.length) : text.slice(0, maxChars + 1)
  const clean = redact(window, token)
  return clean.length <= maxChars && window.length === text.length ? clean : `${clean.slice(0, maxChars)}… (${text.length} chars)`
}
