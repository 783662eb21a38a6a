import type { SequencedEvent } from '../eventBus'

const BATCH_OPEN = '{"type":"batch","events":['
const BATCH_CLOSE = ']}'
const BATCH_OVERHEAD = BATCH_OPEN.length + BATCH_CLOSE.length

export interface EncodedFrames {
  frames: string[]
  /** The highest `seq` in each frame, in the same order (an SSE stream's `id:` for it). */
  lastSeqs: number[]
  /** Events that made it into a frame (the others were too large or could not be serialised). */
  events: number
}

/**
 * Events as frames of at most `maxFrameBytes` UTF-8 bytes: one event alone as itself, several as
 * `{"type":"batch","events":[…]}` (the form the reference client's frame decoder unpacks), in
 * order. An event that alone is over the limit cannot be delivered whole and is reported, not sent.
 */
export function encodeFrames(
  events: readonly SequencedEvent[],
  maxFrameBytes: number,
  onDropped: (reason: 'event_too_large' | 'unserialisable_event', event: SequencedEvent) => void,
): EncodedFrames {
  const frames: string[] = []
  const lastSeqs: number[] = []
  let parts: string[] = []
  let lastSeq = 0
  let bytes = BATCH_OVERHEAD
  let delivered = 0
  const close = () => {
    if (parts.length === 0) return
    frames.push(parts.length === 1 ? parts[0]! : BATCH_OPEN + parts.join(',') + BATCH_CLOSE)
    lastSeqs.push(lastSeq)
    parts = []
    bytes = BATCH_OVERHEAD
  }
  for (const event of events) {
    let json: string
    try {
      json = JSON.stringify(event)
    } catch {
      onDropped('unserialisable_event', event)
      continue
    }
    const size = Buffer.byteLength(json)
    if (size > maxFrameBytes) {
      onDropped('event_too_large', event)
      continue
    }
    // +1 for the comma; a frame of one event carries no batch overhead but is counted as if it did.
    if (parts.length > 0 && bytes + size + 1 > maxFrameBytes) close()
    parts.push(json)
    // Events come in seq order; snapshot events share one seq.
    lastSeq = Math.max(lastSeq, event.seq)
    bytes += size + (parts.length > 1 ? 1 : 0)
    delivered++
  }
  close()
  return { frames, lastSeqs, events: delivered }
}
