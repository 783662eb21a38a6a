/**
 * Reads a binary frame as JSON text when its bytes are UTF-8 starting (after white space) with `{`
 * or `[` (servers that send their JSON in binary frames), else `undefined`: an image preview or
 * console output stays binary, and is not decoded whatever its size. Pass it as the `binaryFrames`
 * option (per endpoint through `endpointOptions`).
 */
export function jsonInBinaryFrames(data: ArrayBuffer | ArrayBufferView): string | undefined {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  let i = 0
  // Space, tab, line feed, carriage return: what JSON allows before its value.
  while (bytes[i] === 32 || bytes[i] === 9 || bytes[i] === 10 || bytes[i] === 13) i++
  if (bytes[i] !== 123 && bytes[i] !== 91) return undefined
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}
