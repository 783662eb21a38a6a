import type { RawData } from 'ws'

/**
 * Frames that arrive before a socket is authenticated (a ping sent right after the auth frame,
 * say), kept to be handled once it is: bounded in count and bytes, so an unauthenticated client
 * cannot make the server hold what it sends.
 */
export class PreAuthBuffer {
  readonly frames: { data: RawData; isBinary: boolean }[] = []
  #bytes = 0
  readonly #maxFrames: number
  readonly #maxBytes: number

  constructor(maxFrames: number, maxBytes: number) {
    this.#maxFrames = maxFrames
    this.#maxBytes = maxBytes
  }

  /** Keeps the frame; false when that goes over a bound (the caller closes the socket). */
  push(data: RawData, isBinary: boolean): boolean {
    this.#bytes += rawLength(data)
    if (this.frames.length >= this.#maxFrames || this.#bytes > this.#maxBytes) return false
    this.frames.push({ data, isBinary })
    return true
  }

  take(): { data: RawData; isBinary: boolean }[] {
    return this.frames.splice(0)
  }
}

export function rawLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, chunk) => sum + chunk.length, 0)
  return data instanceof ArrayBuffer ? data.byteLength : data.length
}
