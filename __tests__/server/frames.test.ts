import fc from 'fast-check'
import { expect, test } from 'vitest'
import { FrameDecoder } from '../../src/transport/frameDecoder'
import type { SequencedEvent } from '../../src/server'
import { encodeFrames } from '../../src/server/fanout/frames'
import { InMemoryEventBus } from '../../src/server'
import { ProjectRegistry } from '../../src/server/fanout/projectRegistry'

const event = fc.record({
  type: fc.constantFrom('file_completed', 'index_started', 'current_state'),
  seq: fc.nat(),
  note: fc.string({ unit: 'grapheme', maxLength: 400 }),
  pad: fc.nat({ max: 3000 }).map((n) => 'é'.repeat(n)),
}) as fc.Arbitrary<SequencedEvent>

test('every frame is under maxFrameBytes, and the reference client decodes the events back in order', () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), fc.integer({ min: 200, max: 20_000 }), (events, maxFrameBytes) => {
      const dropped: SequencedEvent[] = []
      const { frames, events: count } = encodeFrames(events, maxFrameBytes, (_reason, e) => dropped.push(e))
      for (const frame of frames) expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(maxFrameBytes)
      const decoder = new FrameDecoder({ maxPayloadBytes: maxFrameBytes, discriminator: 'type', controlTypes: [], onEventError: undefined, onCallbackError: (e) => { throw e } }, 'ws://x', () => null)
      const received: unknown[] = []
      for (const frame of frames) decoder.dispatch(frame, [{ onEvents: (got) => received.push(...got) }])
      const expected = events.filter((e) => !dropped.includes(e))
      expect(received).toEqual(expected)
      expect(count).toBe(expected.length)
      expect(decoder.stats.dropped.too_large).toBe(0)
      // Only events that alone exceed the limit are left out.
      for (const e of dropped) expect(Buffer.byteLength(JSON.stringify(e))).toBeGreaterThan(maxFrameBytes)
    }),
    { seed: 20261201, numRuns: 300 },
  )
})

test('memory stays flat over 100,000 distinct project ids: the registry and the bus return to 0', async () => {
  const bus = new InMemoryEventBus()
  const registry = new ProjectRegistry(bus, { batchIntervalMs: 50, batchMaxEvents: 100, maxFrameBytes: 65536, onEventIn: () => {}, onDropped: () => {}, onBusError: () => {}, rebuildTimeoutMs: 5000 })
  const member = () => ({ sentSeq: 0, pending: undefined as undefined | SequencedEvent[], sendFrames: () => true })
  for (let i = 0; i < 100_000; i++) {
    const id = `project-${i}`
    const m = member()
    const since = i % 3 === 0 ? 12345 : null
    await registry.acquire(id).join(m, since, () => true)
    registry.get(id)!.leave(m)
    registry.releaseIfIdle(id)
  }
  expect(registry.size).toBe(0)
  expect(bus.size).toBe(0)
})
