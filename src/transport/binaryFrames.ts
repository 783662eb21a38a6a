/**
 * Reads a binary frame as JSON text when its bytes are UTF-8 starting with `{` or `[` (servers that
 * send their JSON in binary frames), else `undefined`: an image preview or console output stays
 * binary. Pass it as the `binaryFrames` option (per endpoint through `endpointOptions`).
 */
export function jsonInBinaryFrames(data: ArrayBuffer | ArrayBufferView): string | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(data)
    return /^\s*[[{]/.test(text) ? text : undefined
  } catch {
    return undefined
  }
}
