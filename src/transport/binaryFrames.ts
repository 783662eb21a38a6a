/**
 * Reads a binary frame as JSON text when its bytes start (after a byte-order mark and white space)
 * with `{` or `[` (servers that send their JSON in binary frames), else `undefined`: an image
 * preview or console output stays binary, and is not decoded whatever its size. Bytes that are not
 * UTF-8 (a Latin-1 file name) read as U+FFFD: the parser and the schema decide, and a frame they
 * refuse is reported as a text frame would be, so its queries refetch rather than lose an event.
 * Pass it as the `binaryFrames` option (per endpoint through `endpointOptions`).
 */
export function jsonInBinaryFrames(data: ArrayBuffer | ArrayBufferView): string | undefined {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  // A UTF-8 byte-order mark, which the decoder drops.
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  // Space, tab, line feed, carriage return: what JSON allows before its value.
  while (bytes[i] === 32 || bytes[i] === 9 || bytes[i] === 10 || bytes[i] === 13) i++
  return bytes[i] === 123 || bytes[i] === 91 ? new TextDecoder().decode(bytes) : undefined
}
