// jsonInBinaryFrames parses a frame that is not UTF-8 to decide whether it is JSON: before the
// decoder's limits applied, a hostile or broken server's 1 MB frame nested 500,000 deep cost
// 0.4 s of JSON.parse on the main thread each time, and any size was decoded and parsed (a probe, 2026-12-06).
import { afterEach, expect, test, vi } from 'vitest'
import { jsonInBinaryFrames } from '../../src/transport'
import { FrameDecoder } from '../../src/transport/frameDecoder'

afterEach(() => vi.restoreAllMocks())

/** A frame that is not UTF-8 (a Latin-1 é, 0xE9) and starts like JSON. */
const latin1 = (text: string) => Uint8Array.from([...text].map((c) => (c === 'é' ? 0xe9 : c.charCodeAt(0))))

test('a frame that is not UTF-8 and nests deeper than maxNestingDepth is never parsed: the decoder gets it when it ends as JSON does, else it stays binary', () => {
  const parse = vi.spyOn(JSON, 'parse')
  const deep = latin1(`${'['.repeat(10_000)}"é"${']'.repeat(10_000)}`)
  expect(jsonInBinaryFrames(deep, 1 << 20, 64)).toMatch(/^\[{10000}"\uFFFD"/)
  // Console output that starts with brackets (`[[build]] café …`) stays binary.
  expect(jsonInBinaryFrames(latin1(`${'['.repeat(100)}build café`), 1 << 20, 64)).toBeUndefined()
  expect(parse).not.toHaveBeenCalled()
  // Within the limits it is still read, its stray byte as U+FFFD.
  expect(jsonInBinaryFrames(latin1('[["é"]]'), 1 << 20, 64)).toBe('[["\uFFFD"]]')
})

test('a frame that is not UTF-8 and is over maxPayloadBytes is never parsed: the decoder gets it when it ends as JSON does, else it stays binary', () => {
  const parse = vi.spyOn(JSON, 'parse')
  const big = latin1(`{"file":"é${'x'.repeat(5000)}"}`)
  expect(jsonInBinaryFrames(big, 4096, 64)).toHaveLength(5012)
  const decode = vi.spyOn(TextDecoder.prototype, 'decode')
  expect(jsonInBinaryFrames(latin1(`[build] é${'x'.repeat(5000)}`), 4096, 64)).toBeUndefined()
  // The strict UTF-8 attempt only, which fails on the first stray byte.
  expect(decode).toHaveBeenCalledTimes(1)
  expect(parse).not.toHaveBeenCalled()
})

test('the decoder hands the reader its socket limits: a deep Latin-1 frame is too_large (its queries refetch), never parsed', () => {
  const parse = vi.spyOn(JSON, 'parse')
  const binary: unknown[] = []
  const decoder = new FrameDecoder(
    { maxPayloadBytes: 1 << 20, maxNestingDepth: 32, discriminator: 'type', controlTypes: [], binaryFrames: jsonInBinaryFrames, onEventError: undefined, onCallbackError: (e) => { throw e } },
    'ws://x', () => [],
  )
  decoder.dispatch(latin1(`${'['.repeat(1000)}"é"${']'.repeat(1000)}`).buffer, [{ onBinary: (data) => binary.push(data), onEvents: () => {} }])
  expect(binary).toHaveLength(0)
  expect(decoder.stats.dropped.too_large).toBe(1)
  expect(parse).not.toHaveBeenCalled()
})
