import { scan } from './frameDecoder'
import { transportDefaults } from './options'

/**
 * Reads a binary frame as JSON text when its bytes start (after a byte-order mark and white space)
 * with `{` or `[` (servers that send their JSON in binary frames), else `undefined`: an image
 * preview or console output stays binary, and is not decoded whatever its size. A frame that is
 * not UTF-8 is JSON only if it parses with its stray bytes as U+FFFD (a Latin-1 file name in an
 * event); anything else stays binary (Latin-1 console output such as `[build] café`). Such a frame past
 * the socket's `maxPayloadBytes` or `maxNestingDepth` is not parsed: it goes on as text (the decoder
 * counts it `too_large`) when it ends with `}` or `]`, else it stays binary.
 * Pass it as the `binaryFrames` option (per endpoint through `endpointOptions`).
 */
export function jsonInBinaryFrames(data: ArrayBuffer | ArrayBufferView, maxPayloadBytes = Infinity, maxNestingDepth = transportDefaults.maxNestingDepth!): string | undefined {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  // A UTF-8 byte-order mark, which the decoder drops.
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  // Space, tab, line feed, carriage return: what JSON allows before its value.
  while (bytes[i] === 32 || bytes[i] === 9 || bytes[i] === 10 || bytes[i] === 13) i++
  if (bytes[i] !== 123 && bytes[i] !== 91) return undefined
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    // Parsed here to decide, so held to the decoder's limits first: a frame the decoder would drop
    // unparsed (too long, or nested 500,000 deep, 0.4 s of JSON.parse) is not parsed. It goes to
    // the decoder (which counts it `too_large`, and its queries refetch) when it also ends as JSON
    // does, else it stays binary.
    const json = endsAsJson(bytes)
    if (bytes.length > maxPayloadBytes) return json ? new TextDecoder().decode(bytes) : undefined
    const text = new TextDecoder().decode(bytes)
    if (scan(text, maxNestingDepth) < 0) return json ? text : undefined
    try {
      JSON.parse(text)
      return text
    } catch {
      return undefined
    }
  }
}

/** Whether the bytes end (before white space) with `}` or `]`. */
function endsAsJson(bytes: Uint8Array): boolean {
  let i = bytes.length - 1
  while (bytes[i] === 32 || bytes[i] === 9 || bytes[i] === 10 || bytes[i] === 13) i--
  return bytes[i] === 125 || bytes[i] === 93
}
