export interface SseParserCallbacks {
  /** One event's `data` (its `event` name and `id` are not used: frames carry their type and `seq`). */
  onEvent(data: string): void
  onRetry(retryMs: number): void
  onComment(): void
}

/**
 * The event-stream format of the HTML standard (§ 9.2.6), fed text chunks cut anywhere: lines end
 * with CR, LF or CRLF (a CR at a chunk's end waits for the next chunk's LF), `data` lines join with
 * LF, `retry` takes ASCII digits only, a line starting with `:` is a comment, one space after the
 * colon is dropped, and an empty line dispatches (nothing when no `data` came). `id` lines are
 * skipped: the resume position is the frames' own `seq`, as on sockets (the server's `id:` lines
 * repeat it for `EventSource` clients). A leading BOM is the decoder's to drop (`TextDecoderStream`
 * does). Written here rather than taken from `eventsource-parser` (1.4 KiB min+gzip on its own, and
 * Node ≥ 22 from its version 4): the whole SSE transport must stay under 2 KiB.
 * `__tests__/core/sseParser.test.ts` checks it against `eventsource-parser` on generated streams cut
 * at generated places. `feed` returns how many characters wait for their line's end, so the caller
 * can refuse a line that never ends.
 */
export function createSseParser(callbacks: SseParserCallbacks): { feed(chunk: string): number } {
  let buffer = ''
  let data: string | undefined

  const line = (text: string) => {
    if (text === '') {
      if (data !== undefined) callbacks.onEvent(data)
      data = undefined
      return
    }
    if (text[0] === ':') return callbacks.onComment()
    const colon = text.indexOf(':')
    const field = colon === -1 ? text : text.slice(0, colon)
    let value = colon === -1 ? '' : text.slice(colon + 1)
    if (value[0] === ' ') value = value.slice(1)
    if (field === 'data') data = data === undefined ? value : `${data}\n${value}`
    else if (field === 'retry' && /^\d+$/.test(value)) callbacks.onRetry(Number(value))
  }

  return {
    feed(chunk) {
      buffer += chunk
      let start = 0
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i]
        if (c !== '\n' && c !== '\r') continue
        // A CR last in the chunk may be the first half of a CRLF: wait for the next chunk.
        if (c === '\r' && i === buffer.length - 1) break
        line(buffer.slice(start, i))
        if (c === '\r' && buffer[i + 1] === '\n') i++
        start = i + 1
      }
      buffer = buffer.slice(start)
      return buffer.length
    },
  }
}
