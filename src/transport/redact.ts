const MASK = '***'

/**
 * Pieces of the token this long or longer are masked too: a server that echoes part of a token, or
 * a copy cut at some length, must not leak it piecemeal. Shorter tokens are only masked whole.
 */
const FRAGMENT_CHARS = 8

/** One token, none, or several (a hub masks the last few it used). */
export type Tokens = string | null | undefined | readonly string[]

/**
 * Masks each token in `text`: every occurrence, raw or URL-encoded (escapes in either case), and
 * every run of `FRAGMENT_CHARS` or more characters copied from it. Everything that may reach a log
 * line, an error or a status goes through here, before any truncation. O(text × token): callers
 * pass short texts (close reasons, messages, samples cut to a window first).
 */
export function redact(text: string, tokens: Tokens): string {
  for (const token of [tokens].flat()) {
    if (!token) continue
    let encoded = token
    try {
      encoded = encodeURIComponent(token)
    } catch {
      // A lone surrogate cannot be URL-encoded: the raw token is all that can appear.
    }
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
  }
  return text
}

/**
 * `text` without the tokens, shortened to `maxChars` (marking the cut): redaction first, so a cut
 * never leaves a piece of a token too short to be recognised. Only a window of the text is
 * redacted, so a 1 MiB frame costs no more than a short one.
 */
export function redactShort(text: string, tokens: Tokens, maxChars = 200): string {
  if (text.length <= maxChars) return redact(text, tokens)
  // A token (even URL-encoded) that starts before the cut ends inside this window.
  const window = text.slice(0, maxChars + 3 * Math.max(0, ...[tokens].flat().map((token) => token?.length ?? 0)))
  return `${redact(window, tokens).slice(0, maxChars)}… (${text.length} chars)`
}

/** How much of an app error's text is read for tokens: past it, only its message is kept, cut. */
const MAX_ERROR_CHARS = 4096

/** What printing `error` may show: its message, own fields, `cause` and inner `errors`. */
function printed(error: unknown, depth = 0): string {
  if (typeof error !== 'object' || error === null) return String(error)
  const { message, cause, errors } = error as { message?: unknown; cause?: unknown; errors?: unknown }
  let text = `${message}${JSON.stringify(error)}`
  if (depth < 3) for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) text += printed(inner, depth + 1)
  return text
}

/**
 * `error` with `tokens` masked: an app's error (a reducer's, a validator's) may quote a server
 * message that echoed one. The same error when nothing it would print holds a token; else (or when
 * it is too large or too odd to read) its message alone, masked and cut, in a new `Error` (its
 * stack, fields and `cause` held the token too). A string stays a string.
 */
export function maskError(error: unknown, tokens: readonly string[]): unknown {
  let text: string | undefined
  let message: unknown
  try {
    message = typeof error === 'string' ? error : (error as Error).message
    text = printed(error)
  } catch {
    // Cyclic, a BigInt, a getter that throws: its message alone, if that could be read.
  }
  if (text !== undefined && text.length <= MAX_ERROR_CHARS && redact(text, tokens) === text) return error
  const masked = redactShort(typeof message === 'string' ? message : '[live-status] an error that cannot be shown', tokens, MAX_ERROR_CHARS)
  return typeof error === 'string' ? masked : new Error(masked)
}
