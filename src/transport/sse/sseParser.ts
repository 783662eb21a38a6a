export interface SseParserCallbacks {
  /** One event's `data` (its `event` name and `id` are not used: frames carry their type and `seq`). */
  onEvent(data: string): void
  onRetry(retryMs: number): void
  onComment(): void
}

/**
 * The event-stream format of the HTML standard (§ 9.2.6), fed text chunks cut anywhere: lines end
 * with CR, LF or CRLF (a CR ends its line at once, also last in a chunk; a LF first in the next
 * chunk is then the rest of that CRLF), `data` lines join with
 * LF, `retry` takes ASCII digits only, a line starting with `:` is a comment, one space after the
 * colon is dropped, and an empty line dispatches (nothing when no `data` came). `id` lines are
 * skipped: the resume position is the frames' own `seq`, as on sockets (the server's `id:` lines
 * repeat it for `EventSource` clients). A leading BOM is the decoder's to drop (`TextDecoder`
 * does). Lines are found with native searches (`indexOf` of LF and of CR), not a loop over every
 * character: about 6× faster on a stream of 130-byte frames, the speed of `eventsource-parser`
 * (bench/sseLoopback.ts). Only the `data` and `retry` fields are looked at. Written here rather than taken from `eventsource-parser` (1.4 KiB min+gzip on its own, and
 * Node ≥ 22 from its version 4): the whole SSE transport must stay under 2 KiB.
 * `__tests__/core/sseParser.test.ts` checks it against `eventsource-parser` on generated streams cut
 * at generated places. `feed` returns how many characters wait unfinished (the open line and the
 * event's data so far), so the caller can refuse a line or an event that grows too long; `skip`
 * then drops that event and reads on from the next.
 */
export function createSseParser(callbacks: SseParserCallbacks): { feed(chunk: string): number; skip(): boolean } {
  let buffer = ''
  let data: string | undefined
  /** The event under way is being thrown away (`skip`), up to the empty line that ends it. */
  let skipping = false
  /** The start of the line under way was thrown away: its end is not an empty line. */
  let cut = false
  /** Only the line under way is being thrown away (not event data: a comment, an `id`), up to its end. */
  let skippingLine = false

  /** Whether the line `text[start, end)` is the field `name`: the name, then a colon or the line's end. */
  const field = (text: string, start: number, end: number, name: string) =>
    text.startsWith(name, start) && (start + name.length === end || text.charCodeAt(start + name.length) === COLON)
  /** The value of the field `name` on that line: after the colon and one space. */
  const value = (text: string, start: number, end: number, name: string) => {
    let from = start + name.length + 1
    if (from < end && text.charCodeAt(from) === SPACE) from++
    return from < end ? text.slice(from, end) : ''
  }

  const line = (text: string, start: number, end: number) => {
    if (skippingLine) {
      // The end of the line thrown away: what follows is read as usual.
      skippingLine = cut = false
    } else if (skipping) {
      if (start === end && !cut) skipping = false
      cut = false
    } else if (start === end) {
      if (data !== undefined) callbacks.onEvent(data)
      data = undefined
    } else if (text.charCodeAt(start) === COLON) callbacks.onComment()
    else if (field(text, start, end, 'data')) {
      const more = value(text, start, end, 'data')
      data = data === undefined ? more : `${data}\n${more}`
    } else if (field(text, start, end, 'retry')) {
      const ms = value(text, start, end, 'retry')
      if (/^\d+$/.test(ms)) callbacks.onRetry(Number(ms))
    }
  }

  /** The previous chunk ended with CR: a LF first in this one is the rest of that CRLF. */
  let skipLf = false
  return {
    feed(chunk) {
      let start = 0
      if (skipLf && chunk.length > 0) {
        skipLf = false
        if (chunk.charCodeAt(0) === LF) start = 1
      }
      // Only the new chunk is searched (a long line fed in pieces is not searched again per piece):
      // native searches for the next LF and the next CR, each repeated only once passed; -1: none left.
      let lf = chunk.indexOf('\n', start)
      let cr = chunk.indexOf('\r', start)
      for (;;) {
        if (lf !== -1 && lf < start) lf = chunk.indexOf('\n', start)
        if (cr !== -1 && cr < start) cr = chunk.indexOf('\r', start)
        const end = lf === -1 ? cr : cr === -1 || lf < cr ? lf : cr
        if (end === -1) break
        if (buffer) {
          const whole = buffer + chunk.slice(start, end)
          buffer = ''
          line(whole, 0, whole.length)
        } else line(chunk, start, end)
        // A CR ends its line at once; a LF right after it (here or first in the next chunk) is the same line end.
        if (end === cr && end === chunk.length - 1) skipLf = true
        start = end === cr && lf === end + 1 ? end + 2 : end + 1
      }
      if (start < chunk.length) {
        if (skipping || skippingLine) cut = true
        else buffer += chunk.slice(start)
      }
      // What waits unfinished: the line and the event's data so far, so a caller can refuse either growing for ever.
      return buffer.length + (data?.length ?? 0)
    },
    /**
     * Throws away the line under way when it is not event data (a comment, an `id`) and no data
     * came before it (the event's data after it still counts), else the event under way (its data
     * so far), up to its end. Answers whether event data was thrown away.
     */
    skip() {
      const dataLine = field(buffer, 0, buffer.length, 'data')
      cut = buffer !== ''
      buffer = ''
      // Only a line too long on its own: data that adds up to too much is the event's.
      if (cut && data === undefined && !dataLine) {
        skippingLine = true
        return false
      }
      data = undefined
      skipping = true
      return true
    },
  }
}

const COLON = 58
const LF = 10
const SPACE = 32
