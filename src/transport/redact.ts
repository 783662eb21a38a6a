const MASK = '***'

/**
 * Pieces of the token this long or longer are masked too: a server that echoes part of a token, or
 * a copy cut at some length, must not leak it piecemeal. Shorter tokens are only masked whole.
 */
const FRAGMENT_CHARS = 8

/** One token, none, or several (a hub masks the last few it used). */
export type Tokens = string | null | undefined | readonly string[]

/** The spellings of `token` that may appear in text: raw and URL-encoded, escapes in either case. */
function spellings(token: string): Set<string> {
  let encoded = token
  try {
    encoded = encodeURIComponent(token)
  } catch {
    // A lone surrogate cannot be URL-encoded: the raw token is all that can appear.
  }
  return new Set([token, encoded, encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())])
}

/**
 * Masks each token in `text`: every spelling of it, and every run of `FRAGMENT_CHARS` or more
 * characters copied from one. Everything that may reach a log line, an error or a status goes
 * through here, before any truncation. O(text × token): callers pass short texts (close reasons,
 * messages, samples cut to a window first).
 */
export function redact(text: string, tokens: Tokens): string {
  for (const token of [tokens].flat()) {
    if (!token) continue
    for (const secret of spellings(token)) {
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

/** How much of a replaced error's message and stack is kept. */
const MAX_ERROR_CHARS = 4096

/**
 * Everything printing `value` may show, found by walking own properties (non-enumerable and
 * symbol-keyed ones too: an error's `message`, `stack`, `cause`, `errors`), never `toJSON`, plus the entries of maps and
 * sets. Throws when it cannot read it all: too deep (or cyclic), over 64 KiB, a getter that throws.
 */
function printed(value: unknown, depth = 0): string {
  if (typeof value !== 'object' || value === null) return String(value)
  if (depth > 8) throw value
  let text = ''
  // Symbol keys too: `console.error` and `util.inspect` print them.
  for (const key of Reflect.ownKeys(value)) text += `${String(key)} ${printed((value as Record<PropertyKey, unknown>)[key], depth + 1)} `
  if (value instanceof Map || value instanceof Set) for (const entry of value) text += printed(entry, depth + 1)
  // Searched with `redact` next, O(text × token): past this, it is not read whole.
  if (text.length > 1 << 16) throw value
  return text
}

/**
 * `error` with `tokens` masked: an app's error (a reducer's, a validator's) may quote a server
 * message that echoed one. The same error when nothing printing it could show holds a token;
 * else, or when it cannot be read whole, a new `Error` with its class name and its message and
 * stack masked and cut (its fields and `cause` held the token too). A string stays a string.
 */
export function maskError(error: unknown, tokens: readonly string[]): unknown {
  if (tokens.length === 0) return error
  let clean = false
  try {
    const text = printed(error)
    clean = redact(text, tokens) === text
  } catch {
    // Cyclic, too deep or too large, a getter that throws: not known to be clean.
  }
  if (clean) return error
  if (typeof error === 'string') return redactShort(error, tokens, MAX_ERROR_CHARS)
  const read = (key: 'message' | 'stack' | 'name'): string | undefined => {
    try {
      const value = (error as Record<string, unknown>)[key]
      return typeof value === 'string' ? redactShort(value, tokens, MAX_ERROR_CHARS) : undefined
    } catch {
      // A getter that throws: nothing to keep.
    }
  }
  const replaced = new Error(read('message') ?? '[live-status] an error that cannot be shown')
  const name = read('name')
  // A class name is kept; anything else there may be what held the token.
  if (name && /^\w{1,64}$/.test(name)) replaced.name = name
  replaced.stack = read('stack') ?? replaced.stack
  return replaced
}
