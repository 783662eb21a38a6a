import type { SourceEvent } from './source'

/**
 * One event in the event-stream format: `id: <seq>` when it has a position, then one `data:` line
 * (`JSON.stringify` escapes every CR and LF, so the JSON never spans lines), then the empty line
 * that dispatches it. Throws when the event cannot be serialised (a cycle, a BigInt).
 */
export function sseFrame(item: SourceEvent): string {
  // One `data:` line per line of the text: the client's parser joins them back with LF.
  if (item.unread !== undefined) return `data: ${item.unread.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`
  const data = JSON.stringify(item.event)
  if (typeof data !== 'string' || data[0] !== '{') throw new TypeError(`an event must be a JSON object (got ${typeof item.event})`)
  const seq = item.seq ?? seqOf(item.event)
  return `${isSeq(seq) ? `id: ${seq}\n` : ''}data: ${data}\n\n`
}

/** A comment line: the heartbeat a client counts as traffic while no event comes. */
export const PING_FRAME = ': ping\n\n'

/** The reconnection delay a browser (or the live-status client) waits before trying again. */
export const retryFrame = (retryMs: number): string => `retry: ${Math.max(0, Math.round(retryMs))}\n\n`

/**
 * The position the event carries itself: its `seq`, or for a `{ type: 'batch', events }` frame
 * the last of its events' (the frame a socket server sends for several events at once).
 */
function seqOf(event: object): unknown {
  const { seq, type, events } = event as { seq?: unknown; type?: unknown; events?: unknown }
  if (seq !== undefined) return seq
  if (type !== 'batch' || !Array.isArray(events)) return undefined
  for (let i = events.length - 1; i >= 0; i--) {
    const inner = (events[i] as { seq?: unknown } | null)?.seq
    if (isSeq(inner)) return inner
  }
  return undefined
}

const isSeq = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0
